"""Arithmetic corners with the kernel's results: division by zero, INT_MIN, shifts, widths."""

from __future__ import annotations

import pytest
from vm_builders import binop_program, operands, returning

from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AluOp
from pybpf.vm import prepare, run

M64 = (1 << 64) - 1
INT64_MIN = 1 << 63
INT32_MIN = 1 << 31

# (op, wide, signed, dst, src, expected r0)
CORNERS = [
    pytest.param(AluOp.DIV, True, False, 7, 0, 0, id="div64 by zero gives 0"),
    pytest.param(AluOp.DIV, False, False, 0xFFFF_FFFF_0000_0007, 0, 0, id="div32 by zero gives 0"),
    pytest.param(AluOp.MOD, True, False, 7, 0, 7, id="mod64 by zero keeps dst"),
    pytest.param(
        AluOp.MOD, False, False, 0xFFFF_FFFF_0000_0007, 0, 7, id="mod32 by zero keeps low half zero-extended"
    ),
    pytest.param(AluOp.DIV, True, True, INT64_MIN, M64, INT64_MIN, id="sdiv64 INT_MIN by -1 is INT_MIN"),
    pytest.param(AluOp.MOD, True, True, INT64_MIN, M64, 0, id="smod64 INT_MIN by -1 is 0"),
    pytest.param(
        AluOp.DIV, False, True, INT32_MIN, 0xFFFF_FFFF, INT32_MIN, id="sdiv32 INT_MIN by -1 is INT_MIN"
    ),
    pytest.param(AluOp.MOD, False, True, INT32_MIN, 0xFFFF_FFFF, 0, id="smod32 INT_MIN by -1 is 0"),
    pytest.param(AluOp.DIV, True, True, (-7) & M64, 2, (-3) & M64, id="sdiv64 truncates toward zero"),
    pytest.param(AluOp.MOD, True, True, (-7) & M64, 2, (-1) & M64, id="smod64 takes the dividend sign"),
    pytest.param(AluOp.MOD, True, True, 7, (-2) & M64, 1, id="smod64 positive by negative is positive"),
    pytest.param(AluOp.DIV, True, True, 5, 0, 0, id="sdiv64 by zero gives 0"),
    pytest.param(AluOp.MOD, True, True, (-5) & M64, 0, (-5) & M64, id="smod64 by zero keeps dst"),
    pytest.param(
        AluOp.MOD, False, True, 0xAAAA_AAAA_FFFF_FFFB, 0, 0xFFFF_FFFB, id="smod32 by zero zero-extends dst"
    ),
    pytest.param(AluOp.LSH, True, False, 1, 65, 2, id="lsh64 masks the count with 63"),
    pytest.param(AluOp.LSH, False, False, 1, 33, 2, id="lsh32 masks the count with 31"),
    pytest.param(AluOp.RSH, False, False, 0xFFFF_FFFF_8000_0000, 31, 1, id="rsh32 shifts only the low half"),
    pytest.param(AluOp.ARSH, True, False, INT64_MIN, 63, M64, id="arsh64 copies the sign bit"),
    pytest.param(
        AluOp.ARSH, False, False, 0x8000_0000, 4, 0xF800_0000, id="arsh32 sign-extends within 32 bits"
    ),
    pytest.param(AluOp.ADD, False, False, 0xFFFF_FFFF, 1, 0, id="add32 wraps and zero-extends"),
    pytest.param(AluOp.SUB, True, False, 0, 1, M64, id="sub64 wraps"),
    pytest.param(AluOp.MUL, False, False, 0x1_0000_0003, 0x1_0000_0005, 15, id="mul32 uses the low halves"),
    pytest.param(AluOp.MOV, False, False, M64, M64, 0xFFFF_FFFF, id="mov32 zero-extends"),
    pytest.param(AluOp.XOR, False, False, 0xFFFF_FFFF_0000_0000, 1, 1, id="xor32 clears the high half"),
]


