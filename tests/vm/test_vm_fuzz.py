"""Fuzzing: any program either is refused at preparation or runs to a result or a VMFault."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction, encode
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, Size
from pybpf.vm import RunResult, VMError, run

reg = st.integers(0, 9)
any_reg = st.integers(0, 10)
imm = st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(-70, 70))
off = st.integers(-20, 20)
size = st.sampled_from(list(Size))
alu_op = st.sampled_from([op for op in AluOp if op not in (AluOp.NEG, AluOp.END)])
jmp_op = st.sampled_from([op for op in JmpOp if op.is_conditional])
signed = st.booleans()


def _alu(op: AluOp, wide: bool, dst: int, src: int, value: int, use_reg: bool, sdiv: bool) -> Instruction:
    sgn = sdiv and op in (AluOp.DIV, AluOp.MOD)
    if use_reg:
        return (c.alu64_reg if wide else c.alu32_reg)(op, dst, src, signed=sgn)
    return (c.alu64_imm if wide else c.alu32_imm)(op, dst, value, signed=sgn)


instruction = st.one_of(
    st.builds(_alu, alu_op, st.booleans(), reg, any_reg, imm, st.booleans(), signed),
    st.builds(c.neg64, reg),
    st.builds(c.neg32, reg),
    st.builds(c.to_be, reg, st.sampled_from([16, 32, 64])),
    st.builds(c.bswap, reg, st.sampled_from([16, 32, 64])),
    st.builds(c.movsx64, reg, any_reg, st.sampled_from([8, 16, 32])),
    st.builds(c.ld_imm64, reg, st.integers(0, 2**64 - 1)),
    st.builds(c.ldx_mem, size, reg, st.sampled_from([1, 10]), off),
    st.builds(c.ldx_memsx, st.sampled_from([Size.B, Size.H, Size.W]), reg, st.sampled_from([1, 10]), off),
    st.builds(c.st_mem, size, st.sampled_from([1, 10]), off, imm),
    st.builds(c.stx_mem, size, st.sampled_from([1, 10]), any_reg, off),
    st.builds(
        c.atomic,
        st.sampled_from([Size.W, Size.DW]),
        st.sampled_from([op for op in AtomicOp if op not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)]),
        st.sampled_from([1, 10]),
        reg,
        off,
    ),
    st.builds(c.jmp_imm, jmp_op, any_reg, imm, st.integers(-3, 3)),
    st.builds(c.jmp32_reg, jmp_op, any_reg, any_reg, st.integers(-3, 3)),
    st.builds(c.ld_abs, st.sampled_from([Size.B, Size.H, Size.W]), st.integers(-2, 40)),
    st.builds(c.call_helper, st.just(0)),
    st.builds(c.call_rel, st.integers(-3, 3)),
    st.builds(c.exit),
)
program = st.lists(instruction, min_size=1, max_size=14).map(lambda insns: [*insns, c.exit()])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program, st.binary(max_size=48))
def test_random_program_never_escapes_with_a_foreign_exception(
    insns: list[Instruction], memory: bytes
) -> None:
    try:
        result = run(insns, memory=memory, budget=300, helpers={0: lambda vm, *a: 0})
    except VMError:
        return
    assert isinstance(result, RunResult)
    assert 0 <= result.r0 < 2**64
    assert len(result.memory) == len(memory)


@settings(max_examples=150, deadline=None)
@given(program)
def test_random_program_runs_the_same_from_bytes_and_from_instructions(insns: list[Instruction]) -> None:
    outcomes = []
    for form in (insns, encode(insns)):
        try:
            outcomes.append(run(form, memory=bytes(16), budget=300, helpers={0: lambda vm, *a: 0}).r0)
        except VMError as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == outcomes[1]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_escape_with_a_foreign_exception(code: bytes) -> None:
    try:
        run(code, budget=200)
    except VMError:
        pass
