"""Read the ELF container of a BPF object into plain records.

The tables themselves are walked by :mod:`pybpf.elf.container`, the reader shared with the
user-binary side (:mod:`pybpf.symbols`); this module adds what is particular to BPF objects:
the policy (64-bit little-endian ``EM_BPF`` relocatable objects only, one symbol table),
contents read eagerly, and ``REL``/``RELA`` relocations.  A corrupted file fails *here*, with a
:class:`pybpf.errors.ELFError` naming the section and offset, instead of deep inside the parser.
"""

from __future__ import annotations

import mmap
import struct

from pybpf._dataclasses import dataclass, field, set_field

from .._enum import KernelIntEnum
from ..errors import ELFError
from .container import (
    SHN_ABS,
    SHN_COMMON,
    SHN_LORESERVE,
    SHN_UNDEF,
    Section,
    SectionFlags,
    SectionType,
    Symbol,
    SymbolBind,
    SymbolType,
    read_header,
    read_sections,
    read_symbols,
    strings_of,
)

EM_BPF = 247
ET_REL = 1

_REL = struct.Struct("<QQ")  # Elf64_Rel
_RELA = struct.Struct("<QQq")  # Elf64_Rela


class RelocType(KernelIntEnum):
    """``R_BPF_*``."""

    NONE = 0
    R_64_64 = 1  # lddw: 64-bit immediate split over two slots
    R_64_ABS64 = 2  # data: 64-bit address
    R_64_ABS32 = 3  # data: 32-bit address
    R_64_NODYLD32 = 4  # .BTF/.BTF.ext offsets
    R_64_32 = 10  # call: instruction-relative offset


@dataclass(frozen=True, slots=True, init=False)
class Reloc:
    """One relocation: ``offset`` inside the target section, against ``symbol``."""

    offset: int
    type: int
    symbol: Symbol
    addend: int = 0

    def __init__(self, offset: int, type: int, symbol: Symbol, addend: int = 0) -> None:
        set_field(self, "offset", offset)
        set_field(self, "type", type)
        set_field(self, "symbol", symbol)
        set_field(self, "addend", addend)


@dataclass(slots=True)
class ElfFile:
    sections: list[Section]
    symbols: list[Symbol]
    by_name: dict[str, Section] = field(default_factory=dict)
    #: target section index → the REL/RELA sections that patch it (decoded on demand: debug
    #: sections carry most of an object's relocations and nobody needs them)
    rel_sections: dict[int, list[Section]] = field(default_factory=dict)
    _relocs: dict[int, list[Reloc]] = field(default_factory=dict)

    def relocations(self, index: int) -> list[Reloc]:
        """Relocations applying to section ``index``, in file order."""
        cached = self._relocs.get(index)
        if cached is None:
            cached = [r for rel in self.rel_sections.get(index, []) for r in _read_relocs(self, rel)]
            self._relocs[index] = cached
        return cached

    def section(self, name: str) -> Section | None:
        return self.by_name.get(name)

    def section_name(self, index: int) -> str:
        if 0 <= index < len(self.sections):
            return self.sections[index].name
        return f"#{index}"


#: Sections a BPF loader never reads, left unsliced: the DWARF of an object built with ``-g`` and
#: its relocations are most of its bytes (about 670 of bootstrap's 708 KB).
DEBUG_SECTIONS = (".debug_", ".rel.debug_", ".rela.debug_")


def read_elf(data: bytes | mmap.mmap) -> ElfFile:
    """Parse the container; raises :class:`ELFError` for anything that is not a sane BPF object.

    The sections of :data:`DEBUG_SECTIONS` keep empty ``data``
    (:func:`~pybpf.elf.container.section_bytes` reads them).
    """
    if not isinstance(data, (bytes, mmap.mmap)):  # a mapping is read in place
        data = bytes(data)
    if data[:4] != b"\x7fELF":
        raise ELFError("not an ELF file (bad magic)", offset=0)
    if len(data) < 64:
        raise ELFError(f"truncated ELF header ({len(data)} of 64 bytes)", offset=0)
    if data[4] != 2:
        raise ELFError("not a 64-bit ELF object (BPF objects are ELFCLASS64)", offset=4)
    if data[5] != 1:
        raise ELFError("big-endian objects are not supported (compile with -target bpfel)", offset=5)
    header = read_header(data)
    if header.machine != EM_BPF:
        raise ELFError(f"not a BPF object (e_machine {header.machine})", offset=0x12)
    if header.type != ET_REL:
        raise ELFError(
            f"not a relocatable object (e_type {header.type}); pass the .o clang wrote", offset=0x10
        )
    sections = read_sections(data, header, with_data=True, skip=DEBUG_SECTIONS)
    elf = ElfFile(sections=sections, symbols=[])
    for s in sections:
        elf.by_name.setdefault(s.name, s)
    symtabs = [s for s in sections if s.type == SectionType.SYMTAB]
    if len(symtabs) > 1:
        raise ELFError("more than one symbol table", section=symtabs[1].name)
    if symtabs:
        symtab = symtabs[0]
        strtab = strings_of(sections, symtab)
        # entsize left at 0: entries are Elf64_Sym-sized whatever sh_entsize claims.
        elf.symbols = read_symbols(header, symtab, symtab.data, strtab.data, section_count=len(sections))
    for s in sections:
        if s.type in (SectionType.REL, SectionType.RELA):
            if not 0 <= s.info < len(sections):
                raise ELFError(f"relocates missing section #{s.info}", section=s.name)
            elf.rel_sections.setdefault(s.info, []).append(s)
    return elf


def _read_relocs(elf: ElfFile, rel: Section) -> list[Reloc]:
    entry = _REL if rel.type == SectionType.REL else _RELA
    if rel.size % entry.size:
        raise ELFError(f"size {rel.size} is not a multiple of {entry.size}", section=rel.name)
    if not 0 <= rel.info < len(elf.sections):
        raise ELFError(f"relocates missing section #{rel.info}", section=rel.name)
    result = []
    for index, fields in enumerate(entry.iter_unpack(rel.data)):
        offset, info = fields[0], fields[1]
        addend = fields[2] if len(fields) > 2 else 0
        sym_index = info >> 32
        if sym_index >= len(elf.symbols):
            raise ELFError(
                f"relocation #{index} refers to missing symbol #{sym_index}",
                section=rel.name,
                offset=index * entry.size,
            )
        result.append(Reloc(offset, info & 0xFFFFFFFF, elf.symbols[sym_index], addend))
    return result


__all__ = [
    "DEBUG_SECTIONS",
    "EM_BPF",
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_LORESERVE",
    "SHN_UNDEF",
    "ElfFile",
    "Reloc",
    "RelocType",
    "Section",
    "SectionFlags",
    "SectionType",
    "Symbol",
    "SymbolBind",
    "SymbolType",
    "read_elf",
]
