"""Properties over random bytes and random valid instructions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from isa_strategies import VALID_OPCODES, instructions, programs

from pybpf.errors import AssemblerError, InvalidInstruction
from pybpf.isa import Instruction, assemble, decode, disassemble, encode


def decodes_exactly_or_is_rejected(data: bytes) -> None:
    try:
        insns = decode(data)
    except InvalidInstruction:
        return
    assert encode(insns) == data


@settings(max_examples=3000)
@given(st.binary(min_size=8, max_size=8))
def test_random_slot_decodes_byte_exactly_or_raises_invalid_instruction(data: bytes) -> None:
    decodes_exactly_or_is_rejected(data)


@settings(max_examples=1000)
@given(st.binary(min_size=8, max_size=8), st.binary(min_size=8, max_size=8))
def test_random_lddw_pair_decodes_byte_exactly_or_raises_invalid_instruction(
    first: bytes, second: bytes
) -> None:
    decodes_exactly_or_is_rejected(b"\x18" + first[1:] + second)


@settings(max_examples=300)
@given(st.integers(0, 8).flatmap(lambda n: st.binary(min_size=8 * n, max_size=8 * n + 7)))
def test_random_byte_strings_never_raise_anything_but_invalid_instruction(data: bytes) -> None:
    decodes_exactly_or_is_rejected(data)


@settings(max_examples=500)
@given(instructions())
def test_valid_instruction_survives_encode_then_decode(insn: Instruction) -> None:
    assert decode(insn.encode()) == [insn]


@settings(max_examples=300)
@given(programs)
def test_kernel_listing_assembles_back_to_the_same_program(insns: list[Instruction]) -> None:
    lines = disassemble(insns)
    assert assemble("\n".join(lines)) == insns
    assert disassemble(assemble("\n".join(lines))) == lines


@settings(max_examples=300)
@given(programs)
def test_llvm_listing_assembles_back_to_the_same_program(insns: list[Instruction]) -> None:
    lines = disassemble(insns, syntax="llvm")
    assert assemble("\n".join(lines)) == insns
    assert disassemble(assemble("\n".join(lines)), syntax="llvm") == lines


@settings(max_examples=150)
@given(programs)
def test_llvm_alu32_listing_assembles_back_to_the_same_program(insns: list[Instruction]) -> None:
    assert assemble("\n".join(disassemble(insns, syntax="llvm", alu32=True, opcodes=True))) == insns


def test_strategy_covers_every_instruction_class() -> None:
    assert {opcode & 7 for opcode in VALID_OPCODES} == set(range(8))


ASM_WORDS = st.sampled_from(
    [
        "r1",
        "w2",
        "%r3",
        "r11",
        "=",
        "+=",
        "s>>=",
        "*(u32 *)(r1 +4)",
        "(s8)",
        "ll",
        "0x10",
        "-1",
        "goto",
        "pc+2",
        "if",
        "call",
        "#",
        "exit",
        "lock",
        "[%r1+2]",
        ",",
        "mov32",
        "lddw",
        "atomic64_fetch_add((u64 *)(r1 +0),",
        "map[id:3]",
        "(18)",
        "   0:",
        "label:",
        "; note",
        "<x>",
        "skb[",
        "]",
        "be16",
        "xchg_64(r1 + 0,",
        ")",
    ]
)


@settings(max_examples=400)
@given(st.lists(st.lists(ASM_WORDS, max_size=6).map(" ".join), max_size=4).map("\n".join))
def test_assembler_raises_only_assembler_error_on_word_salad(text: str) -> None:
    try:
        assemble(text)
    except AssemblerError:
        pass


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_assembler_raises_only_assembler_error_on_arbitrary_text(text: str) -> None:
    try:
        assemble(text)
    except AssemblerError:
        pass


@settings(max_examples=100)
@given(programs, st.sampled_from(["kernel", "llvm"]))
def test_listing_with_source_lines_labels_and_opcodes_assembles_back(
    insns: list[Instruction], syntax: str
) -> None:
    slots = [0]
    for insn in insns:
        slots.append(slots[-1] + insn.slots)
    symbols = {0: "int prog(void * ctx)" if syntax == "kernel" else "prog", slots[len(insns) // 2]: "sub"}
    line_info = {slot: f"x = {slot}; /* line */" for slot in slots[:-1:2]}
    text = "\n".join(
        disassemble(insns, syntax=syntax, opcodes=True, symbols=symbols, line_info=line_info)  # type: ignore[arg-type]
    )
    assert assemble(text) == insns
