"""Control flow, calls, helpers, the budget, and what preparation refuses."""

from __future__ import annotations

import pytest
from vm_builders import returning

from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction, encode
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, Size
from pybpf.vm import ExitProgram, ProgramRejected, VMFault, prepare, run

M64 = (1 << 64) - 1


def count_down(n: int) -> list[Instruction]:
    """r0 = sum(1..n) with a backward conditional jump."""
    return [
        c.mov64_imm(0, 0),
        c.mov64_imm(1, n),
        c.alu64_reg(AluOp.ADD, 0, 1),
        c.alu64_imm(AluOp.SUB, 1, 1),
        c.jmp_imm(JmpOp.JNE, 1, 0, -3),
        c.exit(),
    ]


def test_loop_computes_its_sum() -> None:
    assert run(count_down(100)).r0 == 5050


def test_executed_instruction_count_is_exact() -> None:
    assert run(count_down(10)).instructions == 2 + 3 * 10 + 1


def test_endless_loop_stops_at_the_budget_with_a_fault() -> None:
    with pytest.raises(VMFault, match="budget of 1000 exhausted"):
        run([c.ja(-1), c.exit()], budget=1000)


def test_raw_bytes_run_like_instructions() -> None:
    assert run(encode(count_down(4))).r0 == 10


# (jump op, 32-bit?, dst, imm, taken?)
JUMPS = [
    pytest.param(JmpOp.JSGT, False, M64, 0, False, id="jsgt treats all ones as -1"),
    pytest.param(JmpOp.JGT, False, M64, 0, True, id="jgt treats all ones as huge"),
    pytest.param(JmpOp.JSLT, False, M64, 0, True, id="jslt -1 < 0"),
    pytest.param(JmpOp.JSGE, False, 0, -1, True, id="jsge 0 >= -1 with sign-extended imm"),
    pytest.param(JmpOp.JEQ, True, 0x1_0000_0005, 5, True, id="jeq32 compares the low halves"),
    pytest.param(JmpOp.JEQ, False, 0x1_0000_0005, 5, False, id="jeq64 compares all bits"),
    pytest.param(JmpOp.JSLT, True, 0xFFFF_FFFF, 0, True, id="jslt32 sees -1 in the low half"),
    pytest.param(JmpOp.JSET, True, 0x1_0000_0000, -1, False, id="jset32 ignores the high half"),
    pytest.param(JmpOp.JLE, True, 0xFFFF_FFFF_0000_0003, 3, True, id="jle32"),
    pytest.param(JmpOp.JNE, False, 3, 3, False, id="jne equal"),
]


@pytest.mark.parametrize(("op", "narrow", "dst", "imm", "taken"), JUMPS)
def test_conditional_jump_takes_the_kernel_decision(
    op: JmpOp, narrow: bool, dst: int, imm: int, taken: bool
) -> None:
    jump = (c.jmp32_imm if narrow else c.jmp_imm)(op, 1, imm, 2)
    program = [c.ld_imm64(1, dst), jump, c.mov64_imm(0, 0), c.exit(), c.mov64_imm(0, 1), c.exit()]
    assert run(program).r0 == int(taken)


def test_register_jump_compares_both_registers() -> None:
    program = [
        c.mov64_imm(1, -2),
        c.mov64_imm(2, 1),
        c.jmp_reg(JmpOp.JSLT, 1, 2, 1),
        c.exit(),
        c.mov64_imm(0, 9),
        c.exit(),
    ]
    assert run(program).r0 == 9


def test_gotol_uses_the_32_bit_immediate_offset() -> None:
    program = [c.mov64_imm(0, 1), c.gotol(1), c.mov64_imm(0, 2), c.exit()]
    assert run(program).r0 == 1


def test_may_goto_falls_through_while_iterations_remain() -> None:
    program = [c.mov64_imm(0, 1), c.may_goto(1), c.mov64_imm(0, 2), c.exit()]
    assert run(program).r0 == 2


