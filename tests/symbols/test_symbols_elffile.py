"""The user-binary ELF view: real libraries against pyelftools, every class and byte order, errors."""

from __future__ import annotations

import ctypes.util
import os
import struct
import sys

import pytest
from elftools.elf.elffile import ELFFile as ReferenceELF
from elftools.elf.sections import SymbolTableSection
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import ELFError
from pybpf.symbols import ELFFile
from pybpf.symbols.elffile import SymbolType


def _binaries() -> list[str]:
    found = [os.path.realpath(sys.executable)]
    libc = ctypes.util.find_library("c")
    for directory in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu"):
        if libc and os.path.exists(os.path.join(directory, libc)):
            found.append(os.path.realpath(os.path.join(directory, libc)))
            break
    return found


BINARIES = _binaries()


@pytest.mark.parametrize("path", BINARIES, ids=os.path.basename)
def test_sections_and_load_segments_of_a_real_binary_match_pyelftools(path: str) -> None:
    ours = ELFFile.from_path(path)
    with open(path, "rb") as stream:
        reference = ReferenceELF(stream)
        sections = [(s.name, s["sh_addr"], s["sh_offset"], s["sh_size"]) for s in reference.iter_sections()]
        loads = [
            (p["p_offset"], p["p_vaddr"], p["p_filesz"], p["p_memsz"])
            for p in reference.iter_segments()
            if p["p_type"] == "PT_LOAD"
        ]
    assert [(s.name, s.addr, s.offset, s.size) for s in ours.sections] == sections
    assert [(p.offset, p.vaddr, p.filesz, p.memsz) for p in ours.load_segments()] == loads


@pytest.mark.parametrize("table", [".symtab", ".dynsym"])
@pytest.mark.parametrize("path", BINARIES, ids=os.path.basename)
def test_symbol_tables_of_a_real_binary_match_pyelftools(path: str, table: str) -> None:
    ours = ELFFile.from_path(path).symbols(table)
    with open(path, "rb") as stream:
        section = ReferenceELF(stream).get_section_by_name(table)
        expected = (
            []
            if not isinstance(section, SymbolTableSection)
            else [(s.name, s["st_value"], s["st_size"]) for s in section.iter_symbols()]
        )
    assert [(s.name, s.value, s.size) for s in ours] == expected


def _elf(is64: bool, endian: str, *, symtab_tail: bytes = b"", shentsize: int | None = None) -> bytes:
    """A small ET_DYN file: one PT_LOAD (vaddr 0x400000 ↔ offset 0) and a .dynsym with ``main``."""
    e = endian
    names = b"\0.dynsym\0.dynstr\0.shstrtab\0.text\0"
    strings = b"\0main\0"
    text = b"\x90" * 16
    if is64:
        sym = struct.pack(e + "IBBHQQ", 0, 0, 0, 0, 0, 0) + struct.pack(
            e + "IBBHQQ", 1, 0x12, 0, 4, 0x400100, 16
        )
        ehsize, phsize, shsize = 64, 56, 64
    else:
        sym = struct.pack(e + "IIIBBH", 0, 0, 0, 0, 0, 0) + struct.pack(
            e + "IIIBBH", 1, 0x400100, 16, 0x12, 0, 4
        )
        ehsize, phsize, shsize = 52, 32, 40
    sym += symtab_tail
    body_at = ehsize + phsize
    layout = []  # (name offset, type, addr, offset, size, link, entsize)
    at = body_at
    blobs = b""
    for name_off, stype, blob, link, entsize in (
        (1, 11, sym, 2, 24 if is64 else 16),
        (9, 3, strings, 0, 0),
        (17, 3, names, 0, 0),
        (27, 1, text, 0, 0),
    ):
        layout.append(
            (name_off, stype, 0x400000 + at if stype in (11, 1) else 0, at, len(blob), link, entsize)
        )
        blobs += blob
        at += len(blob)
    shoff = at
    count = len(layout) + 1
    if is64:
        header = struct.pack(
            e + "HHIQQQIHHHHHH",
            3,
            62,
            1,
            0,
            ehsize,
            shoff,
            0,
            ehsize,
            phsize,
            1,
            shentsize or shsize,
            count,
            3,
        )
        phdr = struct.pack(e + "IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, shoff, shoff, 0x1000)
        table = bytes(shsize) + b"".join(
            struct.pack(e + "IIQQQQIIQQ", n, t, 2, a, o, s, link, 0, 1, es)
            for n, t, a, o, s, link, es in layout
        )
    else:
        header = struct.pack(
            e + "HHIIIIIHHHHHH",
            3,
            3,
            1,
            0,
            ehsize,
            shoff,
            0,
            ehsize,
            phsize,
            1,
            shentsize or shsize,
            count,
            3,
        )
        phdr = struct.pack(e + "IIIIIIII", 1, 0, 0x400000, 0x400000, shoff, shoff, 5, 0x1000)
        table = bytes(shsize) + b"".join(
            struct.pack(e + "IIIIIIIIII", n, t, 2, a, o, s, link, 0, 1, es)
            for n, t, a, o, s, link, es in layout
        )
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if e == "<" else 2, 1]) + bytes(9)
    return ident + header + phdr + blobs + table


