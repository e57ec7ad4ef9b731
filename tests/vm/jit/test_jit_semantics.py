"""The JIT on the corners: faults, calls, helpers, the budget, legacy loads, shared address spaces."""

from __future__ import annotations

from typing import Any

import pytest
from jit_support import outcome, require_llvmlite
from vm_builders import returning

from pybpf.errors import Error
from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, Size
from pybpf.vm import AddressSpace, ExitProgram, Machine, ProgramRejected, RegionKind, VMFault, prepare, run

require_llvmlite()

from pybpf.vm import jit  # noqa: E402

M64 = (1 << 64) - 1


def _noop(vm: Machine, *args: int) -> int:
    return 0


# (program, keyword arguments): each must give the interpreter's exact outcome on the JIT.
CASES = [
    pytest.param(
        returning(c.ldx_mem(Size.DW, 0, 1, 8)), {"memory": bytes(12)}, id="load past the end of memory"
    ),
    pytest.param(returning(c.mov64_imm(1, 0), c.ldx_mem(Size.W, 0, 1, 0)), {}, id="null pointer load"),
    pytest.param(returning(c.ldx_mem(Size.DW, 0, 10, -516)), {}, id="load below the stack frame"),
    pytest.param(returning(c.ldx_mem(Size.B, 0, 10, 0)), {}, id="load at the frame pointer"),
    pytest.param(returning(c.ldx_mem(Size.W, 0, 10, -6)), {}, id="misaligned stack load"),
    pytest.param(
        returning(c.mov64_reg(2, 10), c.alu64_imm(AluOp.ADD, 2, -7), c.ldx_mem(Size.H, 0, 2, 0)),
        {},
        id="misaligned stack load through a pointer",
    ),
    pytest.param(returning(c.ldx_mem(Size.W, 0, 1, 1)), {"memory": bytes(8)}, id="misaligned memory load"),
    pytest.param(
        returning(c.ldx_mem(Size.W, 0, 1, 1)),
        {"memory": bytes(8), "strict_alignment": True},
        id="misaligned memory load under strict alignment",
    ),
    pytest.param(
        returning(c.st_mem(Size.B, 1, 0, 7)),
        {"ctx": bytes(4), "ctx_writable": False},
        id="store to read-only ctx",
    ),
    pytest.param(
        returning(c.mov64_imm(2, 1), c.atomic(Size.W, AtomicOp.ADD, 1, 2, 0)),
        {"ctx": bytes(4), "ctx_writable": False},
        id="atomic add on read-only ctx",
    ),
    pytest.param(
        returning(c.mov64_imm(0, 7), c.atomic(Size.DW, AtomicOp.CMPXCHG, 1, 2, 0)),
        {"memory": (7).to_bytes(8, "little")},
        id="cmpxchg that matches",
    ),
    pytest.param(
        returning(c.mov64_imm(2, -1), c.atomic(Size.W, AtomicOp.FETCH_ADD, 1, 2, 0), c.mov64_reg(0, 2)),
        {"memory": (5).to_bytes(4, "little")},
        id="32-bit fetch-add zero-extends the fetched value",
    ),
    pytest.param(returning(c.ld_abs(Size.W, 2)), {"memory": bytes(range(8))}, id="ld_abs reads big endian"),
    pytest.param(returning(c.ld_abs(Size.W, 6)), {"memory": bytes(8)}, id="ld_abs past the end exits with 0"),
    pytest.param(
        returning(c.mov64_imm(3, -3), c.ld_ind(Size.H, 3, 4)),
        {"packet": b"\x01\x02\x03"},
        id="ld_ind adds src and imm",
    ),
    pytest.param(
        returning(c.mov64_imm(3, -8), c.ld_ind(Size.B, 3, 4)), {"packet": b"\x01"}, id="ld_ind negative"
    ),
    pytest.param([c.call_rel(-1), c.exit()], {}, id="recursion beyond eight frames"),
    pytest.param(
        [c.mov64_imm(1, 0), c.call_rel(1), c.exit(), c.ldx_mem(Size.W, 0, 1, 0), c.exit()],
        {},
        id="fault in a callee names the callee instruction",
    ),
    pytest.param(
        [c.mov64_reg(1, 10), c.call_rel(2), c.ldx_mem(Size.DW, 0, 1, -8), c.exit(), c.exit()],
        {},
        id="caller frame stays usable in a callee",
    ),
    pytest.param(
        [
            c.call_rel(3),
            c.ldx_mem(Size.DW, 0, 0, 0),  # r0 points into the callee's dead frame
            c.exit(),
            c.exit(),
            c.mov64_reg(0, 10),
            c.alu64_imm(AluOp.ADD, 0, -8),
            c.exit(),
        ],
        {},
        id="callee frame is gone after return",
    ),
    pytest.param([c.ja(-1), c.exit()], {"budget": 1000}, id="endless loop hits the budget"),
    pytest.param(
        [c.mov64_imm(3, 4), c.callx(3), c.exit()], {"helpers": {9: _noop}}, id="callx of an unknown helper"
    ),
    pytest.param(
        [c.mov64_imm(1, 3), c.may_goto(1), c.ja(-2), c.mov64_imm(0, 1), c.exit()],
        {"budget": 10**8},
        id="may_goto ends a loop after its iterations",
    ),
    pytest.param(
        returning(
            c.mov64_imm(1, 1),
            c.alu64_imm(AluOp.LSH, 1, 63),
            c.mov64_imm(2, -1),
            c.mov64_reg(0, 1),
            c.alu64_reg(AluOp.DIV, 0, 2, signed=True),
        ),
        {},
        id="INT64_MIN / -1 wraps",
    ),
    pytest.param(
        returning(c.mov32_imm(0, -(2**31)), c.alu32_imm(AluOp.MOD, 0, -1, signed=True)),
        {},
        id="INT32_MIN % -1 is zero",
    ),
    pytest.param(
        returning(c.mov64_imm(0, -1), c.alu32_imm(AluOp.MOD, 0, 0)), {}, id="32-bit mod by zero truncates"
    ),
    pytest.param(
        returning(c.ld_imm64(0, 0x0102030405060708), c.to_be(0, 16)), {}, id="to_be 16 truncates and swaps"
    ),
    pytest.param(returning(c.ld_imm64(0, 0x0102030405060708), c.bswap(0, 32)), {}, id="bswap 32"),
    pytest.param(
        returning(c.mov64_imm(1, 0x80), c.movsx32(0, 1, 8)), {}, id="movsx32 zero-extends after sign"
    ),
    pytest.param(returning(c.ldx_memsx(Size.H, 0, 1, 0)), {"memory": b"\x00\x80"}, id="ldsx sign-extends"),
    pytest.param([c.gotol(1), c.exit(), c.mov64_imm(0, 3), c.exit()], {}, id="gotol"),
]


