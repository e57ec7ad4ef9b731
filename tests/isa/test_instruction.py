"""Instruction values and the byte codec: exact round trips, kernel-like rejection of bad bytes."""

from __future__ import annotations

import struct

import pytest

from pybpf.errors import InvalidInstruction
from pybpf.isa import Instruction, decode, encode
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AluOp, AtomicOp, InsnClass, JmpOp, PseudoSrc, Reg, Size


def raw(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


LDDW_PAIR = raw(0x18, 1, 0, 0, 0x55667788) + raw(0, 0, 0, 0, 0x11223344)


def test_lddw_decodes_to_one_instruction_with_the_full_64_bit_value() -> None:
    (insn,) = decode(LDDW_PAIR)
    assert (insn.opcode, insn.dst, insn.imm, insn.size, insn.slots) == (0x18, 1, 0x1122334455667788, 16, 2)


def test_lddw_immediate_is_kept_unsigned() -> None:
    assert Instruction(0x18, imm=-1).imm == 0xFFFF_FFFF_FFFF_FFFF


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"imm": 0xFFFFFFFF}, {"imm": -1}),
        ({"off": 0xFFFF}, {"off": -1}),
        ({"imm": 0x80000000}, {"imm": -(2**31)}),
    ],
)
def test_fields_are_normalised_to_signed(given: dict[str, int], expected: dict[str, int]) -> None:
    assert Instruction(0xB7, **given) == Instruction(0xB7, **expected)


@pytest.mark.parametrize(
    "fields",
    [{"imm": 2**32}, {"imm": -(2**31) - 1}, {"off": 2**16}, {"dst": 16}, {"opcode": 256}, {"src": -1}],
)
def test_out_of_range_fields_raise_invalid_instruction(fields: dict[str, int]) -> None:
    with pytest.raises(InvalidInstruction):
        Instruction(**{"opcode": 0xB7, **fields})


def test_encode_of_decode_is_byte_exact_for_a_program() -> None:
    program = raw(0xB7, 0, 0, 0, 5) + LDDW_PAIR + raw(0x95)
    assert encode(decode(program)) == program


def test_encoding_of_negative_offsets_and_immediates() -> None:
    assert c.stx_mem(Size.W, 10, 1, -4).encode() == bytes.fromhex("631afcff00000000")
    assert c.alu64_imm(AluOp.ADD, 2, -4).encode() == bytes.fromhex("07020000fcffffff")


CONSTRUCTED = [
    (c.mov64_imm(1, 2), "b701000002000000"),
    (c.mov32_reg(1, 2), "bc21000000000000"),
    (c.movsx64(1, 2, 16), "bf21100000000000"),
    (c.alu64_reg(AluOp.DIV, 1, 2, signed=True), "3f21010000000000"),
    (c.neg32(3), "8403000000000000"),
    (c.to_be(0, 16), "dc00000010000000"),
    (c.bswap(0, 64), "d700000040000000"),
    (c.ld_map_fd(1, 7), "1811000007000000" + "0000000000000000"),
    (c.ld_map_value(2, 7, 16), "1822000007000000" + "0000000010000000"),
    (c.ldx_memsx(Size.B, 0, 1, 2), "9110020000000000"),
    (c.st_mem(Size.DW, 10, -8, 1), "7a0af8ff01000000"),
    (c.atomic(Size.DW, AtomicOp.FETCH_ADD, 1, 2, 0), "db21000001000000"),
    (c.atomic(Size.W, AtomicOp.CMPXCHG, 1, 2, 4), "c3210400f1000000"),
    (c.ld_abs(Size.H, 12), "280000000c000000"),
    (c.jmp_imm(JmpOp.JGT, 1, 60, 2), "250102003c000000"),
    (c.jmp32_reg(JmpOp.JSLT, 1, 2, -3), "ce21fdff00000000"),
    (c.gotol(70000), "0600000070110100"),
    (c.may_goto(3), "e500030000000000"),
    (c.call_helper(1), "8500000001000000"),
    (c.call_rel(-1), "85100000ffffffff"),
    (c.call_kfunc(1234, 1), "85200100d2040000"),
    (c.callx(2), "8d02000000000000"),
    (c.exit(), "9500000000000000"),
]


