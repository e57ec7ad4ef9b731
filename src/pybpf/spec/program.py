"""``ProgramSpec``: one entry-point program with its subprograms linked in, ready to load."""

from __future__ import annotations

from pybpf._dataclasses import dataclass, field, replace
from pybpf._typing import TYPE_CHECKING

from ..enums import AttachType, ProgramFlags, ProgramType
from .debuginfo import CORERelocation, FuncInfo, LineInfo
from .relocation import Relocation

if TYPE_CHECKING:
    from ..isa.instruction import Instruction


@dataclass(slots=True)
class ProgramSpec:
    """A program as found in the object.

    ``instructions`` holds the entry function followed by every subprogram it reaches (directly or
    through other subprograms), with call and callback offsets already pointing at the appended
    copies; ``subprograms`` says where each copy starts (name → slot).  ``relocations`` is keyed by
    slot index.  Set ``autoload = False`` to skip the program when loading the object.
    """

    name: str
    section: str
    type: ProgramType
    expected_attach_type: AttachType | None = None
    attach_target: str = ""
    instructions: list[Instruction] = field(default_factory=list)
    relocations: dict[int, Relocation] = field(default_factory=dict)
    subprograms: dict[str, int] = field(default_factory=dict)
    func_info: list[FuncInfo] = field(default_factory=list)
    line_info: list[LineInfo] = field(default_factory=list)
    core_relocations: list[CORERelocation] = field(default_factory=list)
    license: str = ""
    kernel_version: int = 0
    flags: ProgramFlags = ProgramFlags.NONE
    autoload: bool = True
    auto_attach: bool = False
    attach_btf: bool = False

    @property
    def sleepable(self) -> bool:
        return bool(self.flags & ProgramFlags.SLEEPABLE)

    @sleepable.setter
    def sleepable(self, value: bool) -> None:
        if value:
            self.flags |= ProgramFlags.SLEEPABLE
        else:
            self.flags &= ~ProgramFlags.SLEEPABLE

    @property
    def slot_count(self) -> int:
        """Length in 8-byte slots (what the kernel calls ``insn_cnt``)."""
        return sum(insn.size // 8 for insn in self.instructions)

    def slots(self) -> list[int]:
        """Slot index of each instruction, in order."""
        result = []
        slot = 0
        for insn in self.instructions:
            result.append(slot)
            slot += insn.size // 8
        return result

    def bytecode(self) -> bytes:
        from ..isa.instruction import encode

        return encode(self.instructions)

    def copy(self) -> ProgramSpec:
        """A copy whose lists and dicts can be edited independently (instructions are frozen)."""
        return replace(
            self,
            instructions=list(self.instructions),
            relocations=dict(self.relocations),
            subprograms=dict(self.subprograms),
            func_info=list(self.func_info),
            line_info=list(self.line_info),
            core_relocations=list(self.core_relocations),
        )

    def __str__(self) -> str:
        attach = f" {self.expected_attach_type.name.lower()}" if self.expected_attach_type is not None else ""
        return f"{self.name}: {self.type.name.lower()}{attach} section {self.section!r} ({self.slot_count} insns)"


__all__ = ["ProgramSpec"]
