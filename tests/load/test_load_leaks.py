"""Loading and closing an object many times leaks no fd and no kernel program."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import pybpf.runtime
from pybpf.kernel import ObjectKind, ids
from pybpf.spec import ObjectSpec

pytestmark = pytest.mark.kernel

ROUNDS = 1000


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_thousand_loads_and_closes_leave_fds_and_prog_ids_as_they_were(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    spec = ObjectSpec.from_file(build_object("tiny"))
    with pybpf.runtime.load(spec):
        pass  # warm caches (feature probes) that legitimately stay open-free
    fds_before = _fd_count()
    created: set[int] = set()
    for _ in range(ROUNDS):
        obj = pybpf.runtime.load(spec)
        created.add(obj.programs["count"].info.id)
        obj.close()
    assert _fd_count() == fds_before
    assert len(created) == ROUNDS
    # Other processes may load programs meanwhile: only ours must all be gone.
    assert not created & set(ids(ObjectKind.PROG))


def test_closing_an_object_twice_is_harmless(bpf_ok: None, build_object: Callable[[str], Path]) -> None:
    obj = pybpf.runtime.load(build_object("tiny"))
    obj.close()
    obj.close()
    assert obj.closed


def test_leaving_the_with_block_closes_every_fd(bpf_ok: None, build_object: Callable[[str], Path]) -> None:
    with pybpf.runtime.load(build_object("tiny")) as obj:
        fds = [obj.programs["count"].fd, obj.maps["hits"].fd, obj.btf_fd]
    assert all(fd is not None and fd.closed for fd in fds)