@pytest.mark.parametrize(("program", "kwargs"), CASES)
def test_jit_gives_the_interpreters_exact_outcome(program: list[Instruction], kwargs: dict[str, Any]) -> None:
    assert outcome(jit.run, program, **kwargs) == outcome(run, program, **kwargs)


def test_memory_fault_names_instruction_address_size_and_region() -> None:
    with pytest.raises(VMFault, match="past the end of 'memory'") as info:
        jit.run(returning(c.mov64_imm(0, 0), c.ldx_mem(Size.DW, 0, 1, 8)), memory=bytes(12))
    fault = info.value
    assert (fault.index, fault.size, fault.region) == (1, 8, "memory")


def test_budget_fault_names_the_budget() -> None:
    with pytest.raises(VMFault, match="budget of 1000 exhausted"):
        jit.run([c.ja(-1), c.exit()], budget=1000)


def test_loop_that_fits_the_budget_exactly_completes() -> None:
    program = [c.mov64_imm(1, 10), c.alu64_imm(AluOp.SUB, 1, 1), c.jmp_imm(JmpOp.JNE, 1, 0, -2), c.exit()]
    count = run(program).instructions
    assert jit.run(program, budget=count).instructions == count


def test_eight_nested_frames_are_allowed() -> None:
    program = [c.call_rel(1) if i % 2 == 0 else c.exit() for i in range(14)] + returning(c.mov64_imm(0, 7))
    assert jit.run(program).r0 == 7


