"""Fixtures for tests of the bpf() syscall layer against the running kernel.

``bpf_ok`` and ``bpffs_dir`` come from tests/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_testlib import MAP_HASH, require_kernel_feature

from pybpf import kernel


@pytest.fixture
def hash_map(bpf_ok: None) -> Iterator[kernel.FD]:
    """A hash map u32 -> u64 with 8 entries."""
    with kernel.map_create(MAP_HASH, 4, 8, 8, name="test_hash") as fd:
        yield fd


def _cgroup2_root() -> Path | None:
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return Path(fields[1])
    return None


@pytest.fixture
def cgroup_fd(bpf_ok: None) -> Iterator[int]:
    """An fd of a fresh, empty cgroup v2 directory (attaching there affects no process)."""
    root = _cgroup2_root()
    require_kernel_feature(root is not None, "no cgroup2 mount")
    assert root is not None
    path = root / f"pybpf-test-{os.getpid()}-{os.urandom(4).hex()}"
    path.mkdir()
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield fd
    finally:
        os.close(fd)
        path.rmdir()
