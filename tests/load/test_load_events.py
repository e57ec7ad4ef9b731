"""Ring buffer records read through ``Map.ring_buffer(type=...)``, decoded by the object's BTF."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import pybpf
from pybpf.runtime.values import MapValueError

pytestmark = pytest.mark.kernel


def test_ring_buffer_records_decode_as_the_named_struct(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    with pybpf.load(build_object("bootstrap")) as obj:
        obj.attach_all()
        with obj.maps["rb"].ring_buffer(type="struct event") as events:
            child = subprocess.run(["/bin/true"], check=True)
            assert child.returncode == 0
            seen = [ev for ev in events.poll(timeout=1.0) if ev.ppid == os.getpid()]
    execs = [ev for ev in seen if not ev.exit_event]
    exits = [ev for ev in seen if ev.exit_event]
    assert execs and execs[0].comm.rstrip(b"\0") == b"true"
    assert exits and exits[0].pid == execs[0].pid


def test_ring_buffer_of_a_type_missing_from_btf_says_how_to_add_it(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    with (
        pybpf.load(build_object("bootstrap")) as obj,
        pytest.raises(MapValueError, match=r"no struct .struct nothing_like_this.*unused global"),
    ):
        obj.maps["rb"].ring_buffer(type="struct nothing_like_this")
