"""Text of single instructions in both syntaxes, and the listing layout."""

from __future__ import annotations

import pytest

from pybpf.isa import Instruction, Resolver, disassemble, format_kernel, format_llvm
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, PseudoSrc, Size

# instruction, kernel (bpftool / verifier log) text, llvm-objdump text
TEXTS = [
    (c.mov64_reg(1, 10), "(bf) r1 = r10", "r1 = r10"),
    (c.mov32_imm(1, 0), "(b4) w1 = 0", "w1 = 0"),
    (c.mov64_imm(0, -1), "(b7) r0 = -1", "r0 = -1"),
    (c.alu64_imm(AluOp.ADD, 1, -4), "(07) r1 += -4", "r1 += -4"),
    (c.alu32_imm(AluOp.AND, 1, 65520), "(54) w1 &= 65520", "w1 &= 65520"),
    (c.alu64_reg(AluOp.ARSH, 3, 4), "(cf) r3 s>>= r4", "r3 s>>= r4"),
    (c.alu64_reg(AluOp.DIV, 1, 2, signed=True), "(3f) r1 s/= r2", "r1 s/= r2"),
    (c.alu32_imm(AluOp.MOD, 1, 7, signed=True), "(94) w1 s%= 7", "w1 s%= 7"),
    (c.neg32(0), "(84) w0 = -w0", "w0 = -w0"),
    (c.movsx32(0, 1, 8), "(bc) w0 = (s8)w1", "w0 = (s8)w1"),
    (c.movsx64(0, 1, 32), "(bf) r0 = (s32)r1", "r0 = (s32)r1"),
    (c.bswap(0, 16), "(d7) r0 = bswap16 r0", "r0 = bswap16 r0"),
    (c.to_be(2, 32), "(dc) r2 = be32 r2", "r2 = be32 r2"),
    (c.to_le(2, 64), "(d4) r2 = le64 r2", "r2 = le64 r2"),
    (Instruction(0xBF, 1, 2, 1, 1), "(bf) r1 = addr_space_cast(r2, 0, 1)", "r1 = addr_space_cast(r2, 0, 1)"),
    (c.ldx_mem(Size.W, 0, 6, 4), "(61) r0 = *(u32 *)(r6 +4)", "r0 = *(u32 *)(r6 + 4)"),
    (c.ldx_mem(Size.DW, 3, 10, -8), "(79) r3 = *(u64 *)(r10 -8)", "r3 = *(u64 *)(r10 - 8)"),
    (c.ldx_memsx(Size.B, 1, 2, 0), "(91) r1 = *(s8 *)(r2 +0)", "r1 = *(s8 *)(r2 + 0)"),
    (c.stx_mem(Size.H, 10, 1, -8), "(6b) *(u16 *)(r10 -8) = r1", "*(u16 *)(r10 - 8) = r1"),
    (c.st_mem(Size.W, 10, -4, 7), "(62) *(u32 *)(r10 -4) = 7", "*(u32 *)(r10 - 4) = 7"),
    (
        c.atomic(Size.DW, AtomicOp.ADD, 1, 2),
        "(db) lock *(u64 *)(r1 +0) += r2",
        "lock *(u64 *)(r1 + 0) += r2",
    ),
    (
        c.atomic(Size.W, AtomicOp.XOR, 1, 2, 4),
        "(c3) lock *(u32 *)(r1 +4) ^= r2",
        "lock *(u32 *)(r1 + 4) ^= w2",
    ),
    (
        c.atomic(Size.DW, AtomicOp.FETCH_AND, 5, 3),
        "(db) r3 = atomic64_fetch_and((u64 *)(r5 +0), r3)",
        "r3 = atomic_fetch_and((u64 *)(r5 + 0), r3)",
    ),
    (
        c.atomic(Size.W, AtomicOp.FETCH_OR, 4, 1),
        "(c3) r1 = atomic_fetch_or((u32 *)(r4 +0), r1)",
        "w1 = atomic_fetch_or((u32 *)(r4 + 0), w1)",
    ),
    (
        c.atomic(Size.DW, AtomicOp.CMPXCHG, 5, 2),
        "(db) r0 = atomic64_cmpxchg((u64 *)(r5 +0), r0, r2)",
        "r0 = cmpxchg_64(r5 + 0, r0, r2)",
    ),
    (
        c.atomic(Size.W, AtomicOp.CMPXCHG, 4, 3),
        "(c3) r0 = atomic_cmpxchg((u32 *)(r4 +0), r0, r3)",
        "w0 = cmpxchg32_32(r4 + 0, w0, w3)",
    ),
    (
        c.atomic(Size.DW, AtomicOp.XCHG, 5, 3, -8),
        "(db) r3 = atomic64_xchg((u64 *)(r5 -8), r3)",
        "r3 = xchg_64(r5 - 8, r3)",
    ),
    (
        c.atomic(Size.W, AtomicOp.XCHG, 4, 3),
        "(c3) r3 = atomic_xchg((u32 *)(r4 +0), r3)",
        "w3 = xchg32_32(r4 + 0, w3)",
    ),
    (
        c.atomic(Size.DW, AtomicOp.LOAD_ACQ, 1, 0),
        "(db) r1 = load_acquire((u64 *)(r0 +0))",
        "r1 = load_acquire((u64 *)(r0 + 0))",
    ),
    (
        c.atomic(Size.B, AtomicOp.STORE_REL, 1, 2, 3),
        "(d3) store_release((u8 *)(r1 +3), r2)",
        "store_release((u8 *)(r1 + 3), w2)",
    ),
    (c.ld_abs(Size.B, 12), "(30) r0 = *(u8 *)skb[12]", "r0 = *(u8 *)skb[12]"),
    (c.ld_ind(Size.H, 1, 0), "(48) r0 = *(u16 *)skb[r1 + 0]", "r0 = *(u16 *)skb[r1]"),
    (c.ld_imm64(1, 0x1122334455667788), "(18) r1 = 0x1122334455667788", "r1 = 1234605616436508552 ll"),
    (c.ld_imm64(4, 2**63 + 1), "(18) r4 = 0x8000000000000001", "r4 = -9223372036854775807 ll"),
    (c.ld_map_fd(1, 27), "(18) r1 = map[id:27]", "r1 = 27 ll ; map_fd"),
    (c.ld_map_value(5, 27, 8), "(18) r5 = map[id:27][0]+8", "r5 = 34359738395 ll ; map_value"),
    (c.ld_imm64(1, 3, PseudoSrc.MAP_IDX_VALUE | 0), "(18) r1 = map[idx:3]+0", "r1 = 3 ll ; map_idx_value"),
    (c.ld_func(2, 5), "(18) r2 = subprog[+5]", "r2 = 5 ll ; func"),
    (c.ld_imm64(2, 77, PseudoSrc.BTF_ID), "(18) r2 = btf_id[77]", "r2 = 77 ll ; btf_id"),
    (c.call_helper(1), "(85) call bpf_map_lookup_elem#1", "call 1"),
    (c.call_helper(100000), "(85) call unknown#100000", "call 100000"),
    (c.call_rel(5), "(85) call pc+5", "call 5 ; pseudo_call"),
    (c.call_kfunc(1234), "(85) call kernel-function#1234", "call 1234 ; kfunc"),
    (c.callx(3), "(8d) callx r3", "callx r3"),
    (c.exit(), "(95) exit", "exit"),
    (c.ja(-3), "(05) goto pc-3", "goto -3"),
    (c.ja(0), "(05) goto pc+0", "goto +0"),
    (c.gotol(70000), "(06) gotol pc+70000", "gotol +70000"),
    (c.may_goto(2), "(e5) may_goto pc+2", "may_goto +2"),
    (c.jmp_imm(JmpOp.JLE, 1, 60, 2), "(b5) if r1 <= 0x3c goto pc+2", "if r1 <= 60 goto +2"),
    (c.jmp_imm(JmpOp.JSLT, 3, -5, 1), "(c5) if r3 s< 0xfffffffb goto pc+1", "if r3 s< -5 goto +1"),
    (c.jmp32_reg(JmpOp.JSET, 1, 2, -10), "(4e) if w1 & w2 goto pc-10", "if w1 & w2 goto -10"),
    (c.jmp32_imm(JmpOp.JNE, 3, 0, 2), "(56) if w3 != 0x0 goto pc+2", "if w3 != 0 goto +2"),
]


