"""User symbols: /proc/PID/maps, ELF symbol tables, PIE and shared objects."""

from __future__ import annotations

import ctypes
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import ELFError, ParseError
from pybpf.symbols import (
    ELFFile,
    ProcessMaps,
    UserSymbols,
    elf_symbols,
    format_stack,
    parse_maps,
    read_stack,
    stack_addresses,
)

MAPS = """\
55d0c0000000-55d0c0001000 r--p 00000000 08:01 1234 /usr/bin/prog
55d0c0001000-55d0c0005000 r-xp 00001000 08:01 1234 /usr/bin/prog
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]
7f0000000000-7f0000001000 r-xp 00002000 08:01 99 /tmp/gone.so (deleted)
"""


def _address(function: object) -> int:
    value = ctypes.cast(function, ctypes.c_void_p).value
    assert value is not None
    return value


def test_maps_lines_decode_to_ranges_offsets_and_paths() -> None:
    mappings = parse_maps(MAPS)
    assert [(m.start, m.offset, m.path) for m in mappings] == [
        (0x55D0C0000000, 0, "/usr/bin/prog"),
        (0x55D0C0001000, 0x1000, "/usr/bin/prog"),
        (0x7FFC00000000, 0, "[stack]"),
        (0x7F0000000000, 0x2000, "/tmp/gone.so"),
    ]


@pytest.mark.parametrize(
    ("address", "path", "file_offset"),
    [(0x55D0C0001234, "/usr/bin/prog", 0x1234), (0x7F0000000010, "/tmp/gone.so", 0x2010), (0x10, None, None)],
)
def test_address_maps_to_its_file_and_file_offset(
    address: int, path: str | None, file_offset: int | None
) -> None:
    mapping = ProcessMaps(parse_maps(MAPS)).find(address)
    assert (mapping.path if mapping else None, mapping.file_offset(address) if mapping else None) == (
        path,
        file_offset,
    )


@pytest.mark.parametrize("text", ["nonsense", "1000-2000 r-xp zz 08:01 1 /x"])
def test_malformed_maps_line_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_maps(text)


@pytest.mark.parametrize("function", ["getpid", "malloc", "free"])
def test_libc_function_address_of_this_process_symbolizes_to_its_name(function: str) -> None:
    address = _address(getattr(ctypes.CDLL("libc.so.6"), function))
    frame = UserSymbols().lookup(address)
    assert frame is not None
    assert (frame.module.startswith("libc"), frame.offset) == (True, 0)
    assert _address(getattr(ctypes.CDLL("libc.so.6"), frame.name)) == address


def test_address_inside_a_function_resolves_with_its_offset() -> None:
    address = _address(ctypes.CDLL("libc.so.6").getpid)
    frame = UserSymbols().lookup(address + 2)
    assert frame is not None and (frame.offset, _address(getattr(ctypes.CDLL("libc.so.6"), frame.name))) == (
        2,
        address,
    )


def test_python_interpreter_function_symbolizes_to_its_name() -> None:
    frame = UserSymbols().lookup(_address(ctypes.pythonapi.Py_IsInitialized))
    assert frame is not None and (frame.name, frame.offset) == ("Py_IsInitialized", 0)


def test_unmapped_address_symbolizes_to_none() -> None:
    assert UserSymbols().lookup(8) is None


@pytest.mark.parametrize("pie", [True, False], ids=["pie", "non-pie"])
def test_function_of_a_running_gcc_built_program_symbolizes_by_pid(
    gcc: str, tmp_path: Path, pie: bool
) -> None:
    source = tmp_path / "t.c"
    source.write_text(
        "#include <stdio.h>\n"
        '__attribute__((noinline)) void pybpf_marker(void) { __asm__ volatile(""); }\n'
        'int main(void) { printf("%p\\n", (void *)pybpf_marker); fflush(stdout); getchar(); return 0; }\n'
    )
    binary = tmp_path / "t"
    flags = ["-fPIE", "-pie"] if pie else ["-fno-pie", "-no-pie"]
    subprocess.run([gcc, "-O0", *flags, "-o", str(binary), str(source)], check=True)
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        address = int(proc.stdout.readline(), 16)
        frame = UserSymbols(proc.pid).lookup(address + 1)
    finally:
        proc.communicate("\n", timeout=10)
    assert frame is not None and (frame.name, frame.offset, frame.module) == ("pybpf_marker", 1, "t")


def test_symbol_tables_are_cached_per_file() -> None:
    path = UserSymbols().lookup(_address(ctypes.CDLL("libc.so.6").getpid))
    assert path is not None
    assert elf_symbols(path.path) is elf_symbols(path.path)


def test_format_stack_prints_one_symbolized_frame_per_line() -> None:
    address = _address(ctypes.CDLL("libc.so.6").getpid)
    text = format_stack([address + 4, 8], pid=os.getpid(), show_address=False)
    first, second = text.splitlines()
    assert (first.split("+")[1], second) == ("0x4 [libc.so.6]", "    [unknown]")


def test_stack_value_stops_at_the_first_zero() -> None:
    raw = (
        (0x10).to_bytes(8, "little") + (0x20).to_bytes(8, "little") + bytes(8) + (0x30).to_bytes(8, "little")
    )
    assert stack_addresses(raw) == [0x10, 0x20]


def test_stack_value_of_a_partial_word_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        stack_addresses(bytes(12))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_as_elf_or_raise_elf_error(data: bytes) -> None:
    try:
        elf = ELFFile.from_bytes(b"\x7fELF\x02\x01\x01" + data)
        elf.symbols(".symtab")
        elf.symbols(".dynsym")
    except ELFError:
        pass


def test_negative_stack_id_reads_as_an_empty_stack_without_touching_the_map() -> None:
    class NoMap:
        fd = -1
        value_size = 8

    assert read_stack(NoMap(), -14) == []