def local_call_program() -> list[Instruction]:
    return [
        c.mov64_imm(1, 20),
        c.mov64_imm(6, 6),
        c.call_rel(3),
        c.alu64_reg(AluOp.ADD, 0, 6),  # r6 survives the call
        c.exit(),
        c.exit(),  # padding: never reached
        c.mov64_reg(0, 1),  # callee: r0 = r1 * 2, clobbers r6
        c.alu64_imm(AluOp.MUL, 0, 2),
        c.mov64_imm(6, 100),
        c.exit(),
    ]


def test_local_call_passes_arguments_and_preserves_callee_saved_registers() -> None:
    assert run(local_call_program()).r0 == 46


def test_callee_gets_its_own_stack_frame() -> None:
    program = [
        c.st_mem(Size.DW, 10, -8, 11),
        c.call_rel(2),
        c.ldx_mem(Size.DW, 0, 10, -8),  # caller's slot is untouched by the callee
        c.exit(),
        c.st_mem(Size.DW, 10, -8, 22),
        c.exit(),
    ]
    assert run(program).r0 == 11


def test_callee_can_use_a_pointer_into_the_callers_frame() -> None:
    program = [
        c.mov64_reg(1, 10),
        c.alu64_imm(AluOp.ADD, 1, -8),
        c.call_rel(2),
        c.ldx_mem(Size.DW, 0, 10, -8),
        c.exit(),
        c.st_mem(Size.DW, 1, 0, 33),
        c.exit(),
    ]
    assert run(program).r0 == 33


def test_recursion_beyond_eight_frames_faults() -> None:
    program = [c.call_rel(-1), c.exit()]
    with pytest.raises(VMFault, match="call depth exceeds 8"):
        run(program)


def test_eight_nested_frames_are_allowed() -> None:
    # main (depth 0) -> f1 -> ... -> f7: each function is "call next; exit", the last returns 7.
    program = [c.call_rel(1) if i % 2 == 0 else c.exit() for i in range(14)] + returning(c.mov64_imm(0, 7))
    assert run(program).r0 == 7


def test_helper_receives_r1_to_r5_and_sets_r0() -> None:
    seen: list[tuple[int, ...]] = []

    def helper(vm, *args):  # type: ignore[no-untyped-def]
        seen.append(args)
        return -1

    program = [*(c.mov64_imm(i, i * 10) for i in range(1, 6)), c.call_helper(7), c.exit()]
    assert run(program, helpers={7: helper}).r0 == M64
    assert seen == [(10, 20, 30, 40, 50)]


def test_unknown_helper_is_refused_when_prepared() -> None:
    with pytest.raises(ProgramRejected, match="unknown helper 1 \\(bpf_map_lookup_elem\\)") as info:
        prepare(returning(c.call_helper(1)))
    assert info.value.index == 0


def test_callx_calls_the_helper_named_by_the_register() -> None:
    program = [c.mov64_imm(3, 9), c.callx(3), c.exit()]
    assert run(program, helpers={9: lambda vm, *a: 123}).r0 == 123


def test_callx_of_an_unknown_helper_faults_at_run_time() -> None:
    with pytest.raises(VMFault, match="callx of unknown helper 4") as info:
        run([c.mov64_imm(3, 4), c.callx(3), c.exit()])
    assert info.value.index == 1


def test_helper_can_end_the_program_with_exit_program() -> None:
    def stop(vm, *args):  # type: ignore[no-untyped-def]
        raise ExitProgram(5)

    assert run([c.call_helper(3), c.mov64_imm(0, 1), c.exit()], helpers={3: stop}).r0 == 5


def test_helper_exception_becomes_a_fault_at_the_call() -> None:
    def broken(vm, *args):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("boom")

    with pytest.raises(VMFault, match="boom") as info:
        run([c.mov64_imm(0, 1), c.call_helper(3), c.exit()], helpers={3: broken})
    assert info.value.index == 1


def test_prepared_program_runs_repeatedly_with_fresh_memory() -> None:
    program = prepare(returning(c.ldx_mem(Size.B, 0, 1, 0), c.st_mem(Size.B, 1, 0, 9)))
    assert [program.run(b"\x01").r0, program.run(b"\x02").r0] == [1, 2]


