"""The assembler: conformance-suite programs, both disassembler syntaxes, labels and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from isa_testlib import conformance_files, conformance_sections

from pybpf.errors import AssemblerError
from pybpf.isa import Instruction, assemble, disassemble, encode
from pybpf.isa import constructors as c
from pybpf.isa.asm import detect_dialect
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, PseudoSrc, Size

CONFORMANCE = conformance_files()


def test_the_conformance_suite_is_present() -> None:
    assert len(CONFORMANCE) > 300


@pytest.mark.parametrize("path", CONFORMANCE, ids=[p.stem for p in CONFORMANCE])
def test_every_conformance_program_assembles(path: Path) -> None:
    program = conformance_sections(path)["asm"]
    assert detect_dialect(program) == "conformance"
    insns = assemble(program)
    assert insns and all(isinstance(insn, Instruction) for insn in insns)


@pytest.mark.parametrize("syntax", ["kernel", "llvm"])
@pytest.mark.parametrize("path", CONFORMANCE, ids=[p.stem for p in CONFORMANCE])
def test_conformance_program_survives_disassembly_and_reassembly(path: Path, syntax: str) -> None:
    insns = assemble(conformance_sections(path)["asm"])
    listing = "\n".join(disassemble(insns, syntax=syntax))  # type: ignore[arg-type]
    assert assemble(listing) == insns


RAW = [p for p in CONFORMANCE if "raw" in conformance_sections(p)]


@pytest.mark.parametrize("path", RAW, ids=[p.stem for p in RAW])
def test_conformance_program_matches_its_raw_bytes(path: Path) -> None:
    sections = conformance_sections(path)
    words = [int(word, 16) for word in sections["raw"].split()]
    expected = b"".join(word.to_bytes(8, "little") for word in words)
    assert encode(assemble(sections["asm"])) == expected


CONFORMANCE_LINES = [
    ("mov32 %r0, 10", c.mov32_imm(0, 10)),
    ("mov %r1, -1", c.mov64_imm(1, -1)),
    ("add %r0, %r7", c.alu64_reg(AluOp.ADD, 0, 7)),
    ("sdiv32 %r0, 3", c.alu32_imm(AluOp.DIV, 0, 3, signed=True)),
    ("smod %r0, %r1", c.alu64_reg(AluOp.MOD, 0, 1, signed=True)),
    ("neg32 %r2", c.neg32(2)),
    ("movsx1664 %r0, %r1", c.movsx64(0, 1, 16)),
    ("movsx832 %r0, %r1", c.movsx32(0, 1, 8)),
    ("be16 %r3", c.to_be(3, 16)),
    ("le64 %r3", c.to_le(3, 64)),
    ("bswap32 %r3", c.bswap(3, 32)),
    ("swap16 %r0", c.bswap(0, 16)),
    ("ldxw %r0, [%r1+4]", c.ldx_mem(Size.W, 0, 1, 4)),
    ("ldxdw %r0, [%r10-8]", c.ldx_mem(Size.DW, 0, 10, -8)),
    ("ldxsh %r0, [%r10-2]", c.ldx_memsx(Size.H, 0, 10, -2)),
    ("ldxb %r0, [%r1+0x2]", c.ldx_mem(Size.B, 0, 1, 2)),
    ("sth [%r0], 0x1234", c.st_mem(Size.H, 0, 0, 0x1234)),
    ("stxdw [%r10-8], %r1", c.stx_mem(Size.DW, 10, 1, -8)),
    ("lddw %r0, 0x1122334455667788", c.ld_imm64(0, 0x1122334455667788)),
    ("ja +1", c.ja(1)),
    ("jeq %r1, 0, +2", c.jmp_imm(JmpOp.JEQ, 1, 0, 2)),
    ("jsle32 %r1, %r2, -1", c.jmp32_reg(JmpOp.JSLE, 1, 2, -1)),
    ("call 5", c.call_helper(5)),
    ("call %r2", c.callx(2)),
    ("exit", c.exit()),
    ("lock add [%r10-8], %r1", c.atomic(Size.DW, AtomicOp.ADD, 10, 1, -8)),
    ("lock fetch xor32 [%r10-4], %r3", c.atomic(Size.W, AtomicOp.FETCH_XOR, 10, 3, -4)),
    ("lock xchg32 [%r10-8], %r1", c.atomic(Size.W, AtomicOp.XCHG, 10, 1, -8)),
    ("lock cmpxchg [%r10-8], %r1 # compare with r0", c.atomic(Size.DW, AtomicOp.CMPXCHG, 10, 1, -8)),
    ("ldabsh 12", c.ld_abs(Size.H, 12)),
    ("ldindb %r1, 2", c.ld_ind(Size.B, 1, 2)),
]


@pytest.mark.parametrize(("line", "insn"), CONFORMANCE_LINES, ids=[t for t, _ in CONFORMANCE_LINES])
def test_conformance_line_assembles_to_the_instruction(line: str, insn: Instruction) -> None:
    assert assemble(line, dialect="conformance") == [insn]


def test_conformance_labels_resolve_to_relative_offsets() -> None:
    program = "mov %r0, 0\nja32 target\njne %r0, 1, target\ntarget:\ncall local func\nexit\nfunc:\nexit\n"
    assert assemble(program) == [
        c.mov64_imm(0, 0),
        c.gotol(1),
        c.jmp_imm(JmpOp.JNE, 0, 1, 0),
        c.call_rel(1),
        c.exit(),
        c.exit(),
    ]


def test_conformance_jump_to_undefined_exit_label_reaches_the_next_exit() -> None:
    assert assemble("jne %r0, 0, exit\nmov %r0, 1\nexit\n")[0] == c.jmp_imm(JmpOp.JNE, 0, 0, 1)


C_LINES = [
    ("r1 += -4", c.alu64_imm(AluOp.ADD, 1, -4)),
    ("w1 s%= w2", c.alu32_reg(AluOp.MOD, 1, 2, signed=True)),
    ("r0 = (s16)r1", c.movsx64(0, 1, 16)),
    ("r1 = 5 ll", c.ld_imm64(1, 5)),
    ("r1 = -1 ll", c.ld_imm64(1, 2**64 - 1)),
    ("r1 = 7 ll ; map_fd", c.ld_map_fd(1, 7)),
    ("r1 = map[id:7]", c.ld_map_fd(1, 7)),
    ("r5 = map[id:27][0]+8", c.ld_map_value(5, 27, 8)),
    ("r2 = subprog[-3]", c.ld_func(2, -3)),
    ("r1 = map[idx:2]+4", c.ld_imm64(1, (4 << 32) | 2, PseudoSrc.MAP_IDX_VALUE)),
    ("r0 = *(u32 *)(r6 + 4)", c.ldx_mem(Size.W, 0, 6, 4)),
    ("r0 = *(u32 *)(r6 +4)", c.ldx_mem(Size.W, 0, 6, 4)),
    ("w0 = *(u8 *)(r6 - 1)", c.ldx_mem(Size.B, 0, 6, -1)),
    ("*(u64 *)(r10 -8) = r1", c.stx_mem(Size.DW, 10, 1, -8)),
    ("*(u32 *)(r10 - 4) = 5", c.st_mem(Size.W, 10, -4, 5)),
    ("lock *(u32 *)(r1 + 0) += w2", c.atomic(Size.W, AtomicOp.ADD, 1, 2)),
    ("r1 = atomic64_fetch_add((u64 *)(r5 +0), r1)", c.atomic(Size.DW, AtomicOp.FETCH_ADD, 5, 1)),
    ("w3 = xchg32_32(r4 + 0, w3)", c.atomic(Size.W, AtomicOp.XCHG, 4, 3)),
    ("r0 = cmpxchg_64(r5 - 8, r0, r2)", c.atomic(Size.DW, AtomicOp.CMPXCHG, 5, 2, -8)),
    ("r0 = *(u16 *)skb[r1]", c.ld_ind(Size.H, 1, 0)),
    ("if r1 > 60 goto +2 <LBB0_2>", c.jmp_imm(JmpOp.JGT, 1, 60, 2)),
    ("if r1 <= 0x3c goto pc+2", c.jmp_imm(JmpOp.JLE, 1, 60, 2)),
    ("if w3 s< 0xfffffffb goto pc-1", c.jmp32_imm(JmpOp.JSLT, 3, -5, -1)),
    ("goto -1 <prog+0x8>", c.ja(-1)),
    ("call 6", c.call_helper(6)),
    ("call bpf_trace_printk", c.call_helper(6)),
    ("call bpf_map_lookup_elem#1", c.call_helper(1)),
    ("call unknown#999", c.call_helper(999)),
    ("call kernel-function#1234", c.call_kfunc(1234)),
    ("call bpf_obj_new_impl#70000", c.call_kfunc(70000)),
    ("call pc+3#bpf_prog_5e28_square", c.call_rel(3)),
    ("call -1 ; pseudo_call", c.call_rel(-1)),
    ("exit", c.exit()),
]


@pytest.mark.parametrize(("line", "insn"), C_LINES, ids=[t for t, _ in C_LINES])
def test_c_like_line_assembles_to_the_instruction(line: str, insn: Instruction) -> None:
    assert assemble(line) == [insn]


def test_bare_hex_constant_is_a_lddw_in_kernel_syntax_and_a_move_in_llvm_syntax() -> None:
    assert assemble("r1 = 0x10", dialect="kernel") == [c.ld_imm64(1, 16)]
    assert assemble("r1 = 0x10", dialect="llvm") == [c.mov64_imm(1, 16)]


def test_lddw_opcode_prefix_makes_a_decimal_constant_a_lddw() -> None:
    assert assemble("   0: (18) r1 = 5") == [c.ld_imm64(1, 5)]


BPFTOOL_LISTING = """\
int calls(void * ctx):
; int calls(void *ctx) [file:calls.bpf.c line_num:7 line_col:0]
   0: (b4) w1 = 3
       b4 01 00 00 03 00 00 00
   1: (18) r1 = map[id:70]
   3: (85) call pc+1#bpf_prog_5e287161e9fce5ae_square
   4: (95) exit
