"""The one low-level ELF reader: header, section and program header tables, symbol tables.

Two kinds of file go through it: BPF objects (:mod:`pybpf.elf.reader` builds the parser's view on
top) and the executables and shared libraries that symbolization, USDT discovery and uprobes look
into (:mod:`pybpf.symbols.elffile`).  Both need the same few fixed-size tables, unpacked with
``struct`` and bounds-checked here, so that a corrupted file of either kind fails in one place
with a :class:`pybpf.errors.ELFError` that names the section or the offset, instead of whatever
exception a general-purpose ELF library happens to raise.  Policy (which classes, machines or
file types a caller accepts) stays with the callers.

Every message is prefixed with ``where`` (a path, or empty for in-memory objects).
"""

from __future__ import annotations

import struct

from pybpf._dataclasses import dataclass, set_field

from .._enum import KernelIntEnum, KernelIntFlag
from ..errors import ELFError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from mmap import mmap

    #: A whole file: read into memory, or mapped (read in place, sliced into bytes).
    Contents = bytes | mmap

ELF_MAGIC = b"\x7fELF"
ELFCLASS32 = 1
ELFCLASS64 = 2
ELFDATA2LSB = 1
ELFDATA2MSB = 2

SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF

PT_LOAD = 1


class SectionType(KernelIntEnum):
    """``sh_type`` values."""

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
    DYNSYM = 11


class SectionFlags(KernelIntFlag):
    NONE = 0
    WRITE = 0x1
    ALLOC = 0x2
    EXECINSTR = 0x4


class SymbolType(KernelIntEnum):
    """``ELF64_ST_TYPE`` values."""

    NOTYPE = 0
    OBJECT = 1
    FUNC = 2
    SECTION = 3
    FILE = 4
    TLS = 6
    GNU_IFUNC = 10


class SymbolBind(KernelIntEnum):
    LOCAL = 0
    GLOBAL = 1
    WEAK = 2


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the fields of one ELF class live and how its tables unpack."""

    ehdr: struct.Struct  # e_type .. e_shstrndx, from offset 16
    shdr: struct.Struct
    phdr: struct.Struct
    sym: struct.Struct
    shoff_at: int
    phentsize_at: int
    shentsize_at: int
    shnum_at: int
    shstrndx_at: int


def _layout(is64: bool, endian: str) -> _Layout:
    if is64:
        return _Layout(
            struct.Struct(endian + "HHIQQQIHHHHHH"),
            struct.Struct(endian + "IIQQQQIIQQ"),
            struct.Struct(endian + "IIQQQQQQ"),
            struct.Struct(endian + "IBBHQQ"),
            0x28,
            0x36,
            0x3A,
            0x3C,
            0x3E,
        )
    return _Layout(
        struct.Struct(endian + "HHIIIIIHHHHHH"),
        struct.Struct(endian + "IIIIIIIIII"),
        struct.Struct(endian + "IIIIIIII"),
        struct.Struct(endian + "IIIBBH"),
        0x20,
        0x2A,
        0x2E,
        0x30,
        0x32,
    )


_LAYOUTS = {(is64, e): _layout(is64, e) for is64 in (False, True) for e in "<>"}


@dataclass(frozen=True, slots=True)
class Header:
    """The ELF header fields the readers use."""

    is64: bool
    endian: str  # struct byte order: "<" or ">"
    type: int
    machine: int
    entry: int
    phoff: int
    shoff: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int

    @property
    def layout(self) -> _Layout:
        return _LAYOUTS[self.is64, self.endian]

    @property
    def addr_size(self) -> int:
        return 8 if self.is64 else 4


@dataclass(frozen=True, slots=True, init=False)
class Section:
    """One section header; ``data`` holds its contents only when the reader was asked for them."""

    index: int
    name: str
    type: int
    flags: int
    addr: int
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
        addr: int,
        offset: int,
        size: int,
        link: int,
        info: int,
        entsize: int,
        data: bytes = b"",
    ) -> None:
        set_field(self, "index", index)
        set_field(self, "name", name)
        set_field(self, "type", type)
        set_field(self, "flags", flags)
        set_field(self, "addr", addr)
        set_field(self, "offset", offset)
        set_field(self, "size", size)
        set_field(self, "link", link)
        set_field(self, "info", info)
        set_field(self, "entsize", entsize)
        set_field(self, "data", data)


@dataclass(frozen=True, slots=True, init=False)
class Segment:
    """One program header (PT_LOAD ones translate between addresses and file offsets)."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int

    def __init__(self, type: int, flags: int, offset: int, vaddr: int, filesz: int, memsz: int) -> None:
        set_field(self, "type", type)
        set_field(self, "flags", flags)
        set_field(self, "offset", offset)
        set_field(self, "vaddr", vaddr)
        set_field(self, "filesz", filesz)
        set_field(self, "memsz", memsz)


