"""The ELF container reader: the section table as the ELF ABI defines it, checked against pyelftools."""

from __future__ import annotations

import io
import struct

import pytest
from elftools.elf.elffile import ELFFile

from pybpf.elf.container import section_bytes
from pybpf.elf.reader import DEBUG_SECTIONS, read_elf
from pybpf.errors import ELFError

OBJECTS = ["maps", "globals", "externs", "calls", "sections", "core", "struct_ops"]


def table(data: bytes) -> list[tuple[object, ...]]:
    return [
        (s.name, s.type, s.flags, s.offset, s.size, s.link, s.info, s.entsize, s.data)
        for s in read_elf(data).sections
    ]


def header_fields(data: bytes) -> tuple[int, int, int, int]:
    """(e_shoff, e_shentsize, e_shnum, e_shstrndx)."""
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    return shoff, shentsize, shnum, shstrndx


@pytest.mark.parametrize("name", OBJECTS)
def test_section_table_matches_pyelftools(object_bytes: dict[str, bytes], name: str) -> None:
    data = object_bytes[name]
    expected = []
    for section in ELFFile(io.BytesIO(data)).iter_sections():
        h = section.header
        body = b"" if h["sh_type"] in ("SHT_NOBITS", "SHT_NULL") else section.data()
        expected.append((section.name, h["sh_offset"], h["sh_size"], h["sh_link"], h["sh_info"], body))
    sections = read_elf(data).sections
    # DWARF is left unsliced (a loader never reads it) and read on demand instead.
    assert all(s.data == b"" for s in sections if s.name.startswith(DEBUG_SECTIONS))
    assert any(s.name.startswith(DEBUG_SECTIONS) and s.size for s in sections)
    got = [
        (s.name, s.offset, s.size, s.link, s.info, section_bytes(data, s) if s.name.startswith(DEBUG_SECTIONS) else s.data)
        for s in sections
    ]
    assert got == expected


def test_extended_section_numbering_reads_the_same_table(object_bytes: dict[str, bytes]) -> None:
    data = bytearray(object_bytes["calls"])
    shoff, _, shnum, shstrndx = header_fields(bytes(data))
    struct.pack_into("<Q", data, shoff + 32, shnum)  # section 0's sh_size holds the count
    struct.pack_into("<I", data, shoff + 40, shstrndx)  # and its sh_link the names section
    struct.pack_into("<HH", data, 0x3C, 0, 0xFFFF)  # e_shnum = 0, e_shstrndx = SHN_XINDEX
    expected = table(object_bytes["calls"])
    got = table(bytes(data))
    assert got[1:] == expected[1:]
    assert got[0][3:5] == (0, shnum)


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "reason"),
    [
        (0x3A, "<H", 32, "e_shentsize"),
        (0x28, "<Q", 1 << 40, "past the end"),
        (0x3C, "<H", 0xFFF0, "does not fit"),
        (0x3E, "<H", 0xFFF0, "past the end"),
    ],
)
def test_corrupt_section_table_fields_raise_elf_error(
    object_bytes: dict[str, bytes], offset: int, fmt: str, value: int, reason: str
) -> None:
    data = bytearray(object_bytes["calls"])
    struct.pack_into(fmt, data, offset, value)
    with pytest.raises(ELFError, match=reason):
        read_elf(bytes(data))


def test_object_without_a_section_table_has_no_sections(object_bytes: dict[str, bytes]) -> None:
    data = bytearray(object_bytes["calls"])
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff = 0: no table at all
    assert read_elf(bytes(data)).sections == []