def test_helper_receives_r1_to_r5_and_its_result_is_masked_to_64_bits() -> None:
    seen: list[tuple[int, ...]] = []

    def helper(vm: Machine, *args: int) -> int:
        seen.append(args)
        return -1

    program = [*(c.mov64_imm(i, i * 10) for i in range(1, 6)), c.call_helper(7), c.exit()]
    assert jit.run(program, helpers={7: helper}).r0 == M64
    assert seen == [(10, 20, 30, 40, 50)]


def test_helper_sees_the_instruction_count_so_far() -> None:
    counts: list[int] = []

    def helper(vm: Machine, *args: int) -> int:
        counts.append(vm.instructions)
        return 0

    jit.run([c.mov64_imm(0, 0), c.mov64_imm(1, 0), c.call_helper(3), c.exit()], helpers={3: helper})
    assert counts == [4]


def test_helper_reads_and_writes_the_stack_through_the_machine() -> None:
    def helper(vm: Machine, r1: int, *rest: int) -> int:
        value = int.from_bytes(vm.memory.read_bytes(r1, 8), "little")
        vm.memory.write_bytes(r1, (value * 2).to_bytes(8, "little"))
        return 0

    program = [
        c.st_mem(Size.DW, 10, -8, 21),
        c.mov64_reg(1, 10),
        c.alu64_imm(AluOp.ADD, 1, -8),
        c.call_helper(3),
        c.ldx_mem(Size.DW, 0, 10, -8),
        c.exit(),
    ]
    assert jit.run(program, helpers={3: helper}).r0 == 42


def test_helper_in_a_callee_can_use_the_callee_frame() -> None:
    def helper(vm: Machine, r1: int, *rest: int) -> int:
        return int.from_bytes(vm.memory.read_bytes(r1, 8), "little")

    program = [
        c.call_rel(1),
        c.exit(),
        c.st_mem(Size.DW, 10, -8, 99),
        c.mov64_reg(1, 10),
        c.alu64_imm(AluOp.ADD, 1, -8),
        c.call_helper(3),
        c.exit(),
    ]
    assert jit.run(program, helpers={3: helper}).r0 == 99


def test_region_a_helper_maps_is_accessible_to_the_program() -> None:
    def lookup(vm: Machine, *args: int) -> int:
        value = vm.memory.add("map value", RegionKind.MAP_VALUE, (1234).to_bytes(8, "little"))
        return value.base

    program = [c.call_helper(1), c.ldx_mem(Size.DW, 0, 0, 0), c.exit()]
    assert jit.run(program, helpers={1: lookup}).r0 == 1234


def test_helper_can_end_the_program_with_exit_program() -> None:
    def stop(vm: Machine, *args: int) -> int:
        raise ExitProgram(5)

    assert jit.run([c.call_helper(3), c.mov64_imm(0, 1), c.exit()], helpers={3: stop}).r0 == 5


def test_helper_exception_becomes_a_fault_at_the_call() -> None:
    def broken(vm: Machine, *args: int) -> int:
        raise ZeroDivisionError("boom")

    with pytest.raises(VMFault, match="helper failed: ZeroDivisionError: boom") as info:
        jit.run([c.mov64_imm(0, 1), c.call_helper(3), c.exit()], helpers={3: broken})
    assert info.value.index == 1


def test_helper_pybpf_error_passes_through_unchanged() -> None:
    class Custom(Error):
        pass

    def broken(vm: Machine, *args: int) -> int:
        raise Custom("mine")

    with pytest.raises(Custom, match="mine"):
        jit.run([c.call_helper(3), c.exit()], helpers={3: broken})


def test_helper_memory_fault_is_located_at_the_call() -> None:
    def reader(vm: Machine, r1: int, *rest: int) -> int:
        vm.memory.read_bytes(r1, 8)
        return 0

    with pytest.raises(VMFault, match="outside any region") as info:
        jit.run([c.mov64_imm(1, 64), c.call_helper(3), c.exit()], helpers={3: reader})
    assert info.value.index == 1