@dataclass(frozen=True, slots=True, init=False)
class Symbol:
    """One symbol table entry; ``type``, ``bind`` and ``visibility`` are unpacked from its info bytes."""

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


def read_header(data: Contents, *, where: str = "") -> Header:
    """The ELF header of ``data``, of either class and byte order."""
    if data[:4] != ELF_MAGIC:
        raise ELFError(f"{where}not an ELF file (bad magic)", offset=0)
    if len(data) < 16:
        raise ELFError(f"{where}truncated ELF header ({len(data)} of 16 identification bytes)", offset=0)
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (ELFCLASS32, ELFCLASS64) or ei_data not in (ELFDATA2LSB, ELFDATA2MSB):
        raise ELFError(f"{where}unknown ELF class {ei_class} or data encoding {ei_data}", offset=4)
    is64 = ei_class == ELFCLASS64
    endian = "<" if ei_data == ELFDATA2LSB else ">"
    ehdr = _LAYOUTS[is64, endian].ehdr
    if len(data) < 16 + ehdr.size:
        raise ELFError(f"{where}truncated ELF header ({len(data)} of {16 + ehdr.size} bytes)", offset=0)
    (
        etype,
        machine,
        _version,
        entry,
        phoff,
        shoff,
        _flags,
        _ehsize,
        phentsize,
        phnum,
        shentsize,
        shnum,
        shstrndx,
    ) = ehdr.unpack_from(data, 16)
    return Header(
        is64, endian, etype, machine, entry, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx
    )


def read_sections(
    data: Contents, header: Header, *, where: str = "", with_data: bool = False, skip: tuple[str, ...] = ()
) -> list[Section]:
    """Walk the section header table by the rules of the ELF ABI.

    That includes extended numbering (``e_shnum == 0`` and ``e_shstrndx == SHN_XINDEX`` moving
    the real values into section 0's header).  ``with_data`` slices every section's contents now,
    so that one running past the end fails here: a BPF object's parser reads them all anyway,
    whereas a 30 MB shared library is better read section by section with :func:`section_bytes`.
    Sections whose names start with one of ``skip`` are checked against the file's size but not
    sliced (their ``data`` stays empty).
    """
    layout = header.layout
    shdr = layout.shdr
    shoff, shentsize = header.shoff, header.shentsize
    if shoff and shentsize < shdr.size:
        raise ELFError(
            f"{where}unreadable section header table: too small e_shentsize {shentsize}",
            offset=layout.shentsize_at,
        )

    def raw(index: int) -> tuple[int, ...]:
        at = shoff + index * shentsize
        if at + shdr.size > len(data):
            raise ELFError(
                f"{where}unreadable header of section #{index}: past the end of the file",
                offset=layout.shoff_at,
            )
        return shdr.unpack_from(data, at)

    count = 0
    if shoff:
        count = header.shnum if header.shnum else raw(0)[5]
    if count > 65535 or count * shdr.size > len(data):
        raise ELFError(f"{where}section header count {count} does not fit the file", offset=layout.shnum_at)
    names = b""
    if count:
        shstrndx = header.shstrndx
        if shstrndx == SHN_XINDEX:
            shstrndx = raw(0)[6]
        table = raw(shstrndx)
        names = _slice(data, table[4], table[5], f"{where}section names", "section names", layout.shstrndx_at)
    sections: list[Section] = []
    for index in range(count):
        name_off, stype, flags, addr, offset, size, link, info, _align, entsize = raw(index)
        name = cstring(names, name_off, f"{where}name of section #{index}")
        body = b""
        if with_data and stype not in (SectionType.NOBITS, SectionType.NULL):
            label = name or f"#{index}"
            _check_within(data, offset, size, f"{where}{label}", label, offset)
            if not (skip and name.startswith(skip)):
                body = data[offset : offset + size]
        sections.append(Section(index, name, stype, flags, addr, offset, size, link, info, entsize, body))
    return sections


def section_bytes(data: Contents, section: Section, *, where: str = "") -> bytes:
    """The contents of ``section`` (empty for NOBITS), checked against the file's size."""
    if section.type == SectionType.NOBITS:
        return b""
    label = section.name or f"#{section.index}"
    return _slice(data, section.offset, section.size, f"{where}{label}", label, section.offset)


