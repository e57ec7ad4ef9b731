"""Differential: the same object through the kernel runtime and through the VM gives the same
return values, output packets, output contexts, ring buffer records and map contents."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_support import example_spec, runtime_spec, udp_packet

from pybpf.enums import ProgramType
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import Size
from pybpf.kernel.errors import KernelError
from pybpf.spec import ObjectSpec, ProgramSpec
from pybpf.vm.runtime import load as vm_load
from testlib import require_kernel_feature

pytestmark = [pytest.mark.kernel, pytest.mark.tool]

SKB_SIZE = 192
XDP_DROP, XDP_REDIRECT = 1, 4
Outcome = tuple[object, ...]


def _prepared(spec: ObjectSpec) -> ObjectSpec:
    spec.rodata["multiplier"] = 5
    spec.maps["jumps"].slots = {0: "xdp_tail_target"}
    return spec


class Pair:
    """One object loaded in both runtimes."""

    def __init__(self, spec: ObjectSpec) -> None:
        from pybpf.runtime import load as kernel_load

        self.kernel = kernel_load(spec)
        self.vm = vm_load(spec)

    def run(
        self, program: str, data: bytes, ctx: bytes | None = None, repeat: int = 1
    ) -> tuple[Outcome, Outcome]:
        """(kernel, VM) outcomes: (retval, data, ctx), or the refusal's class and errno."""
        results: list[Outcome] = []
        for obj in (self.kernel, self.vm):
            try:
                r = obj.programs[program].test_run(data, ctx=ctx, repeat=repeat)
            except KernelError as exc:
                results.append((type(exc).__name__, exc.errno))
                continue
            results.append((r.retval, r.data, r.ctx))
        return results[0], results[1]

    def close(self) -> None:
        self.kernel.close()
        self.vm.close()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    spec = _prepared(runtime_spec())
    try:
        both = Pair(spec)
    except Exception as exc:  # any refusal means this machine cannot run the comparison
        require_kernel_feature(False, f"the kernel runtime could not load the test object: {exc}")
        raise
    yield both
    both.close()


@pytest.fixture(scope="module")
def examples() -> Iterator[dict[str, Pair]]:
    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    pairs = {name: Pair(example_spec(name)) for name in ("xdp", "tc", "sockfilter")}
    yield pairs
    for p in pairs.values():
        p.close()


PACKETS = {
    "udp": udp_packet(b"payload"),
    "tcp": udp_packet(b"x" * 20, proto=6),
    "ipv6-ethertype": udp_packet(b"", ethertype=0x86DD),
    "runt": udp_packet()[:20],
}


@pytest.mark.parametrize(
    "program", ["xdp_pop_ethernet", "xdp_grow_tail", "xdp_redirect_out", "xdp_tail_entry"]
)
@pytest.mark.parametrize("packet", list(PACKETS), ids=list(PACKETS))
def test_xdp_programs_agree_with_the_kernel(pair: Pair, program: str, packet: str) -> None:
    kernel, vm = pair.run(program, PACKETS[packet])
    assert vm == kernel


@pytest.mark.parametrize("packet", list(PACKETS), ids=list(PACKETS))
def test_tc_rewrite_agrees_with_the_kernel_on_data_and_ctx(pair: Pair, packet: str) -> None:
    kernel, vm = pair.run("tc_rewrite_ttl", PACKETS[packet], bytes(SKB_SIZE))
    assert vm == kernel


def test_map_contents_agree_after_the_same_runs(pair: Pair) -> None:
    for packet in PACKETS.values():
        pair.run("xdp_lengths", packet)
    for name in ("lengths", "stats"):
        assert dict(pair.vm.maps[name].items()) == dict(pair.kernel.maps[name].items())
    assert [pair.vm.maps["lens_fifo"].pop() for _ in PACKETS] == [
        pair.kernel.maps["lens_fifo"].pop() for _ in PACKETS
    ]


def test_socket_filter_ring_buffer_records_agree(pair: Pair) -> None:
    from pybpf.events import RingBuffer

    packet = PACKETS["udp"]
    kernel, vm = pair.run("sock_report", packet)
    assert vm == kernel
    with RingBuffer(pair.kernel.maps["events"].fd) as ring:
        kernel_records = list(ring.poll(0))
    assert list(pair.vm.maps["events"].ring_buffer().poll(0)) == kernel_records


@pytest.mark.parametrize(
    ("example", "program", "ctx"),
    [
        ("xdp", "xdp_count", None),
        ("tc", "tc_ingress", bytes(SKB_SIZE)),
        ("sockfilter", "socket_handler", None),
    ],
)
@pytest.mark.parametrize("packet", list(PACKETS), ids=list(PACKETS))
def test_examples_agree_with_the_kernel(
    examples: dict[str, Pair], example: str, program: str, ctx: bytes | None, packet: str
) -> None:
    kernel, vm = examples[example].run(program, PACKETS[packet], ctx)
    assert vm == kernel