@pytest.mark.parametrize(("op", "wide", "signed", "dst", "src", "expected"), CORNERS)
def test_alu_corner_case_matches_kernel_semantics(
    op: AluOp, wide: bool, signed: bool, dst: int, src: int, expected: int
) -> None:
    program = prepare(binop_program(op, wide=wide, signed=signed))
    assert program.run(operands(dst, src)).r0 == expected


# (instructions computing r0, expected r0)
UNARY = [
    pytest.param(
        [c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.to_be(0, 16)], 0xEFCD, id="be16 swaps and truncates"
    ),
    pytest.param(
        [c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.to_be(0, 32)], 0xEFCD_AB89, id="be32 swaps and truncates"
    ),
    pytest.param(
        [c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.to_be(0, 64)], 0xEFCD_AB89_6745_2301, id="be64 swaps"
    ),
    pytest.param([c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.to_le(0, 16)], 0xCDEF, id="le16 truncates"),
    pytest.param([c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.to_le(0, 32)], 0x89AB_CDEF, id="le32 truncates"),
    pytest.param(
        [c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.to_le(0, 64)], 0x0123_4567_89AB_CDEF, id="le64 is identity"
    ),
    pytest.param([c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.bswap(0, 16)], 0xEFCD, id="bswap16"),
    pytest.param([c.ld_imm64(0, 0x0123_4567_89AB_CDEF), c.bswap(0, 64)], 0xEFCD_AB89_6745_2301, id="bswap64"),
    pytest.param([c.ld_imm64(1, 0x80), c.movsx64(0, 1, 8)], M64 - 0x7F, id="movsx64 from 8 bits"),
    pytest.param(
        [c.ld_imm64(1, 0x8000), c.movsx32(0, 1, 16)], 0xFFFF_8000, id="movsx32 from 16 bits zero-extends"
    ),
    pytest.param(
        [c.ld_imm64(1, 0x8000_0000), c.movsx64(0, 1, 32)], 0xFFFF_FFFF_8000_0000, id="movsx64 from 32 bits"
    ),
    pytest.param([c.mov64_imm(0, -1)], M64, id="mov64 sign-extends its immediate"),
    pytest.param([c.mov32_imm(0, -1)], 0xFFFF_FFFF, id="mov32 immediate zero-extends"),
    pytest.param([c.mov64_imm(0, INT32_MIN - (1 << 32)), c.neg64(0)], 1 << 31, id="neg64 of -2**31"),
    pytest.param(
        [c.ld_imm64(0, 0xFFFF_FFFF_8000_0000), c.neg32(0)], 0x8000_0000, id="neg32 of INT_MIN stays INT_MIN"
    ),
    pytest.param([c.mov64_imm(0, 5), c.alu64_imm(AluOp.DIV, 0, 0)], 0, id="div by immediate zero gives 0"),
    pytest.param([c.mov64_imm(0, 5), c.alu64_imm(AluOp.MOD, 0, 0)], 5, id="mod by immediate zero keeps dst"),
    pytest.param(
        [c.mov64_imm(0, 100), c.alu64_imm(AluOp.DIV, 0, -1)], 0, id="div64 by imm -1 divides by 2**64-1"
    ),
    pytest.param(
        [c.mov64_imm(0, -100), c.alu64_imm(AluOp.DIV, 0, -3, signed=True)], 33, id="sdiv64 by negative imm"
    ),
    pytest.param(
        [c.ld_imm64(0, 0x1_0000_0010), c.alu32_imm(AluOp.RSH, 0, 36)], 1, id="rsh32 immediate count is masked"
    ),
]


@pytest.mark.parametrize(("body", "expected"), UNARY)
def test_single_operation_gives_kernel_result(body: list, expected: int) -> None:
    assert run(returning(*body)).r0 == expected


def test_lddw_loads_the_full_64_bit_immediate() -> None:
    assert run(returning(c.ld_imm64(0, 0xFEED_FACE_CAFE_BEEF))).r0 == 0xFEED_FACE_CAFE_BEEF