def read_segments(data: Contents, header: Header, *, where: str = "") -> list[Segment]:
    """The program header table (empty when ``e_phoff`` is 0, as in relocatable objects)."""
    if not header.phoff:
        return []
    layout = header.layout
    phdr = layout.phdr
    if header.phnum and header.phentsize < phdr.size:
        raise ELFError(
            f"{where}unreadable program header table: too small e_phentsize {header.phentsize}",
            offset=layout.phentsize_at,
        )
    segments = []
    for index in range(header.phnum):
        at = header.phoff + index * header.phentsize
        if at + phdr.size > len(data):
            raise ELFError(f"{where}unreadable program header #{index}: past the end of the file", offset=at)
        if header.is64:
            p_type, p_flags, offset, vaddr, _paddr, filesz, memsz, _align = phdr.unpack_from(data, at)
        else:
            p_type, offset, vaddr, _paddr, filesz, memsz, p_flags, _align = phdr.unpack_from(data, at)
        segments.append(Segment(p_type, p_flags, offset, vaddr, filesz, memsz))
    return segments


def read_symbols(
    header: Header,
    table: Section,
    body: bytes,
    strings: bytes,
    *,
    section_count: int,
    entsize: int = 0,
    where: str = "",
    lenient_names: bool = False,
) -> list[Symbol]:
    """Decode the entries of symbol table ``table`` (contents ``body``, names from ``strings``).

    ``entsize`` is the stride between entries (0: the size of one ``ElfN_Sym``).  Names of
    user binaries are read with ``lenient_names``: one odd name in a library we did not build
    should not cost the symbols of the whole file, whereas a BPF object's names are ours and
    must decode exactly.
    """
    sym = header.layout.sym
    stride = entsize or sym.size
    if stride < sym.size:
        raise ELFError(f"{where}entry size {stride} is too small", section=table.name)
    if len(body) % stride:
        raise ELFError(f"{where}size {len(body)} is not a multiple of {stride}", section=table.name)
    symbols = []
    for index, at in enumerate(range(0, len(body), stride)):
        if header.is64:
            name_off, info, other, shndx, value, size = sym.unpack_from(body, at)
        else:
            name_off, value, size, info, other, shndx = sym.unpack_from(body, at)
        if lenient_names:
            name = _lenient_cstring(strings, name_off)
        else:
            name = cstring(strings, name_off, f"{where}symbol #{index}")
        if shndx != SHN_UNDEF and shndx < SHN_LORESERVE and shndx >= section_count:
            raise ELFError(
                f"{where}symbol {name or index!r} refers to missing section #{shndx}",
                section=table.name,
                offset=at,
            )
        symbols.append(Symbol(index, name, value, size, info & 0xF, info >> 4, other & 0x3, shndx))
    return symbols


def strings_of(sections: list[Section], table: Section, *, where: str = "") -> Section:
    """The string table section that symbol table ``table`` links to."""
    if not 0 < table.link < len(sections):
        raise ELFError(f"{where}string table index {table.link} is invalid", section=table.name)
    return sections[table.link]


def vaddr_to_offset(segments: Iterable[Segment], vaddr: int) -> int | None:
    """File offset of virtual address ``vaddr``, through the PT_LOAD segment whose file bytes hold it."""
    for seg in segments:
        if seg.type == PT_LOAD and seg.vaddr <= vaddr < seg.vaddr + min(seg.filesz, seg.memsz):
            return vaddr - seg.vaddr + seg.offset
    return None


def offset_to_vaddr(segments: Iterable[Segment], offset: int) -> int | None:
    """Virtual address the bytes at file ``offset`` are mapped to (through a PT_LOAD segment)."""
    for seg in segments:
        if seg.type == PT_LOAD and seg.offset <= offset < seg.offset + seg.filesz:
            return offset - seg.offset + seg.vaddr
    return None


def cstring(table: bytes, offset: int, what: str) -> str:
    """The NUL-terminated UTF-8 string at ``offset`` of a string table; offset 0 of an empty table is ""."""
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


def _lenient_cstring(table: bytes, offset: int) -> str:
    if not 0 <= offset < len(table):
        return ""
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", "replace")


def _check_within(data: Contents, offset: int, size: int, what: str, section: str, at: int) -> None:
    if offset < 0 or size < 0 or offset + size > len(data):
        raise ELFError(
            f"{what}: contents [{offset:#x}, {offset + size:#x}) run past the end of the file ({len(data):#x})",
            section=section,
            offset=at,
        )


def _slice(data: Contents, offset: int, size: int, what: str, section: str, at: int) -> bytes:
    _check_within(data, offset, size, what, section, at)
    return data[offset : offset + size]


__all__ = [
    "ELF_MAGIC",
    "PT_LOAD",
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_LORESERVE",
    "SHN_UNDEF",
    "SHN_XINDEX",
    "Header",
    "Section",
    "SectionFlags",
    "SectionType",
    "Segment",
    "Symbol",
    "SymbolBind",
    "SymbolType",
    "cstring",
    "offset_to_vaddr",
    "read_header",
    "read_sections",
    "read_segments",
    "read_symbols",
    "section_bytes",
    "strings_of",
    "vaddr_to_offset",
]