def test_unknown_helper_is_refused_when_prepared() -> None:
    with pytest.raises(ProgramRejected, match="unknown helper 1") as info:
        jit.prepare(returning(c.call_helper(1)))
    assert info.value.index == 0


def test_prepared_program_runs_repeatedly_with_fresh_memory() -> None:
    program = jit.prepare(returning(c.ldx_mem(Size.B, 0, 1, 0), c.st_mem(Size.B, 1, 0, 9)))
    assert [program.run(b"\x01").r0, program.run(b"\x02").r0, program.run(b"\x01").memory] == [1, 2, b"\x09"]


def test_run_in_a_shared_space_removes_its_own_regions_afterwards() -> None:
    space = AddressSpace()
    kept = space.add("map value", RegionKind.MAP_VALUE, (77).to_bytes(8, "little"))
    program = [c.ld_imm64(1, kept.base), c.ldx_mem(Size.DW, 0, 1, 0), c.exit()]
    assert jit.prepare(program).run(space=space).r0 == 77
    assert space.regions == [kept]


def test_memory_buffers_can_be_resized_after_a_run() -> None:
    space = AddressSpace()
    kept = space.add("map value", RegionKind.MAP_VALUE, bytes(8))
    jit.prepare([c.ld_imm64(1, kept.base), c.st_mem(Size.B, 1, 0, 1), c.exit()]).run(space=space)
    kept.buf.extend(b"\0")  # the JIT's pin on the buffer was released
    assert kept.buf[0] == 1


def _pointer_reader(offset: int, size: int) -> int:
    """Like a context whose 32-bit field at offset 4 reads as a 64-bit pointer."""
    if offset == 4:
        return 0x1_2345_6789
    if offset == 8:
        raise ValueError("field 8 is not readable")
    return offset * 0x11


READER_PROGRAMS = [
    pytest.param(returning(c.ldx_mem(Size.W, 0, 1, 4)), id="32-bit field reads as a 64-bit value"),
    pytest.param(returning(c.ldx_mem(Size.B, 0, 1, 2)), id="byte load is computed"),
    pytest.param(returning(c.ldx_memsx(Size.H, 0, 1, 12)), id="signed load takes the computed value"),
    pytest.param(returning(c.ldx_mem(Size.W, 0, 1, 8)), id="reader failure is a fault at the load"),
    pytest.param(returning(c.ldx_mem(Size.W, 0, 1, 16)), id="bounds are checked before the reader"),
    pytest.param(
        returning(c.mov64_imm(2, 1), c.atomic(Size.W, AtomicOp.FETCH_ADD, 1, 2, 12), c.mov64_reg(0, 2)),
        id="atomic reads through the reader and writes the buffer",
    ),
    pytest.param(
        returning(c.st_mem(Size.W, 1, 0, 9), c.ldx_mem(Size.W, 0, 1, 0)), id="stores go to the buffer"
    ),
]


@pytest.mark.parametrize("program", READER_PROGRAMS)
def test_region_with_a_python_reader_behaves_as_on_the_interpreter(program: list[Instruction]) -> None:
    def attach(vm: Machine) -> None:
        vm.regions["ctx"].reader = _pointer_reader

    interpreted, compiled = prepare(program), jit.prepare(program)
    expected = outcome(lambda: interpreted.run(ctx=bytes(16), on_start=attach))
    assert outcome(lambda: compiled.run(ctx=bytes(16), on_start=attach)) == expected


def _bpf_loop(vm: Machine, count: int, callback: int, ctx: int, flags: int, unused: int) -> int:
    """A bpf_loop-like helper: call ``callback(i, ctx)`` until it returns non-zero."""
    for i in range(count):
        if vm.call(callback, i, ctx):
            return i + 1
    return count


