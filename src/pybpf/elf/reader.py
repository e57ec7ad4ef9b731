"""Read the ELF container of a BPF object into plain records.

The header, the section table and the handful of fixed-size tables a BPF object needs (symbols,
``REL`` relocations) are unpacked here with ``struct`` and bounds checks.  Everything below
this module works on these records, so a corrupted file fails *here*, with a
:class:`pybpf.errors.ELFError` naming the section and offset, instead of deep inside the parser
with whatever exception a general-purpose ELF library happened to raise.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field

from ..btf.records import FrozenRecord, finish, set_field
from ..errors import ELFError

EM_BPF = 247
ET_REL = 1
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2

_SYM = struct.Struct("<IBBHQQ")  # Elf64_Sym
_REL = struct.Struct("<QQ")  # Elf64_Rel
_RELA = struct.Struct("<QQq")  # Elf64_Rela
_EHDR = struct.Struct("<HHIQQQ")  # e_type .. e_shoff
_EHDR_TAIL = struct.Struct("<HHH")  # e_shentsize, e_shnum, e_shstrndx
_SHDR = struct.Struct("<IIQQQQIIQQ")  # Elf64_Shdr
SHN_XINDEX = 0xFFFF


class SectionType(enum.IntEnum):
    NULL = 0
    PROGBITS = 1
    SYMTAB = 2
    STRTAB = 3
    RELA = 4
    HASH = 5
    DYNAMIC = 6
    NOTE = 7
    NOBITS = 8
    REL = 9


class SectionFlags(enum.IntFlag):
    NONE = 0
    WRITE = 0x1
    ALLOC = 0x2
    EXECINSTR = 0x4


class SymbolType(enum.IntEnum):
    NOTYPE = 0
    OBJECT = 1
    FUNC = 2
    SECTION = 3
    FILE = 4


class SymbolBind(enum.IntEnum):
    LOCAL = 0
    GLOBAL = 1
    WEAK = 2


class RelocType(enum.IntEnum):
    """``R_BPF_*``."""

    NONE = 0
    R_64_64 = 1  # lddw: 64-bit immediate split over two slots
    R_64_ABS64 = 2  # data: 64-bit address
    R_64_ABS32 = 3  # data: 32-bit address
    R_64_NODYLD32 = 4  # .BTF/.BTF.ext offsets
    R_64_32 = 10  # call: instruction-relative offset


@finish
@dataclass(slots=True, init=False, repr=False, eq=False)
class Section(FrozenRecord):
    """One section header with its contents (empty for NOBITS and the null section)."""

    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int
    data: bytes

    @property
    def is_exec(self) -> bool:
        return self.type == SectionType.PROGBITS and bool(self.flags & SectionFlags.EXECINSTR)

    @property
    def is_alloc(self) -> bool:
        return bool(self.flags & SectionFlags.ALLOC)

    def __init__(
        self,
        index: int,
        name: str,
        type: int,
        flags: int,
        offset: int,
        size: int,
        link: int,
        info: int,
        entsize: int,
        data: bytes,
    ) -> None:
        set_field(self, "index", index)
        set_field(self, "name", name)
        set_field(self, "type", type)
        set_field(self, "flags", flags)
        set_field(self, "offset", offset)
        set_field(self, "size", size)
        set_field(self, "link", link)
        set_field(self, "info", info)
        set_field(self, "entsize", entsize)
        set_field(self, "data", data)


@finish
@dataclass(slots=True, init=False, repr=False, eq=False)
class Symbol(FrozenRecord):
    """One ``Elf64_Sym``; ``type``, ``bind`` and ``visibility`` are unpacked from its info bytes."""

    index: int
    name: str
    value: int
    size: int
    type: int
    bind: int
    visibility: int
    shndx: int

    @property
    def is_undefined(self) -> bool:
        return self.shndx == SHN_UNDEF

    @property
    def is_weak(self) -> bool:
        return self.bind == SymbolBind.WEAK

    def __init__(
        self,
        index: int,
        name: str,
        value: int,
        size: int,
        type: int,
        bind: int,
        visibility: int,
        shndx: int,
    ) -> None:
        set_field(self, "index", index)
        set_field(self, "name", name)
        set_field(self, "value", value)
        set_field(self, "size", size)
        set_field(self, "type", type)
        set_field(self, "bind", bind)
        set_field(self, "visibility", visibility)
        set_field(self, "shndx", shndx)


@finish
@dataclass(slots=True, init=False, repr=False, eq=False)
class Reloc(FrozenRecord):
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


def read_elf(data: bytes) -> ElfFile:
    """Parse the container; raises :class:`ELFError` for anything that is not a sane BPF object."""
    data = bytes(data)
    if data[:4] != b"\x7fELF":
        raise ELFError("not an ELF file (bad magic)", offset=0)
    if len(data) < 64:
        raise ELFError(f"truncated ELF header ({len(data)} of 64 bytes)", offset=0)
    if data[4] != 2:
        raise ELFError("not a 64-bit ELF object (BPF objects are ELFCLASS64)", offset=4)
    if data[5] != 1:
        raise ELFError("big-endian objects are not supported (compile with -target bpfel)", offset=5)
    raw = _read_sections(data)
    sections = raw
    elf = ElfFile(sections=sections, symbols=[])
    for s in sections:
        elf.by_name.setdefault(s.name, s)
    symtabs = [s for s in sections if s.type == SectionType.SYMTAB]
    if len(symtabs) > 1:
        raise ELFError("more than one symbol table", section=symtabs[1].name)
    if symtabs:
        elf.symbols = _read_symbols(elf, symtabs[0])
    for s in sections:
        if s.type in (SectionType.REL, SectionType.RELA):
            if not 0 <= s.info < len(sections):
                raise ELFError(f"relocates missing section #{s.info}", section=s.name)
            elf.rel_sections.setdefault(s.info, []).append(s)
    return elf


def _read_sections(data: bytes) -> list[Section]:
    """Walk the section header table with ``struct``: a BPF object needs nothing more of ELF.

    pyelftools did this job before, but importing it cost more than parsing the whole object.
    The rules are those of the ELF ABI, including extended numbering (``e_shnum == 0`` and
    ``e_shstrndx == SHN_XINDEX`` moving the real values into section 0's header).
    """
    etype, machine, _version, _entry, _phoff, shoff = _EHDR.unpack_from(data, 0x10)
    shentsize, shnum, shstrndx = _EHDR_TAIL.unpack_from(data, 0x3A)
    if machine != EM_BPF:
        raise ELFError(f"not a BPF object (e_machine {machine})", offset=0x12)
    if etype != ET_REL:
        raise ELFError(f"not a relocatable object (e_type {etype}); pass the .o clang wrote", offset=0x10)
    if shoff and shentsize < _SHDR.size:
        raise ELFError(f"unreadable section header table: too small e_shentsize {shentsize}", offset=0x3A)

    def header(index: int) -> tuple[int, ...]:
        at = shoff + index * shentsize
        if at + _SHDR.size > len(data):
            raise ELFError(f"unreadable header of section #{index}: past the end of the file", offset=0x28)
        return _SHDR.unpack_from(data, at)

    count = 0
    if shoff:
        count = shnum if shnum else header(0)[5]
    if count > 65535 or count * 64 > len(data):
        raise ELFError(f"section header count {count} does not fit the file", offset=0x3C)
    names_data = b""
    if count:
        if shstrndx == SHN_XINDEX:
            shstrndx = header(0)[6]
        names = header(shstrndx)
        names_data = _slice(data, names[4], names[5], "section names", 0x3E)
    sections: list[Section] = []
    for index in range(count):
        name_off, stype, flags, _addr, offset, size, link, info, _align, entsize = header(index)
        name = _cstring(names_data, name_off, f"name of section #{index}")
        if stype in (SectionType.NOBITS, SectionType.NULL):
            body = b""
        else:
            body = _slice(data, offset, size, name or f"#{index}", offset)
        sections.append(Section(index, name, stype, flags, offset, size, link, info, entsize, body))
    return sections


def _slice(data: bytes, offset: int, size: int, what: str, at: int) -> bytes:
    if offset < 0 or size < 0 or offset + size > len(data):
        raise ELFError(
            f"{what}: contents [{offset:#x}, {offset + size:#x}) run past the end of the file ({len(data):#x})",
            section=what,
            offset=at,
        )
    return data[offset : offset + size]


def _cstring(table: bytes, offset: int, what: str) -> str:
    if offset < 0 or offset >= len(table):
        if offset == 0:
            return ""
        raise ELFError(f"{what}: string offset {offset:#x} outside the string table", offset=offset)
    end = table.find(b"\0", offset)
    if end < 0:
        raise ELFError(f"{what}: unterminated string", offset=offset)
    try:
        return table[offset:end].decode()
    except UnicodeDecodeError as exc:
        raise ELFError(f"{what}: name is not UTF-8", offset=offset) from exc


def _read_symbols(elf: ElfFile, symtab: Section) -> list[Symbol]:
    if symtab.size % _SYM.size:
        raise ELFError(f"size {symtab.size} is not a multiple of {_SYM.size}", section=symtab.name)
    if not 0 < symtab.link < len(elf.sections):
        raise ELFError(f"string table index {symtab.link} is invalid", section=symtab.name)
    strtab = elf.sections[symtab.link].data
    symbols = []
    for index, (name_off, info, other, shndx, value, size) in enumerate(_SYM.iter_unpack(symtab.data)):
        name = _cstring(strtab, name_off, f"symbol #{index}")
        if shndx != SHN_UNDEF and shndx < SHN_LORESERVE and shndx >= len(elf.sections):
            raise ELFError(
                f"symbol {name or index!r} refers to missing section #{shndx}",
                section=symtab.name,
                offset=index * _SYM.size,
            )
        symbols.append(Symbol(index, name, value, size, info & 0xF, info >> 4, other & 0x3, shndx))
    return symbols


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
    "EM_BPF",
    "SHN_ABS",
    "SHN_COMMON",
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
