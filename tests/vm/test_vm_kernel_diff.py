"""Differential test: random ALU programs give the same r0 in the VM and in the kernel.

The kernel runs each program as a socket filter through BPF_PROG_TEST_RUN; its return value is
32 bits, so each program runs twice, once returning the low half of r0 and once the high half.
Only encodings the verifier accepts are generated (no shift by an out-of-range immediate, no
division by an immediate zero).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction, encode
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, Size
from pybpf.vm import run
from testlib import require_kernel_feature

pytestmark = pytest.mark.kernel

SOCKET_FILTER = 1
OPS = [op for op in AluOp if op not in (AluOp.NEG, AluOp.END, AluOp.MOV)]


def _kernel_r0(insns: list[Instruction]) -> int:
    from pybpf.kernel import prog_load, prog_test_run

    fd = prog_load(SOCKET_FILTER, encode(insns), "GPL")
    try:
        return prog_test_run(fd, bytes(64)).retval
    finally:
        fd.close()


@pytest.fixture(scope="module")
def kernel_available() -> None:
    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    try:
        _kernel_r0([c.mov64_imm(0, 1), c.exit()])
    except Exception as exc:  # any refusal means this machine cannot run the comparison
        require_kernel_feature(False, f"BPF_PROG_TEST_RUN of a socket filter failed: {exc}")


def _operation(op: AluOp, wide: bool, use_reg: bool, sdiv: bool, dst: int, src: int, imm: int) -> Instruction:
    signed = sdiv and op in (AluOp.DIV, AluOp.MOD)
    if use_reg:
        return (c.alu64_reg if wide else c.alu32_reg)(op, dst, src, signed=signed)
    bits = 64 if wide else 32
    if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH):
        imm %= bits
    if op in (AluOp.DIV, AluOp.MOD) and imm == 0:
        imm = 7
    return (c.alu64_imm if wide else c.alu32_imm)(op, dst, imm, signed=signed)


operation = st.one_of(
    st.builds(
        _operation,
        st.sampled_from(OPS),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.integers(0, 3),
        st.integers(0, 3),
        st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(-5, 70)),
    ),
    st.builds(c.neg64, st.integers(0, 3)),
    st.builds(c.neg32, st.integers(0, 3)),
    st.builds(c.to_be, st.integers(0, 3), st.sampled_from([16, 32, 64])),
    st.builds(c.bswap, st.integers(0, 3), st.sampled_from([16, 32, 64])),
    st.builds(c.movsx64, st.integers(0, 3), st.integers(0, 3), st.sampled_from([8, 16, 32])),
    st.builds(c.movsx32, st.integers(0, 3), st.integers(0, 3), st.sampled_from([8, 16])),
)
seeds = st.lists(
    st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**63, 2**64 - 1, 2**31, 2**32 - 1])),
    min_size=4,
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds, st.lists(operation, min_size=1, max_size=10))
def test_random_alu_program_matches_the_kernel(
    kernel_available: None, seed: list[int], ops: list[Instruction]
) -> None:
    body = [c.ld_imm64(reg, value) for reg, value in enumerate(seed)] + ops
    low = [*body, c.exit()]
    high = [*body, c.alu64_imm(AluOp.RSH, 0, 32), c.exit()]
    vm_r0 = run(low).r0
    assert (_kernel_r0(low), _kernel_r0(high)) == (vm_r0 & 0xFFFF_FFFF, vm_r0 >> 32)


jump_op = st.sampled_from([op for op in JmpOp if op.is_conditional])
comparison = st.tuples(
    jump_op,
    st.booleans(),
    st.booleans(),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(-(2**31), 2**31 - 1),
)


def _decision_bits(comparisons: list[tuple[JmpOp, bool, bool, int, int, int]]) -> list[Instruction]:
    """r0 collects one bit per comparison: taken or not."""
    out: list[Instruction] = [c.mov64_imm(0, 0)]
    for op, narrow, use_reg, dst, src, imm in comparisons:
        if use_reg:
            jump = (c.jmp32_reg if narrow else c.jmp_reg)(op, dst, src, 1)
        else:
            jump = (c.jmp32_imm if narrow else c.jmp_imm)(op, dst, imm, 1)
        out += [c.alu64_imm(AluOp.LSH, 0, 1), jump, c.ja(1), c.alu64_imm(AluOp.OR, 0, 1)]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds, st.lists(comparison, min_size=1, max_size=20))
def test_random_comparisons_take_the_kernel_branches(
    kernel_available: None, seed: list[int], comparisons: list[tuple[JmpOp, bool, bool, int, int, int]]
) -> None:
    program = [c.ld_imm64(reg + 1, value) for reg, value in enumerate(seed)]
    program += [*_decision_bits(comparisons), c.exit()]
    assert _kernel_r0(program) == run(program).r0


def _stack_op(kind: int, size: Size, slot: int, reg: int, op: AtomicOp) -> list[Instruction]:
    """One access to the 64 bytes below r10, aligned for its size."""
    nbytes = {Size.B: 1, Size.H: 2, Size.W: 4, Size.DW: 8}[size]
    off = -64 + (slot * nbytes) % 64
    if kind == 0:
        return [c.stx_mem(size, 10, reg, off)]
    if kind == 1:
        return [c.ldx_mem(size, reg, 10, off)]
    if kind == 2:
        return [c.st_mem(size, 10, off, reg * 0x01020304 - 7)]
    wide = Size.DW if size == Size.DW else Size.W
    off = -64 + (slot * 8) % 64
    return [c.atomic(wide, op, 10, reg, off)]


stack_op = st.builds(
    _stack_op,
    st.integers(0, 3),
    st.sampled_from(list(Size)),
    st.integers(0, 63),
    st.integers(1, 4),
    st.sampled_from([op for op in AtomicOp if op not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds, st.lists(st.one_of(stack_op, operation.map(lambda insn: [insn])), min_size=1, max_size=16))
def test_random_stack_and_atomic_program_matches_the_kernel(
    kernel_available: None, seed: list[int], steps: list[list[Instruction]]
) -> None:
    program = [c.ld_imm64(reg + 1, value) for reg, value in enumerate(seed)]
    program += [c.stx_mem(Size.DW, 10, 1 + i % 4, -64 + 8 * i) for i in range(8)]
    program += [c.mov64_imm(0, 0), *(insn for step in steps for insn in step)]
    for i in range(8):  # fold the whole stack area into r0
        program += [c.alu64_imm(AluOp.MUL, 0, 31), c.ldx_mem(Size.DW, 5, 10, -64 + 8 * i)]
        program += [c.alu64_reg(AluOp.ADD, 0, 5)]
    low = [*program, c.exit()]
    high = [*program, c.alu64_imm(AluOp.RSH, 0, 32), c.exit()]
    vm_r0 = run(low).r0
    assert (_kernel_r0(low), _kernel_r0(high)) == (vm_r0 & 0xFFFF_FFFF, vm_r0 >> 32)
