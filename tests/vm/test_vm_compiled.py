"""Programs compiled by clang run in the VM and agree with the same algorithm in Python.

Compiler output has block shapes hand-written assembly rarely has (rotated loops, shared exits,
32-bit subregisters), so this exercises the translator on real code.  Subprogram calls are
linked here by hand (one R_BPF_64_32 fix-up kind) to keep the test independent of pybpf.elf.
"""

from __future__ import annotations

import io
import itertools
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.vm import Program, prepare
from testlib import zig_cc

pytestmark = pytest.mark.tool

SOURCE = Path(__file__).parent / "data" / "vm_progs.c"
M64 = (1 << 64) - 1


def _link(path: Path) -> dict[str, bytes]:
    """Section name -> program bytes, with calls into ``.text`` appended and patched."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    elf = ELFFile(io.BytesIO(path.read_bytes()))
    text = elf.get_section_by_name(".text")
    text_bytes = text.data() if text is not None else b""
    symtab = elf.get_section_by_name(".symtab")
    programs = {}
    for section in elf.iter_sections():
        if not section.name.startswith("p_"):
            continue
        code = bytearray(section.data())
        base = len(code) // 8
        relocs = elf.get_section_by_name(f".rel{section.name}")
        if isinstance(relocs, RelocationSection):
            for rel in relocs.iter_relocations():
                symbol = symtab.get_symbol(rel["r_info_sym"])
                slot = rel["r_offset"] // 8
                imm = struct.unpack_from("<i", code, rel["r_offset"] + 4)[0]
                target = base + symbol["st_value"] // 8 + imm + 1
                struct.pack_into("<i", code, rel["r_offset"] + 4, target - slot - 1)
        programs[section.name] = bytes(code) + text_bytes
    return programs


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Program]:
    out = zig_cc(SOURCE, tmp_path_factory.mktemp("vm") / "progs.o", "-O2", "-mcpu=v4", timeout=120)
    return {name: prepare(code) for name, code in _link(out).items()}


def fnv(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & M64
    return h


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200))
def test_compiled_hash_loop_matches_python(compiled: dict[str, Program], data: bytes) -> None:
    assert compiled["p_fnv"].run(data).r0 == fnv(data)


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.integers(0, 2**32 - 1), max_size=24))
def test_compiled_bubble_sort_sorts_memory_in_place(compiled: dict[str, Program], values: list[int]) -> None:
    result = compiled["p_sort"].run(struct.pack(f"<{len(values)}I", *values))
    assert list(struct.unpack(f"<{len(values)}I", result.memory)) == sorted(values)


def c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=12))
def test_compiled_signed_division_matches_c_semantics(
    compiled: dict[str, Program], values: list[int]
) -> None:
    expected = 0
    for a, b in itertools.pairwise(values):
        if b:
            expected += c_div(a, b) + (a - b * c_div(a, b))
    memory = struct.pack(f"<{len(values)}q", *values)
    assert compiled["p_sdiv"].run(memory).r0 == expected & M64


@pytest.mark.parametrize(("first", "length"), [(0, 8), (3, 8), (2**32, 16)])
def test_compiled_subprogram_calls_return_through_the_caller(
    compiled: dict[str, Program], first: int, length: int
) -> None:
    memory = first.to_bytes(8, "little") + bytes(length - 8)
    expected = (first * first + 1 + length * length + 1) & M64
    assert compiled["p_call"].run(memory).r0 == expected
