"""Our llvm syntax read back by current LLVM: clang 22 (ziglang wheel) assembles our text to our bytes.

LLVM 14's llvm-objdump is the reference for how v1-v3 code prints; this checks the other direction
for every instruction LLVM's syntax can express, v4 included.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from isa_strategies import VALID_OPCODES
from isa_testlib import code_sections

from pybpf.isa import Instruction, disassemble, encode
from pybpf.isa.opcodes import LDDW
from pybpf.isa.validate import reserved_field_error
from testlib import ZIG_CC, require_ziglang


def llvm_expressible(insn: Instruction) -> bool:
    """LLVM's syntax has no place for a lddw or call ``src``, nor an indirect load's immediate."""
    if insn.opcode == LDDW or insn.is_call:
        return insn.src == 0
    return not (insn.opcode & 0xE7 == 0x40 and insn.imm)  # LD | IND with imm


def sample_program(seed: int, per_opcode: int = 4) -> list[Instruction]:
    """A few instructions of every opcode with random fields, unused fields cleared until valid."""
    rng = random.Random(seed)
    special_imm = [
        0,
        1,
        16,
        32,
        64,
        0x01,
        0x41,
        0x51,
        0xA1,
        0xE1,
        0xF1,
        0x40,
        0x50,
        0xA0,
        0x100,
        0x110,
        1 << 16,
    ]
    found: list[Instruction] = []
    for opcode in VALID_OPCODES:
        made = 0
        for _ in range(200):
            dst, src = rng.randrange(11), rng.randrange(11)
            off = rng.choice([0, 1, 8, 16, 32, rng.randrange(-(2**15), 2**15)])
            imm = rng.choice([*special_imm, rng.randrange(-(2**31), 2**31)])
            for zeroed in (
                (),
                ("src",),
                ("off",),
                ("imm",),
                ("src", "off"),
                ("src", "imm"),
                ("dst", "src", "imm"),
            ):
                fields = {"dst": dst, "src": src, "off": off, "imm": imm, **dict.fromkeys(zeroed, 0)}
                if reserved_field_error(opcode, **fields) is None:
                    if opcode == LDDW:
                        fields["imm"] = rng.randrange(2**64)
                    insn = Instruction(opcode, **fields)
                    if llvm_expressible(insn):
                        found.append(insn)
                        made += 1
                    break
            if made == per_opcode:
                break
    return found


def edge_cases() -> list[Instruction]:
    """Encodings a random draw may miss: every atomic operation and width, casts, sign extension."""
    from pybpf.isa import constructors as c
    from pybpf.isa.opcodes import AtomicOp, Size

    cases = [c.atomic(size, op, 1, 2, -8) for size in (Size.W, Size.DW) for op in AtomicOp if op < 0x100]
    cases += [c.atomic(size, op, 3, 4, 16) for size in Size for op in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)]
    cases += [Instruction(0xBF, 1, 2, 1, 1), Instruction(0xBF, 1, 2, 1, 1 << 16)]
    cases += [c.movsx64(1, 2, bits) for bits in (8, 16, 32)] + [c.movsx32(1, 2, bits) for bits in (8, 16)]
    return cases


PROGRAM = sample_program(0) + edge_cases()


def test_sample_program_covers_every_class() -> None:
    assert {insn.opcode & 7 for insn in PROGRAM} == set(range(8)) and len(PROGRAM) > 400


@pytest.mark.tool
@pytest.mark.parametrize("alu32", [False, True], ids=["default", "alu32"])
def test_clang_assembles_our_llvm_syntax_to_our_bytes(alu32: bool, tmp_path: Path) -> None:
    require_ziglang()
    lines = [line.split("\t", 1)[1] for line in disassemble(PROGRAM, syntax="llvm", alu32=alu32)]
    source = tmp_path / "all.s"
    source.write_text('\t.section "socket","ax"\n' + "".join(f"\t{line}\n" for line in lines))
    command = [*ZIG_CC, "-mcpu=v4"]
    built = subprocess.run(
        [*command, "-c", str(source), "-o", str(tmp_path / "all.o")], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr[:2000]
    (section,) = [s for s in code_sections(tmp_path / "all.o") if s.name == "socket"]
    assert section.data == encode(PROGRAM)


@pytest.mark.parametrize("syntax", ["kernel", "llvm"])
def test_every_opcode_has_a_proper_text(syntax: str) -> None:
    text = "\n".join(disassemble(PROGRAM, syntax=syntax))  # type: ignore[arg-type]
    assert "BUG" not in text and "unknown>" not in text and "?" not in text
