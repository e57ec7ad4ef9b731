"""Session fixtures shared by every test directory; plain helpers live in ``testlib``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testlib import (
    ROOT,
    SHARED,
    STRICT,
    VMLINUX,
    bpffs_scratch_dir,
    compile_bpf,
    find_tool,
    require_bpf,
    require_kernel_feature,
    scratch_cgroup,
)

__all__ = ["ROOT", "SHARED", "STRICT", "VMLINUX", "compile_bpf", "find_tool", "require_kernel_feature"]


@pytest.fixture(scope="session")
def vmlinux_btf_path() -> Path:
    require_kernel_feature(
        VMLINUX.is_file() and os.access(VMLINUX, os.R_OK), f"{VMLINUX} is missing or unreadable"
    )
    return VMLINUX


@pytest.fixture(scope="session")
def bpf_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bpf-objects")


@pytest.fixture
def bpf_ok() -> None:
    """Skip (fail under PYBPF_STRICT=1) when this process may not use bpf()."""
    require_bpf()


@pytest.fixture
def bpffs_dir(bpf_ok: None) -> Iterator[Path]:
    """A fresh directory on bpffs, removed with whatever was pinned in it."""
    with bpffs_scratch_dir() as path:
        yield path


@pytest.fixture
def cgroup_dir(bpf_ok: None) -> Iterator[Path]:
    """A fresh cgroup v2 directory (attaching there affects no process), removed afterwards."""
    with scratch_cgroup() as path:
        yield path


@pytest.fixture(scope="session", autouse=True)
def _vmlinux_btf_opened() -> None:
    """Open the running kernel's BTF before any test counts descriptors.

    ``BTF.vmlinux()`` is kept for the whole process and, before Python 3.13, its mapping holds
    one descriptor: whichever test first loads a CO-RE object would otherwise see it as a leak.
    """
    from pybpf.btf import BTF, BTFError

    try:
        BTF.vmlinux()
    except BTFError:
        pass  # no kernel BTF here: the tests that need it skip on their own