REJECTED = [
    pytest.param([c.ja(5), c.exit()], "jump out of range", id="jump out of range"),
    pytest.param([c.ja(1), c.ld_imm64(0, 1), c.exit()], "middle of lddw", id="jump into lddw"),
    pytest.param([c.mov64_imm(10, 0), c.exit()], "r10 is read-only", id="write to r10"),
    pytest.param([c.mov64_imm(0, 0)], "fall off the end", id="no exit"),
    pytest.param([], "empty", id="empty program"),
    pytest.param([c.ld_map_fd(1, 3), c.exit()], "MAP_FD", id="map load without maps"),
    pytest.param([c.call_kfunc(5), c.exit()], "kfunc", id="kfunc call"),
    pytest.param([c.call_rel(5), c.exit()], "call out of range", id="call out of range"),
    pytest.param([Instruction(0xFF), c.exit()], "unknown opcode", id="unknown opcode"),
]


@pytest.mark.parametrize(("program", "reason"), REJECTED)
def test_malformed_program_is_rejected_at_preparation(program: list[Instruction], reason: str) -> None:
    with pytest.raises(ProgramRejected, match=reason):
        prepare(program)


def test_truncated_raw_program_is_rejected() -> None:
    with pytest.raises(ProgramRejected):
        prepare(b"\x95\0\0\0")


def test_instruction_count_includes_callee_instructions() -> None:
    # caller: call, add, exit (3) + callee: mov, exit (2)
    program = [c.call_rel(2), c.alu64_imm(AluOp.ADD, 0, 1), c.exit(), c.mov64_imm(0, 4), c.exit()]
    result = run(program)
    assert (result.r0, result.instructions) == (5, 5)


def test_budget_counts_instructions_of_all_frames() -> None:
    program = [c.call_rel(1), c.ja(-2), c.mov64_imm(0, 1), c.exit()]
    with pytest.raises(VMFault, match="budget"):
        run(program, budget=100)


def test_fault_in_a_callee_names_the_callee_instruction() -> None:
    program = [c.mov64_imm(1, 0), c.call_rel(1), c.exit(), c.ldx_mem(Size.W, 0, 1, 0), c.exit()]
    with pytest.raises(VMFault) as info:
        run(program)
    assert info.value.index == 3


def test_load_acquire_and_store_release_move_values() -> None:
    program = [
        c.mov64_imm(2, 0x41),
        c.atomic(Size.DW, AtomicOp.STORE_REL, 1, 2, 8),
        c.atomic(Size.DW, AtomicOp.LOAD_ACQ, 0, 1, 8),
        c.exit(),
    ]
    result = run(program, memory=bytes(16))
    assert (result.r0, result.memory[8]) == (0x41, 0x41)


def test_long_fall_through_chain_compiles_and_runs() -> None:
    # 600 "count, then leave if r1 == i" links: far more than the generator inlines in one go.
    links = 600
    program = [c.mov64_imm(0, 0), c.mov64_imm(1, links - 1)]
    for i in range(links):
        program += [c.alu64_imm(AluOp.ADD, 0, 1), c.jmp_imm(JmpOp.JEQ, 1, i, 2 * (links - i - 1) + 1)]
    program += [c.mov64_imm(0, -1), c.exit()]
    assert run(program).r0 == links


def test_deeply_nested_branches_compile_and_run() -> None:
    # Each taken branch continues the chain, each fall-through exits: nesting grows per link.
    links = 150
    program = [c.mov64_imm(1, -1)]
    for i in range(links):
        program += [c.jmp_imm(JmpOp.JNE, 1, i, 2), c.mov64_imm(0, i), c.exit()]
    program += [c.mov64_imm(0, 77), c.exit()]
    assert run(program).r0 == 77


def test_traced_program_reports_every_executed_slot_with_registers() -> None:
    seen: list[tuple[int, int]] = []
    program = prepare(count_down(2), trace=True)
    result = program.run(tracer=lambda slot, regs: seen.append((slot, regs[1])))
    assert [slot for slot, _ in seen] == [0, 1, 2, 3, 4, 2, 3, 4, 5]
    assert seen[2] == (2, 2)  # r1 as the loop body starts
    assert result.r0 == 3


def test_untraced_program_ignores_a_tracer() -> None:
    calls: list[int] = []
    assert prepare(count_down(2)).run(tracer=lambda slot, regs: calls.append(slot)).r0 == 3
    assert calls == []
