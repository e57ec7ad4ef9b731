"""Hypothesis strategies for valid instructions (shared by the ISA property tests)."""

from __future__ import annotations

from itertools import product

from hypothesis import assume
from hypothesis import strategies as st

from pybpf.isa import Instruction
from pybpf.isa.opcodes import ATOMIC_IMMS
from pybpf.isa.validate import reserved_field_error

_SPECIAL_IMMS = sorted({0, 1, 16, 32, 64, 1 << 16, *ATOMIC_IMMS})
_SPECIAL_OFFS = [0, 1, 8, 16, 32, -1]


def _valid_opcodes() -> list[int]:
    found = []
    for opcode in range(256):
        for dst, src, off, imm in product((0, 1), (0, 1, 2), _SPECIAL_OFFS, _SPECIAL_IMMS):
            if reserved_field_error(opcode, dst, src, off, imm) is None:
                found.append(opcode)
                break
    return found


VALID_OPCODES = _valid_opcodes()

imm32 = st.one_of(st.sampled_from(_SPECIAL_IMMS), st.integers(-(2**31), 2**31 - 1))
off16 = st.one_of(st.sampled_from(_SPECIAL_OFFS), st.integers(-(2**15), 2**15 - 1))


@st.composite
def instructions(draw: st.DrawFn) -> Instruction:
    """Any instruction the decoder accepts: random fields, unused ones cleared until valid."""
    opcode = draw(st.sampled_from(VALID_OPCODES))
    fields = {
        "dst": draw(st.integers(0, 10)),
        "src": draw(st.integers(0, 10)),
        "off": draw(off16),
        "imm": draw(imm32),
    }
    for zeroed in (
        (),
        ("src",),
        ("off",),
        ("imm",),
        ("src", "off"),
        ("src", "imm"),
        ("off", "imm"),
        ("src", "off", "imm"),
        ("dst", "src", "off", "imm"),
        ("dst", "src", "imm"),
        ("dst", "src"),
        ("dst", "src", "off"),
    ):
        trial = {**fields, **dict.fromkeys(zeroed, 0)}
        if reserved_field_error(opcode, trial["dst"], trial["src"], trial["off"], trial["imm"]) is None:
            if opcode == 0x18:
                high = draw(st.integers(0, 2**32 - 1))
                return Instruction(
                    opcode, trial["dst"], trial["src"], 0, (high << 32) | (trial["imm"] & 0xFFFFFFFF)
                )
            return Instruction(opcode, **trial)
    assume(False)
    raise AssertionError("unreachable")


programs = st.lists(instructions(), min_size=1, max_size=12)