"""


def test_bpftool_listing_with_headers_source_lines_and_opcodes_assembles() -> None:
    assert assemble(BPFTOOL_LISTING) == [c.mov32_imm(1, 3), c.ld_map_fd(1, 70), c.call_rel(1), c.exit()]


OBJDUMP_LISTING = """\

/tmp/isa_loops.o:\tfile format elf64-bpf

Disassembly of section socket:

0000000000000000 <count_bits>:
       0:\tb4 04 00 00 00 00 00 00\tw4 = 0
       1:\t18 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr5 = 0 ll
       3:\t05 00 ff ff 00 00 00 00\tgoto -1 <count_bits+0x18>
"""


def test_llvm_objdump_listing_assembles() -> None:
    assert assemble(OBJDUMP_LISTING) == [c.mov32_imm(4, 0), c.ld_imm64(5, 0), c.ja(-1)]


def test_c_like_labels_resolve() -> None:
    program = "loop:\nr1 += 1\nif r1 < 10 goto loop\ncall sub\nexit\nsub:\nexit\n"
    assert assemble(program, dialect="llvm") == [
        c.alu64_imm(AluOp.ADD, 1, 1),
        c.jmp_imm(JmpOp.JLT, 1, 10, -2),
        c.call_rel(1),
        c.exit(),
        c.exit(),
    ]


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        ("mov32 %r0, 1\nexit\n", "conformance"),
        ("   0: (b7) r0 = 1\n   1: (95) exit\n", "kernel"),
        ("if r1 > 0x3c goto pc+2\n", "kernel"),
        ("r0 = 1\nexit\n", "llvm"),
        ("       0:\tb7 00 00 00 01 00 00 00\tr0 = 1\n", "llvm"),
    ],
)
def test_dialect_is_detected_from_the_text(text: str, dialect: str) -> None:
    assert detect_dialect(text) == dialect


ERRORS = [
    ("r0 = 1\nr1 ?= 2\n", 2, "unrecognised"),
    ("mov32 %r11, 1\n", 1, "register"),
    ("mov %r0, 1\nfrob %r0\n", 2, "mnemonic"),
    ("ja nowhere\n", 1, "undefined label"),
    ("jeq %r0, 0\n", 1, "operand"),
    ("r1 = r2\nw1 += r2\n", 2, "mixed"),
    ("r1 = 1\n   1: (bf) r1 = 2\n", 2, "does not match"),
    ("x:\nx:\nexit\n", 2, "twice"),
    ("r1 = 99999999999999999999999 ll", 1, "64 bits"),
    ("w1 = 4294967296", 1, "32 bits"),
    ("r1 = 1 ll ; mystery", 1, "annotation"),
    ("r1 = -r2", 1, "in place"),
    ("lock *(u16 *)(r1 + 0) += r2", 1, "atomic"),
    ("r1 = be8 r1", 1, "unrecognised"),
]


@pytest.mark.parametrize(("text", "line", "reason"), ERRORS, ids=[t.strip() for t, _, _ in ERRORS])
def test_bad_assembly_raises_assembler_error_with_the_line_number(text: str, line: int, reason: str) -> None:
    with pytest.raises(AssemblerError, match=reason) as caught:
        assemble(text)
    assert caught.value.line == line