def test_example_xdp_counters_agree_with_the_kernel(examples: dict[str, Pair]) -> None:
    pair = examples["xdp"]
    for packet in PACKETS.values():
        pair.run("xdp_count", packet)
    kernel = {k: sum(v) for k, v in pair.kernel.maps["proto_count"].items()}
    vm = {k: sum(v) for k, v in pair.vm.maps["proto_count"].items()}
    assert vm == kernel


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ttl=st.integers(0, 255), proto=st.integers(0, 255), tail=st.binary(max_size=40))
def test_random_ipv4_packets_agree_through_tc_rewrite(pair: Pair, ttl: int, proto: int, tail: bytes) -> None:
    kernel, vm = pair.run("tc_rewrite_ttl", udp_packet(tail, ttl=ttl, proto=proto), bytes(SKB_SIZE))
    assert vm == kernel


def _xdp_md(data: int, data_end: int, ingress: int = 0, queue: int = 0, egress: int = 0) -> bytes:
    return struct.pack("<6I", data, data_end, 0, ingress, queue, egress)


XDP_CONTEXTS = {
    "none": None,
    "plain": _xdp_md(0, len(PACKETS["udp"])),
    "metadata": _xdp_md(4, len(PACKETS["udp"])),
    "ingress": _xdp_md(0, len(PACKETS["udp"]), ingress=1),
    "data-past-end": _xdp_md(60, len(PACKETS["udp"])),
    "egress": _xdp_md(0, len(PACKETS["udp"]), egress=1),
}


@pytest.mark.parametrize("program", ["xdp_add_meta", "xdp_ingress_info", "xdp_pop_ethernet"])
@pytest.mark.parametrize("ctx", list(XDP_CONTEXTS), ids=list(XDP_CONTEXTS))
def test_xdp_contexts_agree_with_the_kernel(pair: Pair, program: str, ctx: str) -> None:
    kernel, vm = pair.run(program, PACKETS["udp"], XDP_CONTEXTS[ctx])
    assert vm == kernel


def test_inner_maps_reached_through_an_array_of_maps_agree(pair: Pair) -> None:
    for packet in PACKETS.values():
        pair.run("xdp_inner_map", packet)
    for name in ("inner_a", "inner_b"):
        assert pair.vm.maps[name][0] == pair.kernel.maps[name][0]


@pytest.mark.parametrize("packet", list(PACKETS), ids=list(PACKETS))
def test_checksum_helpers_agree_with_the_kernel(pair: Pair, packet: str) -> None:
    kernel, vm = pair.run("tc_nat", PACKETS[packet], bytes(SKB_SIZE))
    assert vm == kernel


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=30))
def test_nat_rewrites_of_random_udp_packets_agree(pair: Pair, payload: bytes) -> None:
    kernel, vm = pair.run("tc_nat", udp_packet(payload), bytes(SKB_SIZE))
    assert vm == kernel


def test_redirect_map_agrees_with_the_kernel_on_filled_and_empty_slots(pair: Pair) -> None:
    for obj in (pair.kernel, pair.vm):
        obj.maps["ports"][1] = 1  # the loopback device
    verdicts = set()
    for size in range(40, 44):  # length & 3 picks slots 0..3
        kernel, vm = pair.run(
            "xdp_redirect_port", udp_packet(bytes(size - 42)) if size >= 42 else udp_packet()[:size]
        )
        assert vm == kernel
        verdicts.add(vm[0])
    assert verdicts == {XDP_DROP, XDP_REDIRECT}


@pytest.mark.parametrize(
    ("program", "ctx"),
    [
        ("xdp_pop_ethernet", None),
        ("xdp_grow_tail", None),
        ("xdp_add_meta", None),
        ("tc_rewrite_ttl", bytes(SKB_SIZE)),
        ("tc_nat", bytes(SKB_SIZE)),
    ],
)
def test_repeated_runs_share_one_packet_as_in_the_kernel(pair: Pair, program: str, ctx: bytes | None) -> None:
    kernel, vm = pair.run(program, PACKETS["udp"], ctx, repeat=3)
    assert vm == kernel


@pytest.mark.parametrize("offset", [0, 9, 12, 60])
@pytest.mark.parametrize("type", [ProgramType.SOCKET_FILTER, ProgramType.SCHED_CLS])
def test_legacy_packet_loads_count_from_the_same_byte_as_the_kernel(
    pair: Pair, type: ProgramType, offset: int
) -> None:
    from pybpf.runtime import load as kernel_load

    insns = [c.mov64_reg(6, 1), c.ld_abs(Size.H, offset), c.exit()]
    spec = ObjectSpec(programs={"p": ProgramSpec("p", "socket", type, instructions=insns, license="GPL")})
    with kernel_load(spec) as kernel:
        both = [obj.programs["p"].test_run(PACKETS["udp"]) for obj in (kernel, vm_load(spec))]
    assert both[1].retval == both[0].retval
