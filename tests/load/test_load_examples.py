"""Every example of the project loads into the running kernel; a few are exercised further."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from load_testlib import EXAMPLES, ethernet, ipv4

import pybpf.runtime
from pybpf.spec import ObjectSpec

pytestmark = pytest.mark.kernel

EXAMPLE_NAMES = sorted(p.name.removesuffix(".bpf.c") for p in EXAMPLES.glob("*.bpf.c"))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_loads_with_every_program_and_map(
    bpf_ok: None, build_object: Callable[[str], Path], name: str
) -> None:
    spec = ObjectSpec.from_file(build_object(name))
    with pybpf.runtime.load(spec) as obj:
        assert set(obj.programs) == {p.name for p in spec.programs.values() if p.autoload}
        assert set(obj.maps) == set(spec.maps)


def test_bootstrap_config_set_from_python_is_in_the_frozen_rodata(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    spec = ObjectSpec.from_file(build_object("bootstrap"))
    spec.rodata["min_duration_ns"] = 1_000_000
    with pybpf.runtime.load(spec) as obj:
        assert obj.maps[".rodata"][0].min_duration_ns == 1_000_000
        assert obj.maps["rb"].info.type == 27  # BPF_MAP_TYPE_RINGBUF
        exec_start = obj.maps["exec_start"]
        exec_start[1234] = 99
        assert dict(exec_start.items()) == {1234: 99}


def test_autoload_false_skips_the_program(bpf_ok: None, build_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(build_object("bootstrap"))
    spec.programs["handle_exit"].autoload = False
    with pybpf.runtime.load(spec) as obj:
        assert set(obj.programs) == {"handle_exec"}


@pytest.mark.parametrize(("protocol", "index"), [(6, 6), (17, 17), (1, 1)], ids=["tcp", "udp", "icmp"])
def test_xdp_example_counts_packets_per_protocol(
    bpf_ok: None, build_object: Callable[[str], Path], protocol: int, index: int
) -> None:
    frame = ethernet(bytes(6), bytes(6), 0x0800, ipv4(protocol, bytes(20)))
    with pybpf.runtime.load(build_object("xdp")) as obj:
        obj.programs["xdp_count"].test_run(frame, repeat=3)
        counts = obj.maps["proto_count"]
        assert counts[index].sum() == 3
        assert counts[255].sum() == 0
