"""Fixtures for the attach tests: bpf() access, counter maps, cgroups."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_testlib import bpf_refusal, new_counter_map, require_kernel_feature

from pybpf import kernel


@pytest.fixture
def bpf_ok() -> None:
    """Skip (fail under PYBPF_STRICT=1) when this process may not use bpf()."""
    refusal = bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")


@pytest.fixture
def counter_map(bpf_ok: None) -> Iterator[kernel.FD]:
    """An array map u32 -> u64 of one slot: the counter the test programs increment."""
    with new_counter_map() as fd:
        yield fd


def _cgroup2_root() -> Path | None:
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return Path(fields[1])
    return None


@pytest.fixture
def cgroup_dir(bpf_ok: None) -> Iterator[Path]:
    """A fresh cgroup v2 directory, removed afterwards."""
    root = _cgroup2_root()
    require_kernel_feature(root is not None, "no cgroup2 mount")
    assert root is not None
    path = root / f"pybpf-attach-{os.getpid()}-{os.urandom(4).hex()}"
    path.mkdir()
    try:
        yield path
    finally:
        # Move any process we put there back to the root before removing it.
        procs = (path / "cgroup.procs").read_text().split()
        for pid in procs:
            (root / "cgroup.procs").write_text(pid)
        path.rmdir()
