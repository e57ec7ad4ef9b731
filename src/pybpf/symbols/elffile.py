"""A read-only view of an ELF executable or shared object: sections, segments, symbols.

Symbolization, USDT discovery and uprobes need only section headers, PT_LOAD program headers,
the symbol tables and raw section bytes, for files that may be tens of megabytes (libc, python).
The tables are walked by :mod:`pybpf.elf.container`, the reader BPF objects go through too;
this view adds the user-binary side: either class and byte order, section contents read only
when asked for, names looked up by table, and address/file-offset translation.
"""

from __future__ import annotations

import os

from pybpf.elf.container import (
    ELF_MAGIC,
    PT_LOAD,
    SHN_UNDEF,
    Section,
    SectionType,
    Segment,
    Symbol,
    SymbolType,
    offset_to_vaddr,
    read_header,
    read_sections,
    read_segments,
    read_symbols,
    section_bytes,
    strings_of,
    vaddr_to_offset,
)
from pybpf.errors import ELFError


class ELFFile:
    """An ELF file held in memory; construct with :meth:`from_path` or :meth:`from_bytes`."""

    def __init__(self, data: bytes, *, path: str = "<bytes>") -> None:
        self.data = data
        self.path = path
        self._where = f"{path}: "
        header = read_header(data, where=self._where)
        self.header = header
        self.is64 = header.is64
        self.endian = header.endian
        self.addr_size = header.addr_size
        self.e_type = header.type
        self.machine = header.machine
        self.entry = header.entry
        self.segments = read_segments(data, header, where=self._where)
        self.sections = read_sections(data, header, where=self._where)
        self._by_name: dict[str, Section] = {}
        for sec in self.sections:
            self._by_name.setdefault(sec.name, sec)

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

    def section(self, name: str) -> Section | None:
        return self._by_name.get(name)

    def section_data(self, sec: Section) -> bytes:
        return section_bytes(self.data, sec, where=self._where)

    def symbols(self, table: str) -> list[Symbol]:
        """Entries of ``.symtab`` or ``.dynsym`` (empty when the file has no such table)."""
        sec = self.section(table)
        if sec is None or sec.type not in (SectionType.SYMTAB, SectionType.DYNSYM):
            return []
        strings = self.section_data(strings_of(self.sections, sec, where=self._where))
        return read_symbols(
            self.header,
            sec,
            self.section_data(sec),
            strings,
            section_count=len(self.sections),
            entsize=sec.entsize,
            where=self._where,
            lenient_names=True,
        )

    def load_segments(self) -> list[Segment]:
        return [seg for seg in self.segments if seg.type == PT_LOAD]

    def vaddr_to_offset(self, vaddr: int) -> int | None:
        """File offset of virtual address ``vaddr`` (through the PT_LOAD segment holding it)."""
        return vaddr_to_offset(self.segments, vaddr)

    def offset_to_vaddr(self, offset: int) -> int | None:
        """Virtual address the bytes at file ``offset`` are mapped to."""
        return offset_to_vaddr(self.segments, offset)


__all__ = [
    "ELF_MAGIC",
    "PT_LOAD",
    "SHN_UNDEF",
    "ELFFile",
    "Section",
    "SectionType",
    "Segment",
    "Symbol",
    "SymbolType",
]