@pytest.mark.parametrize(("insn", "kernel", "llvm"), TEXTS, ids=[k for _, k, _ in TEXTS])
def test_kernel_text_of_each_instruction_matches_the_verifier_log_format(
    insn: Instruction, kernel: str, llvm: str
) -> None:
    assert format_kernel(insn) == kernel


@pytest.mark.parametrize(("insn", "kernel", "llvm"), TEXTS, ids=[k for _, k, _ in TEXTS])
def test_llvm_text_of_each_instruction_matches_the_llvm_objdump_format(
    insn: Instruction, kernel: str, llvm: str
) -> None:
    assert format_llvm(insn) == llvm


@pytest.mark.parametrize(
    ("insn", "text"),
    [
        (c.ldx_mem(Size.W, 3, 1, 4), "w3 = *(u32 *)(r1 + 4)"),
        (c.ldx_mem(Size.DW, 3, 1, 4), "r3 = *(u64 *)(r1 + 4)"),
        (c.stx_mem(Size.B, 10, 1, -1), "*(u8 *)(r10 - 1) = w1"),
        (c.atomic(Size.W, AtomicOp.ADD, 4, 1), "lock *(u32 *)(r4 + 0) += w1"),
    ],
)
def test_llvm_alu32_mode_shows_narrow_memory_on_w_registers(insn: Instruction, text: str) -> None:
    assert format_llvm(insn, alu32=True) == text


