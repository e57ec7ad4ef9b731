"""What a run of either engine sets up: its regions, its machine, its stack frames."""

from __future__ import annotations

import pytest

from pybpf.vm import AddressSpace, RegionKind, VMFault
from pybpf.vm.machine import frame_switches, map_run, run_space
from pybpf.vm.memory import MAX_CALL_DEPTH, STACK_FRAME_SIZE


def test_a_shared_space_keeps_its_own_regions_and_loses_the_ones_a_run_added() -> None:
    space = AddressSpace()
    kept = space.add("map value", RegionKind.MAP_VALUE, 8)
    with run_space(space, strict_alignment=False) as inside:
        map_run(inside, {}, b"abc", b"ctx", b"pkt", ctx_writable=True, on_start=None)
        assert len(space.regions) == 1 + MAX_CALL_DEPTH + 3
    assert space.regions == [kept]


def test_without_a_shared_space_each_run_gets_a_fresh_one() -> None:
    with run_space(None, strict_alignment=True) as space:
        assert space.regions == [] and space.strict_alignment


@pytest.mark.parametrize(
    ("ctx", "packet", "r1_region", "legacy_region"),
    [(None, None, "memory", "memory"), (b"c", None, "ctx", "memory"), (b"c", b"p", "ctx", "packet")],
)
def test_r1_points_at_ctx_when_given_and_legacy_loads_read_the_packet_when_given(
    ctx: bytes | None, packet: bytes | None, r1_region: str, legacy_region: str
) -> None:
    run = map_run(AddressSpace(), {}, b"m", ctx, packet, ctx_writable=True, on_start=None)
    assert run.machine.regions[r1_region].base == run.r1
    assert run.legacy is run.machine.regions[legacy_region]


def test_only_the_first_stack_frame_is_open_when_a_run_starts() -> None:
    run = map_run(AddressSpace(), {}, b"", None, None, ctx_writable=True, on_start=None)
    assert [frame.hi for frame in run.frames] == [STACK_FRAME_SIZE] + [0] * (MAX_CALL_DEPTH - 1)


def test_entering_a_frame_opens_it_and_leaving_closes_it_telling_the_engine_both_times() -> None:
    run = map_run(AddressSpace(), {}, b"", None, None, ctx_writable=True, on_start=None)
    heard: list[tuple[str, int]] = []
    enter, leave = frame_switches(run.frames, lambda frame: heard.append((frame.name, frame.hi)))
    assert enter(1) == run.frames[1].end
    leave(1)
    assert heard == [("stack (frame 1)", STACK_FRAME_SIZE), ("stack (frame 1)", 0)]


def test_entering_a_frame_deeper_than_the_vm_has_faults() -> None:
    run = map_run(AddressSpace(), {}, b"", None, None, ctx_writable=True, on_start=None)
    enter, _ = frame_switches(run.frames, lambda frame: None)
    with pytest.raises(VMFault, match=f"call depth exceeds {MAX_CALL_DEPTH} frames"):
        enter(MAX_CALL_DEPTH)


def test_the_result_copies_memory_ctx_and_packet_as_the_program_left_them() -> None:
    run = map_run(AddressSpace(), {}, b"mem", b"ctx", b"pkt", ctx_writable=True, on_start=None)
    run.memory.buf[0:1] = b"M"
    run.machine.state[0] = 7
    result = run.result(42)
    assert (result.r0, result.memory, result.instructions, result.ctx, result.packet) == (
        42,
        b"Mem",
        7,
        b"ctx",
        b"pkt",
    )