def _callback_program(body: list[Instruction]) -> list[Instruction]:
    """main: bpf_loop(10, callback, r10 - 8) then return *(u64 *)(r10 - 8); callback: ``body``."""
    return [
        c.st_mem(Size.DW, 10, -8, 0),
        c.mov64_imm(1, 10),
        c.ld_func(2, 6),  # the callback starts 6 slots after this lddw's second slot
        c.mov64_reg(3, 10),
        c.alu64_imm(AluOp.ADD, 3, -8),
        c.call_helper(181),
        c.ldx_mem(Size.DW, 0, 10, -8),
        c.exit(),
        *body,
    ]


CALLBACKS = [
    pytest.param(
        [
            c.ldx_mem(Size.DW, 3, 2, 0),
            c.alu64_reg(AluOp.ADD, 3, 1),
            c.stx_mem(Size.DW, 2, 3, 0),
            *returning(c.mov64_imm(0, 0)),
        ],
        id="callback sums its indices into the caller's stack",
    ),
    pytest.param(
        returning(
            c.mov64_reg(0, 1), c.alu64_imm(AluOp.SUB, 0, 3), c.jmp_imm(JmpOp.JEQ, 0, 0, 1), c.mov64_imm(0, 0)
        ),
        id="callback stops the loop",
    ),
    pytest.param(returning(c.mov64_imm(4, 0), c.ldx_mem(Size.B, 0, 4, 0)), id="fault inside a callback"),
    pytest.param([c.ja(-1), c.exit()], id="endless callback hits the budget"),
]


@pytest.mark.parametrize("body", CALLBACKS)
def test_callback_run_by_a_helper_behaves_as_on_the_interpreter(body: list[Instruction]) -> None:
    program = _callback_program(body)
    kwargs: dict[str, Any] = {"helpers": {181: _bpf_loop}, "budget": 5000}
    expected = outcome(run, program, **kwargs)
    assert outcome(jit.run, program, **kwargs) == expected


def test_helper_may_resize_the_packet_and_legacy_loads_see_the_new_length() -> None:
    def grow(vm: Machine, *args: int) -> int:
        vm.regions["packet"].buf.extend(b"\x07\x08")
        vm.regions["packet"].hi += 2
        return 0

    program = [c.call_helper(44), c.ld_abs(Size.H, 2), c.exit()]
    kwargs: dict[str, Any] = {"packet": b"\x01\x02", "helpers": {44: grow}}
    assert outcome(jit.run, program, **kwargs) == outcome(run, program, **kwargs)
    assert jit.run(program, **kwargs).r0 == 0x0708


def test_callback_sees_a_region_its_helper_mapped_just_before() -> None:
    def for_each(vm: Machine, callback: int, *rest: int) -> int:
        value = vm.memory.add("map value", RegionKind.MAP_VALUE, (41).to_bytes(8, "little"))
        try:
            return vm.call(callback, value.base)
        finally:
            vm.memory.remove(value)

    program = [
        c.ld_func(1, 3),  # the callback at slot 4
        c.call_helper(164),
        c.exit(),
        c.ldx_mem(Size.DW, 0, 1, 0),
        c.alu64_imm(AluOp.ADD, 0, 1),
        c.exit(),
    ]
    kwargs: dict[str, Any] = {"helpers": {164: for_each}}
    assert outcome(jit.run, program, **kwargs) == outcome(run, program, **kwargs)
    assert jit.run(program, **kwargs).r0 == 42


def test_callee_frame_is_gone_even_when_a_helper_in_it_grew_the_region_table() -> None:
    def map_many(vm: Machine, *args: int) -> int:
        for i in range(24):
            vm.memory.add(f"value {i}", RegionKind.MAP_VALUE, 8)
        return 0

    program = [
        c.call_rel(3),
        c.ldx_mem(Size.DW, 0, 0, 0),  # r0 points into the callee's frame, gone by now
        c.exit(),
        c.exit(),
        c.call_helper(50),
        c.mov64_reg(0, 10),
        c.alu64_imm(AluOp.ADD, 0, -8),
        c.exit(),
    ]
    kwargs: dict[str, Any] = {"helpers": {50: map_many}}
    expected = outcome(run, program, **kwargs)
    assert expected[0] == "fault"
    assert outcome(jit.run, program, **kwargs) == expected