@pytest.mark.parametrize(("insn", "hexbytes"), CONSTRUCTED, ids=[repr(i) for i, _ in CONSTRUCTED])
def test_constructors_encode_to_the_kernel_layout(insn: Instruction, hexbytes: str) -> None:
    assert insn.encode().hex() == hexbytes
    assert decode(insn.encode()) == [insn]


INVALID = [
    ("unknown opcode", raw(0x00), "unknown opcode"),
    ("alu op 0xe0", raw(0xE4), "unknown opcode"),
    ("destination register 11", raw(0xB7, 11), "register"),
    ("source register 12", raw(0xBF, 1, 12), "register"),
    ("mov imm with off", raw(0xB7, 1, 0, 1, 0), "reserved"),
    ("add reg with imm", raw(0x0F, 1, 2, 0, 1), "reserved"),
    ("add with off 1", raw(0x0F, 1, 2, 1, 0), "reserved"),
    ("movsx 32 in alu32", raw(0xBC, 1, 2, 32, 0), "sign-extension"),
    ("neg with source", raw(0x87, 1, 2), "reserved"),
    ("byte swap width 8", raw(0xD4, 1, 0, 0, 8), "width"),
    ("bswap from register", raw(0xDF, 1, 0, 0, 16), "unknown opcode"),
    ("ldx with imm", raw(0x61, 1, 2, 0, 1), "reserved"),
    ("ldx memsx dw", raw(0x99, 1, 2), "unknown opcode"),
    ("st with source", raw(0x62, 1, 2, 0, 1), "reserved"),
    ("stx with imm", raw(0x63, 1, 2, 0, 1), "reserved"),
    ("atomic unknown op", raw(0xDB, 1, 2, 0, 0x02), "atomic"),
    ("atomic byte add", raw(0xD3, 1, 2, 0, 0x00), "atomic"),
    ("call with dst", raw(0x85, 1, 0, 0, 1), "reserved"),
    ("call source 3", raw(0x85, 0, 3, 0, 1), "source"),
    ("jmp32 call", raw(0x86, 0, 0, 0, 1), "unknown opcode"),
    ("exit with imm", raw(0x95, 0, 0, 0, 1), "reserved"),
    ("goto with imm", raw(0x05, 0, 0, 1, 1), "reserved"),
    ("gotol with off", raw(0x06, 0, 0, 1, 1), "reserved"),
    ("conditional jump on reg with imm", raw(0x1D, 1, 2, 1, 1), "reserved"),
    ("conditional jump on imm with src", raw(0x15, 1, 2, 1, 1), "reserved"),
    ("may_goto with dst", raw(0xE5, 1, 0, 1, 0), "reserved"),
    ("ld abs with dst", raw(0x30, 1, 0, 0, 1), "reserved"),
    ("ld abs dw", raw(0x38, 0, 0, 0, 1), "unknown opcode"),
    ("lddw with off", raw(0x18, 1, 0, 1, 0) + raw(0), "reserved"),
    ("lddw unknown pseudo source", raw(0x18, 1, 7, 0, 0) + raw(0), "source"),
    ("lddw second slot with opcode", raw(0x18, 1, 0, 0, 0) + raw(0x18), "second slot"),
    ("lddw second slot with registers", raw(0x18, 1, 0, 0, 0) + raw(0, 1), "second slot"),
    ("lddw truncated", raw(0x18, 1, 0, 0, 0), "second slot"),
]


@pytest.mark.parametrize(("data", "reason"), [(d, r) for _, d, r in INVALID], ids=[n for n, _, _ in INVALID])
def test_malformed_bytes_raise_invalid_instruction(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInstruction, match=reason):
        decode(data)


def test_invalid_instruction_names_the_byte_offset_and_section() -> None:
    with pytest.raises(InvalidInstruction) as caught:
        decode(raw(0xB7) + raw(0x95) + raw(0x00), section="xdp")
    assert (caught.value.offset, caught.value.section) == (16, "xdp")
    assert "section 'xdp', offset 0x10" in str(caught.value)


