"""A small read-only view of an ELF executable or shared object: sections, segments, symbols.

Symbolization and USDT discovery need only section headers, PT_LOAD program headers, the symbol
tables and raw section bytes, for files that may be tens of megabytes (libc, python).  Reading
those few tables with ``struct`` keeps both fast and lets every malformed field surface as one
:class:`~pybpf.errors.ELFError` instead of whatever exception a deeper decoder happens to raise.
"""

from __future__ import annotations

import enum
import os
import struct
from dataclasses import dataclass

from pybpf.errors import ELFError

ELF_MAGIC = b"\x7fELF"


class SectionType(enum.IntEnum):
    """The ``sh_type`` values read here."""

    NULL = 0
    PROGBITS = 1
    SYMTAB = 2
    STRTAB = 3
    NOTE = 7
    NOBITS = 8
    DYNSYM = 11


class SymbolType(enum.IntEnum):
    """``ELF64_ST_TYPE`` values."""

    NOTYPE = 0
    OBJECT = 1
    FUNC = 2
    SECTION = 3
    FILE = 4
    TLS = 6
    GNU_IFUNC = 10


PT_LOAD = 1
SHN_UNDEF = 0


@dataclass(frozen=True)
class Section:
    """One section header; ``addr`` is the virtual address, ``offset`` the file position."""

    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    entsize: int


@dataclass(frozen=True)
class Segment:
    """One program header (only PT_LOAD ones matter for address/offset translation)."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True)
class Symbol:
    """One symbol table entry."""

    name: str
    value: int
    size: int
    type: int
    shndx: int


class ELFFile:
    """An ELF file held in memory; construct with :meth:`from_path` or :meth:`from_bytes`."""

    def __init__(self, data: bytes, *, path: str = "<bytes>") -> None:
        self.data = data
        self.path = path
        if len(data) < 16 or data[:4] != ELF_MAGIC:
            raise ELFError(f"{path}: not an ELF file")
        ei_class, ei_data = data[4], data[5]
        if ei_class not in (1, 2) or ei_data not in (1, 2):
            raise ELFError(f"{path}: unknown ELF class {ei_class} or data encoding {ei_data}")
        self.is64 = ei_class == 2
        self.endian = "<" if ei_data == 1 else ">"
        self.addr_size = 8 if self.is64 else 4
        try:
            self._read_header()
        except (struct.error, IndexError, ValueError) as exc:
            raise ELFError(f"{path}: malformed ELF header ({exc})") from None

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> ELFFile:
        name = os.fspath(path)
        try:
            with open(name, "rb") as stream:
                data = stream.read()
        except OSError as exc:
            raise ELFError(f"cannot read {name}: {exc.strerror or exc}") from None
        return cls(data, path=name)

    @classmethod
    def from_bytes(cls, data: bytes, *, path: str = "<bytes>") -> ELFFile:
        return cls(bytes(data), path=path)

    def _unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        full = self.endian + fmt
        if offset < 0 or offset + struct.calcsize(full) > len(self.data):
            raise ELFError(f"{self.path}: truncated at offset {offset:#x}")
        return struct.unpack_from(full, self.data, offset)

    def _read_header(self) -> None:
        if self.is64:
            fields = self._unpack("HHIQQQIHHHHHH", 16)
        else:
            fields = self._unpack("HHIIIIIHHHHHH", 16)
        (
            self.e_type,
            self.machine,
            _,
            self.entry,
            phoff,
            shoff,
            _,
            _,
            phentsize,
            phnum,
            shentsize,
            shnum,
            shstrndx,
        ) = fields
        self.segments = self._read_segments(phoff, phentsize, phnum)
        self.sections = self._read_sections(shoff, shentsize, shnum, shstrndx)

    def _read_segments(self, phoff: int, entsize: int, count: int) -> list[Segment]:
        segments = []
        for i in range(count if phoff else 0):
            at = phoff + i * entsize
            if self.is64:
                p_type, p_flags, off, vaddr, _, filesz, memsz, _ = self._unpack("IIQQQQQQ", at)
            else:
                p_type, off, vaddr, _, filesz, memsz, p_flags, _ = self._unpack("IIIIIIII", at)
            segments.append(Segment(p_type, p_flags, off, vaddr, filesz, memsz))
        return segments

    def _read_sections(self, shoff: int, entsize: int, count: int, shstrndx: int) -> list[Section]:
        raw = []
        for i in range(count if shoff else 0):
            at = shoff + i * entsize
            if self.is64:
                raw.append(self._unpack("IIQQQQIIQQ", at))
            else:
                raw.append(self._unpack("IIIIIIIIII", at))
        names = b""
        if 0 < shstrndx < len(raw):
            strtab = raw[shstrndx]
            names = self.data[strtab[4] : strtab[4] + strtab[5]]
        return [Section(_cstring(names, r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[9]) for r in raw]

    def section(self, name: str) -> Section | None:
        for sec in self.sections:
            if sec.name == name:
                return sec
        return None

    def section_data(self, sec: Section) -> bytes:
        if sec.type == SectionType.NOBITS:
            return b""
        if sec.offset + sec.size > len(self.data):
            raise ELFError(f"{self.path}: section {sec.name} runs past the end of the file")
        return self.data[sec.offset : sec.offset + sec.size]

    def symbols(self, table: str) -> list[Symbol]:
        """Entries of ``.symtab`` or ``.dynsym`` (empty when the file has no such table)."""
        sec = self.section(table)
        if sec is None or sec.type not in (SectionType.SYMTAB, SectionType.DYNSYM):
            return []
        if not 0 <= sec.link < len(self.sections):
            raise ELFError(f"{self.path}: {table} links to missing string table {sec.link}")
        strings = self.section_data(self.sections[sec.link])
        data = self.section_data(sec)
        entsize = sec.entsize or (24 if self.is64 else 16)
        fmt = self.endian + ("IBBHQQ" if self.is64 else "IIIBBH")
        if struct.calcsize(fmt) > entsize:
            raise ELFError(f"{self.path}: {table} entry size {entsize} is too small")
        out = []
        for at in range(0, len(data) - entsize + 1, entsize):
            if self.is64:
                name, info, _, shndx, value, size = struct.unpack_from(fmt, data, at)
            else:
                name, value, size, info, _, shndx = struct.unpack_from(fmt, data, at)
            out.append(Symbol(_cstring(strings, name), value, size, info & 0xF, shndx))
        return out

    def load_segments(self) -> list[Segment]:
        return [seg for seg in self.segments if seg.type == PT_LOAD]

    def vaddr_to_offset(self, vaddr: int) -> int | None:
        """File offset of virtual address ``vaddr`` (through the PT_LOAD segment holding it)."""
        for seg in self.load_segments():
            if seg.vaddr <= vaddr < seg.vaddr + min(seg.filesz, seg.memsz):
                return vaddr - seg.vaddr + seg.offset
        return None

    def offset_to_vaddr(self, offset: int) -> int | None:
        """Virtual address the bytes at file ``offset`` are mapped to."""
        for seg in self.load_segments():
            if seg.offset <= offset < seg.offset + seg.filesz:
                return offset - seg.offset + seg.vaddr
        return None


def _cstring(table: bytes, offset: int) -> str:
    if not 0 <= offset < len(table):
        return ""
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", "replace")


__all__ = ["PT_LOAD", "SHN_UNDEF", "ELFFile", "Section", "SectionType", "Segment", "Symbol", "SymbolType"]
