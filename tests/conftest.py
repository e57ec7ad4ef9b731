"""Shared test fixtures.

Kernel-dependent tests use :func:`require_kernel_feature`: it skips with the reason where the
machine refuses, and under ``PYBPF_STRICT=1`` (set by ``.ci/run``) it fails instead, so CI on the
development machine can never pass by skipping what it must exercise.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

STRICT = os.environ.get("PYBPF_STRICT") == "1"
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VMLINUX = Path("/sys/kernel/btf/vmlinux")


def require_kernel_feature(available: bool, reason: str) -> None:
    """Skip (or fail, under PYBPF_STRICT=1) a test whose kernel feature is unavailable."""
    if available:
        return
    if STRICT:
        pytest.fail(f"PYBPF_STRICT=1 and a kernel feature is missing: {reason}")
    pytest.skip(reason)


def find_tool(*names: str) -> str | None:
    """First of ``names`` found on PATH (reference tools: llvm-objdump, bpftool, ...)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


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
