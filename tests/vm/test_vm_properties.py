"""Property tests: the VM against arithmetic written out plainly in Python."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st
from vm_builders import binop_program, operands

from pybpf.isa.opcodes import AluOp
from pybpf.vm import Program, prepare

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def as_signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def c_div(a: int, b: int) -> int:
    """C's truncating division, from floor division plus a correction."""
    q = a // b
    if q < 0 and q * b != a:
        q += 1
    return q


def reference(op: AluOp, signed: bool, bits: int, a: int, b: int) -> int:
    mask = (1 << bits) - 1
    a &= mask
    b &= mask
    if op == AluOp.ADD:
        return (a + b) & mask
    if op == AluOp.SUB:
        return (a - b) & mask
    if op == AluOp.MUL:
        return (a * b) & mask
    if op == AluOp.OR:
        return a | b
    if op == AluOp.AND:
        return a & b
    if op == AluOp.XOR:
        return a ^ b
    if op == AluOp.LSH:
        return (a << (b % bits)) & mask
    if op == AluOp.RSH:
        return a >> (b % bits)
    if op == AluOp.ARSH:
        return (as_signed(a, bits) >> (b % bits)) & mask
    if op == AluOp.DIV and not signed:
        return a // b if b else 0
    if op == AluOp.MOD and not signed:
        return a % b if b else a
    sa, sb = as_signed(a, bits), as_signed(b, bits)
    if op == AluOp.DIV:
        return c_div(sa, sb) & mask if sb else 0
    if op == AluOp.MOD:
        return (sa - sb * c_div(sa, sb)) & mask if sb else a
    raise AssertionError(op)


OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.LSH, AluOp.RSH, AluOp.ARSH]
SHAPES = (
    [(op, False) for op in OPS]
    + [(AluOp.DIV, s) for s in (False, True)]
    + [(AluOp.MOD, s) for s in (False, True)]
)

# Values that exercise the corners more than uniform 64-bit integers would.
interesting = st.one_of(
    st.integers(0, M64),
    st.sampled_from(
        [0, 1, 2, M64, M64 - 1, 1 << 63, (1 << 63) - 1, M32, 1 << 31, (1 << 31) - 1, 63, 64, 31, 32]
    ),
    st.integers(0, M32).map(lambda x: x | (M64 ^ M32)),
)


@cache
def compiled(op: AluOp, wide: bool, signed: bool) -> Program:
    return prepare(binop_program(op, wide=wide, signed=signed))


shapes = st.sampled_from(SHAPES)


@settings(max_examples=600, deadline=None)
@given(shapes, st.booleans(), interesting, interesting)
def test_alu_operation_matches_plain_python_reference(
    shape: tuple[AluOp, bool], wide: bool, a: int, b: int
) -> None:
    op, signed = shape
    bits = 64 if wide else 32
    r0 = compiled(op, wide, signed).run(operands(a, b)).r0
    if op == AluOp.MOD and not wide and not (b & M32):
        assert r0 == a & M32  # 32-bit modulo by zero keeps the low half, zero-extended
    else:
        assert r0 == reference(op, signed, bits, a, b)


@settings(max_examples=300, deadline=None)
@given(shapes, interesting, interesting)
def test_32_bit_alu_results_always_fit_in_32_bits(shape: tuple[AluOp, bool], a: int, b: int) -> None:
    op, signed = shape
    assert compiled(op, False, signed).run(operands(a, b)).r0 <= M32


@settings(max_examples=200, deadline=None)
@given(interesting, interesting)
def test_program_leaves_memory_it_only_reads_unchanged(a: int, b: int) -> None:
    result = compiled(AluOp.ADD, True, False).run(operands(a, b))
    assert result.memory == operands(a, b)
