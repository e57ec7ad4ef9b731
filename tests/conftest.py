"""Session fixtures shared by every test directory; plain helpers live in ``testlib``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testlib import ROOT, SHARED, STRICT, VMLINUX, find_tool, require_kernel_feature

__all__ = ["ROOT", "SHARED", "STRICT", "VMLINUX", "find_tool", "require_kernel_feature"]


@pytest.fixture(scope="session")
def vmlinux_btf_path() -> Path:
    require_kernel_feature(
        VMLINUX.is_file() and os.access(VMLINUX, os.R_OK), f"{VMLINUX} is missing or unreadable"
    )
    return VMLINUX


def compile_bpf(source: Path, output: Path, *, extra_flags: tuple[str, ...] = ()) -> Path:
    """Compile a BPF C file for tests through ``pybpf.cc.build`` (our headers, generated vmlinux.h)."""
    from pybpf.cc import build

    return build(source, output, extra_flags=list(extra_flags))


@pytest.fixture(scope="session")
def bpf_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bpf-objects")