CLASSES = [(True, "<"), (True, ">"), (False, "<"), (False, ">")]
CLASS_IDS = ["elf64-le", "elf64-be", "elf32-le", "elf32-be"]


@pytest.mark.parametrize(("is64", "endian"), CLASSES, ids=CLASS_IDS)
def test_symbols_of_every_class_and_byte_order_decode(is64: bool, endian: str) -> None:
    elf = ELFFile.from_bytes(_elf(is64, endian))
    (main,) = [s for s in elf.symbols(".dynsym") if s.name]
    assert (main.name, main.value, main.size, main.type, main.shndx) == (
        "main",
        0x400100,
        16,
        SymbolType.FUNC,
        4,
    )
    assert (elf.is64, elf.addr_size, elf.endian) == (is64, 8 if is64 else 4, endian)


@pytest.mark.parametrize(("is64", "endian"), CLASSES, ids=CLASS_IDS)
def test_addresses_and_file_offsets_translate_through_pt_load(is64: bool, endian: str) -> None:
    elf = ELFFile.from_bytes(_elf(is64, endian))
    text = elf.section(".text")
    assert text is not None
    assert elf.vaddr_to_offset(text.addr) == text.offset
    assert elf.offset_to_vaddr(text.offset) == text.addr
    assert elf.section_data(text) == b"\x90" * 16


def test_symbol_table_with_a_partial_trailing_entry_names_the_section() -> None:
    elf = ELFFile.from_bytes(_elf(True, "<", symtab_tail=bytes(5)), path="/x/lib.so")
    with pytest.raises(ELFError, match=r"'\.dynsym'.*/x/lib.so: size 53 is not a multiple of 24"):
        elf.symbols(".dynsym")


def test_too_small_section_header_entries_raise_elf_error_naming_the_file() -> None:
    with pytest.raises(ELFError, match=r"/x/lib.so: .*e_shentsize"):
        ELFFile.from_bytes(_elf(True, "<", shentsize=16), path="/x/lib.so")


def test_section_contents_past_the_end_fail_only_when_read() -> None:
    data = bytearray(_elf(True, "<"))
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    struct.pack_into("<Q", data, shoff + 4 * 64 + 32, 1 << 20)  # sh_size of .text (section #4)
    elf = ELFFile.from_bytes(bytes(data), path="/x/lib.so")
    text = elf.section(".text")
    assert text is not None and elf.symbols(".dynsym")
    with pytest.raises(ELFError, match=r"/x/lib.so: \.text: .*run past the end"):
        elf.section_data(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CLASSES), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6))
def test_corrupted_binaries_read_or_raise_elf_error(
    kind: tuple[bool, str], edits: list[tuple[int, int]]
) -> None:
    data = bytearray(_elf(*kind))
    for at, value in edits:
        if at < len(data):
            data[at] = value
    try:
        elf = ELFFile.from_bytes(bytes(data))
        for table in (".symtab", ".dynsym"):
            elf.symbols(table)
        for section in elf.sections:
            elf.section_data(section)
    except ELFError:
        pass
