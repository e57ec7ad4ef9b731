"""Helper semantics checked without a compiler: printk formatting, checksums, callbacks,
ring buffer accounting, and the address-space bookkeeping the runtime relies on."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vm_builders import map_at, one_program

from pybpf.enums import MapType, ProgramType
from pybpf.errors import Error
from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction
from pybpf.isa.opcodes import AluOp, JmpOp, Size
from pybpf.spec import MapSpec
from pybpf.vm import AddressSpace, ProgramRejected, RegionKind, VMFault, prepare
from pybpf.vm.helpers.packet import by_diff, csum_partial, field_replaced, fold, replace
from pybpf.vm.helpers.printk import FormatError, format_printk
from pybpf.vm.host import ManualClock
from pybpf.vm.runtime import load

STRINGS = {0x100: b"world"}


@pytest.mark.parametrize(
    ("fmt", "args", "expected"),
    [
        (b"plain\0", [], "plain"),
        (b"%d %u\0", [(1 << 64) - 1, (1 << 64) - 1], "-1 4294967295"),
        (b"%ld %lu\0", [(1 << 64) - 1, 5], "-1 5"),
        (b"%llx %x %X\0", [0x1_0000_00AB, 0x1_0000_00AB, 255], "1000000ab ab FF"),
        (b"%5d|%-4u|%05x\0", [42, 7, 0xAB], "   42|7   |000ab"),
        (b"hello %s\0", [0x100], "hello world"),
        (b"%c%c\0", [ord("o"), ord("k")], "ok"),
        (b"100%%\0", [], "100%"),
        (b"%p\0", [0x1234], "0000000000001234"),
    ],
)
def test_printk_formats_like_the_kernel(fmt: bytes, args: list[int], expected: str) -> None:
    assert format_printk(fmt, args, lambda address: STRINGS[address]) == expected


@pytest.mark.parametrize("fmt", [b"%n\0", b"%f\0", b"%d %d\0"])
def test_printk_refuses_conversions_the_kernel_refuses(fmt: bytes) -> None:
    with pytest.raises(FormatError):
        format_printk(fmt, [1], lambda address: b"")


def _internet_checksum(data: bytes) -> int:
    total = sum(struct.unpack(f"<{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.integers(0, 0xFFFF), min_size=2, max_size=16),
    index=st.integers(0, 15),
    new=st.integers(0, 0xFFFF),
)
def test_incremental_checksum_update_equals_recomputing(words: list[int], index: int, new: int) -> None:
    index %= len(words)
    before = struct.pack(f"<{len(words)}H", *words)
    check = _internet_checksum(before)
    old, words[index] = words[index], new
    after = struct.pack(f"<{len(words)}H", *words)
    # 0 and 0xFFFF are the same number in ones' complement: compare modulo 0xFFFF
    assert replace(check, old, new) % 0xFFFF == _internet_checksum(after) % 0xFFFF


@pytest.mark.parametrize("size", [1, 3, 5, 8])
def test_csum_replace_of_a_field_size_other_than_0_2_or_4_is_invalid(size: int) -> None:
    assert field_replaced(0x1234, 1, 2, size) is None


@pytest.mark.parametrize(
    ("size", "old", "new", "expected"),
    [
        (0, 0, 0x0102, by_diff(0x1234, 0x0102)),
        (2, 0xAB0001, 0xCD0002, replace(0x1234, 0x0001, 0x0002)),
        (4, 0x1_0000_0001, 0x2_0000_0002, replace(0x1234, 0x0000_0001, 0x0000_0002)),
    ],
)
def test_csum_replace_masks_old_and_new_to_the_field_size(
    size: int, old: int, new: int, expected: int
) -> None:
    assert field_replaced(0x1234, old, new, size) == expected


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=4, max_size=64).filter(lambda b: len(b) % 4 == 0))
def test_csum_partial_folds_to_the_internet_checksum(data: bytes) -> None:
    assert fold(csum_partial(data, 0)) == _internet_checksum(data)


def test_a_region_reader_answers_loads_in_place_of_its_bytes() -> None:
    space = AddressSpace()
    region = space.add("ctx", RegionKind.CTX, 8)
    region.reader = lambda offset, size: 0xABCD0000 + offset
    assert space.load(region.base + 4, 4) == 0xABCD0004


def test_a_removed_region_faults_and_its_window_is_reused() -> None:
    space = AddressSpace()
    first = space.add("a", RegionKind.MEMORY, 8)
    space.remove(first)
    with pytest.raises(VMFault):
        space.load(first.base, 1)
    assert space.add("b", RegionKind.MEMORY, 8).base == first.base


def test_a_run_in_a_shared_space_leaves_only_the_regions_it_found() -> None:
    space = AddressSpace()
    keep = space.add("map value", RegionKind.MAP_VALUE, 8)
    program = prepare([c.mov64_imm(0, 1), c.exit()])
    program.run(b"abc", ctx=b"x", packet=b"y", space=space)
    assert space.regions == [keep]


def _looping_program() -> list[Instruction]:
    """bpf_loop(4, callback, 0, 0) with a callback that asks to stop at index 2."""
    return [
        c.mov64_imm(1, 4),
        c.ld_func(2, 5),  # the callback starts after exit (slot 7 = 1 + 1 + 5)
        c.mov64_imm(3, 0),
        c.mov64_imm(4, 0),
        c.call_helper(181),
        c.exit(),
        # callback(index, ctx): stop after index 2 by returning 1
        c.mov64_imm(0, 0),
        c.jmp_imm(JmpOp.JNE, 1, 2, 1),
        c.mov64_imm(0, 1),
        c.exit(),
    ]


def test_bpf_loop_stops_when_the_callback_returns_one() -> None:
    spec = one_program(_looping_program())
    assert load(spec).programs["p"].test_run(ctx=bytes(8)).retval == 3


def _ktime_program() -> list[Instruction]:
    return [c.call_helper(5), c.exit()]


def test_a_manual_clock_drives_ktime_get_ns() -> None:
    clock = ManualClock(100)
    spec = one_program(_ktime_program())
    prog = load(spec, clock=clock).programs["p"]
    clock.advance(50)
    assert prog.test_run(ctx=b"").retval == 150


def _ringbuf_output_program(size: int) -> list[Instruction]:
    return [
        c.st_mem(Size.DW, 10, -8, 0x1122334455667788 & 0x7FFFFFFF),
        c.ld_map_fd(1, 0),
        c.mov64_reg(2, 10),
        c.alu64_imm(AluOp.ADD, 2, -8),
        c.mov64_imm(3, size),
        c.mov64_imm(4, 0),
        c.call_helper(130),
        c.exit(),
    ]


def test_ringbuf_output_fails_with_eagain_once_the_ring_is_full() -> None:
    spec = one_program(
        _ringbuf_output_program(8),
        MapSpec("rb", MapType.RINGBUF, max_entries=32),
        relocations=map_at(1, "rb"),
    )
    obj = load(spec)
    results = [obj.programs["p"].test_run(ctx=b"").retval for _ in range(3)]
    assert results == [0, 0, (-11) & 0xFFFFFFFF]  # two 16-byte records fill 32 bytes
    reader = obj.maps["rb"].ring_buffer()
    assert len(list(reader.poll(0))) == 2
    assert obj.programs["p"].test_run(ctx=b"").retval == 0  # consumed records free the space


def test_perf_event_output_without_an_open_reader_fails_with_enoent() -> None:
    insns = [
        c.st_mem(Size.DW, 10, -8, 7),
        c.mov64_reg(1, 1),
        c.ld_map_fd(2, 0),
        c.ld_imm64(3, 0xFFFFFFFF),
        c.mov64_reg(4, 10),
        c.alu64_imm(AluOp.ADD, 4, -8),
        c.mov64_imm(5, 8),
        c.call_helper(25),
        c.exit(),
    ]
    spec = one_program(
        insns, MapSpec("events", MapType.PERF_EVENT_ARRAY, 4, 4), relocations=map_at(2, "events")
    )
    obj = load(spec, cpus=2)
    assert obj.programs["p"].test_run(ctx=b"").retval == (-2) & 0xFFFFFFFF
    reader = obj.maps["events"].perf_buffer()
    assert obj.programs["p"].test_run(ctx=b"").retval == 0
    assert list(reader.poll(0)) == [(7).to_bytes(8, "little")]


def _reader_program() -> list[Instruction]:
    """Read ctx->data and ctx->data_end (xdp_md and __sk_buff offsets) and return their gap."""
    return [
        c.ldx_mem(Size.W, 2, 1, 0),
        c.ldx_mem(Size.W, 3, 1, 4),
        c.alu64_reg(AluOp.SUB, 3, 2),
        c.mov64_reg(0, 3),
        c.exit(),
    ]


@pytest.mark.parametrize(
    "type", [ProgramType.XDP, ProgramType.SCHED_CLS, ProgramType.SOCKET_FILTER, ProgramType.SYSCALL]
)
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=80), ctx=st.one_of(st.none(), st.binary(max_size=260)))
def test_test_run_on_arbitrary_input_returns_or_raises_a_pybpf_error(
    type: ProgramType, data: bytes, ctx: bytes | None
) -> None:
    spec = one_program(_reader_program(), section="x", type=type)
    prog = load(spec).programs["p"]
    try:
        result = prog.test_run(data, ctx=ctx)
    except Error:
        return
    if type is ProgramType.XDP:
        assert result.retval == len(data)  # data_end - data is the packet length


def test_a_callback_address_out_of_the_program_is_refused() -> None:
    with pytest.raises(ProgramRejected, match="callback address out of range"):
        prepare([c.ld_func(1, 100), c.mov64_imm(0, 0), c.exit()])


def test_a_callback_address_cannot_be_dereferenced() -> None:
    with pytest.raises(VMFault):
        prepare([c.ld_func(1, 3), c.ldx_mem(Size.DW, 0, 1, 0), c.exit(), c.mov64_imm(0, 0), c.exit()]).run()


@pytest.mark.parametrize(("cpu", "flags", "expected"), [(1, 0, 0), (1, 1, 1), (2, 1, 2)])
def test_test_run_on_cpu_sets_what_get_smp_processor_id_returns(cpu: int, flags: int, expected: int) -> None:
    spec = one_program([c.call_helper(8), c.exit()], section="raw_tp/x", type=ProgramType.RAW_TRACEPOINT)
    assert load(spec, cpus=4).programs["p"].test_run(ctx=b"", flags=flags, cpu=cpu).retval == expected


@pytest.mark.parametrize(("what", "expected"), [(0, 16), (1, 32), (2, 0), (3, 16)])
def test_ringbuf_query_reports_positions_and_size(what: int, expected: int) -> None:
    query = [c.ld_map_fd(1, 0), c.mov64_imm(2, what), c.call_helper(134), c.exit()]
    insns = [*_ringbuf_output_program(8)[:-1], *query]
    relocations = map_at(1, "rb") | map_at(8, "rb")
    spec = one_program(insns, MapSpec("rb", MapType.RINGBUF, max_entries=32), relocations=relocations)
    assert load(spec).programs["p"].test_run(ctx=b"").retval == expected