def test_second_slot_error_names_the_second_slot_offset() -> None:
    with pytest.raises(InvalidInstruction) as caught:
        decode(raw(0x95) + raw(0x18, 1) + raw(0, 0, 0, 1))
    assert caught.value.offset == 16


def test_length_not_a_multiple_of_eight_is_rejected() -> None:
    with pytest.raises(InvalidInstruction, match="multiple of 8"):
        decode(raw(0x95) + b"\x00\x00")


def test_instruction_decode_reads_at_an_offset() -> None:
    assert Instruction.decode(raw(0xB7, 0, 0, 0, 1) + LDDW_PAIR, 8).imm == 0x1122334455667788


@pytest.mark.parametrize(
    ("insn", "kind"),
    [
        (c.call_helper(1), "is_helper_call"),
        (c.call_rel(3), "is_pseudo_call"),
        (c.call_kfunc(5), "is_kfunc_call"),
        (c.exit(), "is_exit"),
        (c.ja(1), "is_jump"),
        (c.jmp_imm(JmpOp.JEQ, 1, 0, 1), "is_conditional_jump"),
        (c.ld_map_fd(1, 3), "is_map_load"),
        (c.ld_imm64(1, 0), "is_lddw"),
    ],
)
def test_kind_properties_recognise_each_instruction_kind(insn: Instruction, kind: str) -> None:
    assert getattr(insn, kind)


@pytest.mark.parametrize(
    ("insn", "target"),
    [
        (c.ja(2), 13),
        (c.ja(-1), 10),
        (c.gotol(-11), 0),
        (c.call_rel(4), 15),
        (c.jmp32_imm(JmpOp.JNE, 0, 1, 0), 11),
    ],
)
def test_jump_target_is_relative_to_the_next_slot(insn: Instruction, target: int) -> None:
    assert insn.jump_target(10) == target


@pytest.mark.parametrize("insn", [c.call_helper(1), c.exit(), c.mov64_imm(0, 1)])
def test_non_jumps_have_no_target(insn: Instruction) -> None:
    assert insn.jump_target(0) is None


def test_lddw_field_views_split_the_64_bit_constant() -> None:
    insn = c.ld_map_value(1, 5, 8)
    assert (insn.cls, insn.pseudo_src, insn.imm_lo, insn.imm_hi) == (InsnClass.LD, PseudoSrc.MAP_VALUE, 5, 8)


def test_repr_is_evaluable() -> None:
    insn = c.ld_map_value(1, 5, 8)
    assert eval(repr(insn), {"Instruction": Instruction}) == insn


def test_str_is_kernel_syntax() -> None:
    assert str(c.ldx_mem(Size.W, 0, 6, 4)) == "(61) r0 = *(u32 *)(r6 +4)"


def test_instructions_are_hashable_values() -> None:
    assert len({c.exit(), c.exit(), c.mov64_imm(0, 0)}) == 2


XLATED_ONLY = [
    ("per-cpu address move", raw(0xBF, 0, 0, -1, 0), "(bf) r0 = &(void __percpu *)(r0)"),
    ("speculation barrier", raw(0xC2), "(c2) nospec"),
]


@pytest.mark.parametrize(
    ("data", "text"), [(d, t) for _, d, t in XLATED_ONLY], ids=[n for n, _, _ in XLATED_ONLY]
)
def test_kernel_internal_instructions_decode_only_from_xlated_code(data: bytes, text: str) -> None:
    with pytest.raises(InvalidInstruction):
        decode(data)
    (insn,) = decode(data, xlated=True)
    assert (str(insn), insn.encode()) == (text, data)


@pytest.mark.parametrize("name", ["map_lookup_elem", "bpf_map_lookup_elem"])
def test_call_helper_accepts_a_helper_name(name: str) -> None:
    assert c.call_helper(name) == c.call_helper(1)


def test_call_helper_rejects_an_unknown_name() -> None:
    with pytest.raises(InvalidInstruction, match="unknown helper"):
        c.call_helper("no_such_helper")


def test_register_enum_names_the_frame_pointer() -> None:
    assert c.mov64_reg(Reg.R1, Reg.FP) == c.mov64_reg(1, 10)
