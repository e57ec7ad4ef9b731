"""Fixtures for tests of the bpf() syscall layer against the running kernel.

``bpf_ok``, ``bpffs_dir`` and ``cgroup_dir`` come from tests/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_testlib import MAP_HASH

from pybpf import kernel


@pytest.fixture
def hash_map(bpf_ok: None) -> Iterator[kernel.FD]:
    """A hash map u32 -> u64 with 8 entries."""
    with kernel.map_create(MAP_HASH, 4, 8, 8, name="test_hash") as fd:
        yield fd


@pytest.fixture
def cgroup_fd(cgroup_dir: Path) -> Iterator[int]:
    """An fd of a fresh, empty cgroup v2 directory (attaching there affects no process)."""
    fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield fd
    finally:
        os.close(fd)
