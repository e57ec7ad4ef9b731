"""Writing values into instructions: the shapes CO-RE patches, the checks, and poisoning."""

from __future__ import annotations

import pytest

from pybpf.btf.core import POISON_HELPER_ID, CoreError, is_poison
from pybpf.btf.core.patch import patch_value, poison
from pybpf.isa import Instruction, assemble

LDX_W = 0x61  # r = *(u32 *)(r + off)
LDX_DW = 0x79
LDX_B = 0x71
STX_W = 0x63
MOV64_IMM = 0xB7
ADD64_IMM = 0x07
MOV32_IMM = 0xB4
LDDW = 0x18


@pytest.mark.parametrize(
    ("insn", "local", "target", "expected"),
    [
        (Instruction(MOV64_IMM, 1, imm=8), 8, 24, Instruction(MOV64_IMM, 1, imm=24)),
        (Instruction(ADD64_IMM, 1, imm=8), 8, 0, Instruction(ADD64_IMM, 1, imm=0)),
        (Instruction(MOV32_IMM, 1, imm=1), 1, 0xFFFFFFFF, Instruction(MOV32_IMM, 1, imm=-1)),
        (Instruction(MOV64_IMM, 1, imm=-1), 2**64 - 1, 2**64 - 5, Instruction(MOV64_IMM, 1, imm=-5)),
        (Instruction(LDX_W, 2, 1, off=4), 4, 100, Instruction(LDX_W, 2, 1, off=100)),
        (Instruction(STX_W, 1, 2, off=4), 4, 12, Instruction(STX_W, 1, 2, off=12)),
        (Instruction(LDDW, 1, imm=5), 5, 0x1234567890, Instruction(LDDW, 1, imm=0x1234567890)),
    ],
)
def test_value_is_patched_into_the_field_the_instruction_carries_it_in(
    insn: Instruction, local: int, target: int, expected: Instruction
) -> None:
    assert patch_value(insn, local_value=local, target_value=target, validate=True) == expected


@pytest.mark.parametrize(
    ("insn", "local_size", "target_size", "opcode"),
    [
        (Instruction(LDX_W, 2, 1, off=4), 4, 8, LDX_DW),
        (Instruction(LDX_DW, 2, 1, off=4), 8, 1, LDX_B),
    ],
)
def test_load_width_follows_the_field_size(
    insn: Instruction, local_size: int, target_size: int, opcode: int
) -> None:
    patched = patch_value(
        insn, local_value=4, target_value=16, validate=True, local_size=local_size, target_size=target_size
    )
    assert (patched.opcode, patched.off) == (opcode, 16)


@pytest.mark.parametrize(
    ("insn", "local", "target", "kwargs", "message"),
    [
        (Instruction(MOV64_IMM, 1, imm=7), 8, 24, {}, "unexpected immediate"),
        (Instruction(LDX_W, 2, 1, off=0), 4, 8, {}, "unexpected offset"),
        (Instruction(LDDW, 1, imm=1), 2, 3, {}, "unexpected constant"),
        (Instruction(0x0F, 1, 2), 0, 8, {}, "register operand"),
        (Instruction(LDX_W, 2, 1, off=4), 4, 40000, {}, "does not fit"),
        (Instruction(MOV64_IMM, 1, imm=4), 4, 1 << 40, {}, "does not fit"),
        (Instruction(LDX_W, 2, 1, off=4), 4, 8, {"local_size": 8, "target_size": 4}, "accesses 4 bytes"),
        (Instruction(LDX_W, 2, 1, off=4), 4, 8, {"local_size": 4, "target_size": 3}, "no load/store"),
        (Instruction(0x95), 0, 1, {}, "cannot relocate"),
        (Instruction(LDDW, 1, 1, imm=1), 1, 2, {}, "plain constant"),
    ],
)
def test_instruction_that_does_not_fit_the_record_is_an_error(
    insn: Instruction, local: int, target: int, kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(CoreError, match=message):
        patch_value(insn, local_value=local, target_value=target, validate=True, **kwargs)


def test_unvalidated_value_is_patched_whatever_the_compiler_put() -> None:
    patched = patch_value(Instruction(MOV64_IMM, 1, imm=99), local_value=1, target_value=2, validate=False)
    assert patched.imm == 2


@pytest.mark.parametrize(
    ("insn", "slots"), [(Instruction(LDX_W, 2, 1, off=4), 1), (Instruction(LDDW, 1, imm=5), 2)]
)
def test_poisoned_instruction_keeps_its_slot_count(insn: Instruction, slots: int) -> None:
    replacement = poison(insn)
    assert sum(i.slots for i in replacement) == slots
    assert all(is_poison(i) for i in replacement)


def test_poison_is_a_call_to_the_bad_relo_helper() -> None:
    assert poison(Instruction(LDX_W, 2, 1))[0] == assemble(f"call {POISON_HELPER_ID}")[0]