class Names(Resolver):
    def kfunc(self, insn: Instruction, slot: int) -> str | None:
        return "bpf_obj_new_impl"

    def subprog(self, insn: Instruction, slot: int) -> str | None:
        return f"sub_{slot + 1 + insn.imm}"

    def imm64(self, insn: Instruction, slot: int) -> str | None:
        return "map[counts]" if insn.is_map_load else None


@pytest.mark.parametrize(
    ("insn", "text"),
    [
        (c.call_kfunc(99), "(85) call bpf_obj_new_impl#99"),
        (c.call_rel(3), "(85) call pc+3#sub_6"),
        (c.ld_map_fd(1, 4), "(18) r1 = map[counts]"),
        (c.ld_imm64(1, 4), "(18) r1 = 0x4"),
        (c.call_helper(6), "(85) call bpf_trace_printk#6"),
    ],
)
def test_resolver_names_calls_and_constants(insn: Instruction, text: str) -> None:
    assert format_kernel(insn, slot=2, resolver=Names()) == text


PROGRAM = [c.mov64_reg(6, 1), c.ld_imm64(1, 5), c.jmp_imm(JmpOp.JEQ, 6, 0, 1), c.mov64_imm(0, 1), c.exit()]


def test_kernel_listing_counts_slots_like_bpftool() -> None:
    assert disassemble(PROGRAM) == [
        "   0: (bf) r6 = r1",
        "   1: (18) r1 = 0x5",
        "   3: (15) if r6 == 0x0 goto pc+1",
        "   4: (b7) r0 = 1",
        "   5: (95) exit",
    ]


def test_kernel_listing_prints_raw_bytes_on_their_own_line() -> None:
    lines = disassemble(PROGRAM[:2], opcodes=True)
    assert lines[1] == "       bf 16 00 00 00 00 00 00"
    assert lines[3] == "       18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00"


def test_llvm_listing_matches_llvm_objdump_layout() -> None:
    lines = disassemble(PROGRAM[:2], syntax="llvm", opcodes=True)
    assert lines == [
        "       0:\tbf 16 00 00 00 00 00 00\tr6 = r1",
        "       1:\t18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00\tr1 = 5 ll",
    ]


def test_listing_interleaves_source_lines_and_function_labels() -> None:
    lines = disassemble(PROGRAM, symbols={0: "int prog(void * ctx)"}, line_info={3: "if (!x)"})
    assert lines[:2] == ["int prog(void * ctx):", "   0: (bf) r6 = r1"]
    assert lines[3:5] == ["; if (!x)", "   3: (15) if r6 == 0x0 goto pc+1"]


def test_llvm_listing_labels_jump_targets_from_symbols() -> None:
    lines = disassemble(PROGRAM, syntax="llvm", symbols={0: "prog"})
    assert lines[0] == "0000000000000000 <prog>:"
    assert lines[3] == "       3:\tif r6 == 0 goto +1 <prog+0x28>"


def test_start_slot_offsets_the_listing() -> None:
    assert disassemble([c.exit()], start_slot=7) == ["   7: (95) exit"]


def test_unknown_syntax_is_refused() -> None:
    with pytest.raises(ValueError, match="syntax"):
        disassemble(PROGRAM, syntax="intel")  # type: ignore[arg-type]
