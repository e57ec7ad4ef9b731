"""Split executable sections into functions and resolve what each instruction refers to.

A function is the span of one ``STT_FUNC`` symbol.  Each referencing instruction gets a
:class:`Ref`: either a symbolic :class:`~pybpf.spec.Relocation` (maps, globals, externs) or a
code target (section, slot) for calls and callbacks, which the linker turns into offsets once it
knows where the callee is placed.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, field, set_field
from pybpf._sorted import bisect_left
from pybpf._typing import TYPE_CHECKING

from ..errors import ELFError
from ..isa.instruction import Instruction, decode
from ..spec import ExternKind, ExternSpec, Relocation, RelocationKind
from .btfmaps import PlacedMap
from .reader import SHN_LORESERVE, ElfFile, Reloc, RelocType, Section, SymbolType

if TYPE_CHECKING:
    from collections.abc import Callable

CALL = 0x85
LDDW = 0x18
PSEUDO_CALL = 1


@dataclass(frozen=True, slots=True, init=False)
class CodeTarget:
    """A call or callback target: slot ``slot`` of section ``section`` (by index)."""

    section: int
    slot: int
    is_callback: bool

    def __init__(self, section: int, slot: int, is_callback: bool) -> None:
        set_field(self, "section", section)
        set_field(self, "slot", slot)
        set_field(self, "is_callback", is_callback)


Ref = Relocation | CodeTarget


@dataclass(slots=True)
class Function:
    """One function of an executable section, in section slots ``[start, end)``."""

    name: str
    section: Section
    start: int
    end: int
    insns: list[tuple[int, Instruction]] = field(default_factory=list)
    refs: dict[int, Ref] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int]:
        return (self.section.index, self.start)

    @property
    def slot_count(self) -> int:
        return self.end - self.start


@dataclass(slots=True)
class DataTargets:
    """What lddw relocations may point at, by section index."""

    global_data: dict[int, str]  # data section index → map name
    btf_maps: dict[int, PlacedMap]  # offset in .maps → map
    legacy_maps: dict[int, PlacedMap]  # offset in maps → map
    maps_index: int | None
    legacy_index: int | None
    externs: dict[str, ExternSpec]


def split_functions(elf: ElfFile, section: Section) -> list[Function]:
    """Decode ``section`` and cut it at its function symbols."""
    if section.size % 8:
        raise ELFError(f"size {section.size} is not a multiple of 8", section=section.name)
    insns = _decode_slots(section)
    symbols = sorted(
        (s for s in elf.symbols if s.shndx == section.index and s.type == SymbolType.FUNC and s.name),
        key=lambda s: s.value,
    )
    nslots = section.size // 8
    if not symbols:
        if not insns:
            return []
        # Hand-written assembly may carry no symbol: the whole section is one program.
        return [Function(section.name, section, 0, nslots, insns)]
    functions = []
    starts = sorted({s.value for s in symbols})
    slots = [slot for slot, _ in insns]
    for sym in symbols:
        if sym.value % 8:
            raise ELFError(
                f"function {sym.name!r} starts at a misaligned offset", section=section.name, offset=sym.value
            )
        start = sym.value // 8
        if start >= nslots:
            raise ELFError(
                f"function {sym.name!r} starts past the end", section=section.name, offset=sym.value
            )
        if sym.size:
            if sym.size % 8 or sym.value + sym.size > section.size:
                raise ELFError(
                    f"function {sym.name!r} has a bad size {sym.size}", section=section.name, offset=sym.value
                )
            end = start + sym.size // 8
        else:
            later = [v for v in starts if v > sym.value]
            end = later[0] // 8 if later else nslots
        body = insns[bisect_left(slots, start) : bisect_left(slots, end)]
        if not body or body[0][0] != start:
            raise ELFError(
                f"function {sym.name!r} does not start on an instruction",
                section=section.name,
                offset=sym.value,
            )
        last_slot, last = body[-1]
        if last_slot + last.slots > end:
            raise ELFError(
                f"function {sym.name!r} ends inside an lddw", section=section.name, offset=sym.value
            )
        functions.append(Function(sym.name, section, start, end, body))
    return functions


def _decode_slots(section: Section) -> list[tuple[int, Instruction]]:
    result = []
    slot = 0
    for insn in decode(section.data, section=section.name):
        result.append((slot, insn))
        slot += insn.slots
    return result


def resolve_references(
    elf: ElfFile, section: Section, functions: list[Function], targets: DataTargets
) -> None:
    """Attach a :class:`Ref` to every relocated instruction and to every local pseudo call."""
    by_slot: dict[int, tuple[Function, Instruction]] = {}
    for fn in functions:
        for slot, insn in fn.insns:
            by_slot[slot] = (fn, insn)
    for reloc in elf.relocations(section.index):
        if reloc.offset % 8 or reloc.offset // 8 not in by_slot:
            raise ELFError(
                "relocation does not point at an instruction", section=section.name, offset=reloc.offset
            )
        slot = reloc.offset // 8
        fn, insn = by_slot[slot]
        fn.refs[slot] = _classify(elf, section, reloc, insn, targets)
    for fn in functions:
        for slot, insn in fn.insns:
            if slot not in fn.refs and insn.opcode == CALL and insn.src == PSEUDO_CALL:
                fn.refs[slot] = CodeTarget(section.index, slot + insn.imm + 1, False)


def _classify(elf: ElfFile, section: Section, reloc: Reloc, insn: Instruction, targets: DataTargets) -> Ref:
    sym = reloc.symbol

    def fail(message: str) -> ELFError:
        return ELFError(message, section=section.name, offset=reloc.offset)

    label = sym.name or elf.section_name(sym.shndx)
    if insn.opcode == CALL:
        if reloc.type != RelocType.R_64_32:
            raise fail(f"call relocated with type {reloc.type} (expected R_BPF_64_32)")
        if sym.is_undefined:
            ext = targets.externs.get(sym.name)
            if ext is None or ext.kind is not ExternKind.KFUNC:
                raise fail(f"call of {sym.name!r}, which is not a __ksym kernel function")
            return Relocation(RelocationKind.KFUNC, sym.name, weak=ext.weak)
        if insn.src != PSEUDO_CALL:
            raise fail(f"relocation on a helper call ({label!r})")
        target = _code_section(elf, sym.shndx, label, fail)
        if sym.value % 8:
            raise fail(f"call target {label!r} is misaligned")
        return CodeTarget(target.index, sym.value // 8 + insn.imm + 1, False)
    if insn.opcode != LDDW:
        raise fail(f"relocation against {label!r} on an instruction with opcode {insn.opcode:#04x}")
    if reloc.type != RelocType.R_64_64:
        raise fail(f"lddw relocated with type {reloc.type} (expected R_BPF_64_64)")
    addend = insn.imm & 0xFFFFFFFF
    if addend >= 1 << 31:
        addend -= 1 << 32
    if sym.is_undefined:
        ext = targets.externs.get(sym.name)
        if ext is None:
            raise fail(f"reference to undefined symbol {sym.name!r}")
        if ext.kind is ExternKind.KCONFIG:
            return Relocation(RelocationKind.KCONFIG, sym.name, offset=ext.offset, weak=ext.weak)
        return Relocation(RelocationKind.KSYM, sym.name, weak=ext.weak)
    if sym.shndx >= SHN_LORESERVE:
        raise fail(
            f"reference to {label!r} in special section {sym.shndx:#x} (common symbols need -fno-common)"
        )
    offset = sym.value + addend
    target_section = elf.sections[sym.shndx]
    if target_section.is_exec:
        if offset % 8 or offset < 0:
            raise fail(f"callback {label!r} address is misaligned")
        return CodeTarget(target_section.index, offset // 8, True)
    if sym.shndx == targets.maps_index:
        return _map_ref(targets.btf_maps, offset, label, fail)
    if sym.shndx == targets.legacy_index:
        return _map_ref(targets.legacy_maps, offset, label, fail)
    map_name = targets.global_data.get(sym.shndx)
    if map_name is None:
        raise fail(f"reference to {label!r} in unsupported section {target_section.name!r}")
    if not 0 <= offset <= target_section.size:
        raise fail(f"reference to {label!r} at offset {offset} outside {target_section.name!r}")
    return Relocation(RelocationKind.MAP_VALUE, map_name, offset=offset)


def _code_section(elf: ElfFile, index: int, label: str, fail: Callable[[str], ELFError]) -> Section:
    if not 0 < index < len(elf.sections) or not elf.sections[index].is_exec:
        raise fail(f"call target {label!r} is not in an executable section")
    return elf.sections[index]


def _map_ref(
    maps: dict[int, PlacedMap], offset: int, label: str, fail: Callable[[str], ELFError]
) -> Relocation:
    placed = maps.get(offset)
    if placed is None:
        raise fail(f"reference to {label!r} is not the start of a map definition")
    return Relocation(RelocationKind.MAP, placed.spec.name)


__all__ = ["CodeTarget", "DataTargets", "Function", "Ref", "resolve_references", "split_functions"]
