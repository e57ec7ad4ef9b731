"""Small program builders shared by the VM tests (instructions from ``pybpf.isa.constructors``)."""

from __future__ import annotations

from collections.abc import Mapping

from pybpf.enums import ProgramType
from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction
from pybpf.isa.opcodes import AluOp, Size
from pybpf.spec import MapSpec, ObjectSpec, ProgramSpec, Relocation, RelocationKind


def binop_program(op: AluOp, *, wide: bool, signed: bool = False) -> list[Instruction]:
    """r0 = mem[0:8] <op> mem[8:16]: one prepared program serves every operand pair."""
    alu = c.alu64_reg if wide else c.alu32_reg
    return [
        c.ldx_mem(Size.DW, 0, 1, 0),
        c.ldx_mem(Size.DW, 3, 1, 8),
        alu(op, 0, 3, signed=signed),
        c.exit(),
    ]


def operands(a: int, b: int) -> bytes:
    return a.to_bytes(8, "little") + b.to_bytes(8, "little")


def returning(*body: Instruction) -> list[Instruction]:
    """``body`` followed by exit."""
    return [*body, c.exit()]


def one_program(
    instructions: list[Instruction],
    *maps: MapSpec,
    section: str = "syscall",
    type: ProgramType = ProgramType.SYSCALL,
    relocations: Mapping[int, Relocation] | None = None,
) -> ObjectSpec:
    """An object of one program named ``p`` (a syscall program unless told) and ``maps``."""
    prog = ProgramSpec("p", section, type, instructions=instructions, relocations=dict(relocations or {}))
    return ObjectSpec(programs={"p": prog}, maps={m.name: m for m in maps})


def map_at(slot: int, name: str) -> dict[int, Relocation]:
    """The relocation of one ``lddw`` at ``slot`` loading the fd of map ``name``."""
    return {slot: Relocation(RelocationKind.MAP, name)}
