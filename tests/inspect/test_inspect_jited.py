"""Source lines in ``prog dump jited``: pairing line info with the JIT's addresses."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import BTF
from pybpf.inspect import jited
from pybpf.inspect.jited import JitLine
from pybpf.inspect.xlated import SourceLine
from testlib import find_tool

# A BTF blob with no types and the strings "", "a.c", "x = 1;".
_STRINGS = b"\0a.c\0x = 1;\0"
_BTF = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 0, 0, len(_STRINGS)) + _STRINGS
_FILE, _LINE = 1, 5


def _line_rec(line_num: int, col: int) -> bytes:
    return struct.pack("<IIII", 0, _FILE, _LINE, (line_num << 10) | col)


@pytest.mark.parametrize(
    ("address", "funcs", "expected"),
    [
        (0x1000, [(0x1000, 0x40)], 0),
        (0x1010, [(0x1000, 0x40)], 0x10),
        (0x2004, [(0x1000, 0x40), (0x2000, 0x20)], 0x44),
        (0x1040, [(0x1000, 0x40)], None),
        (0x0FFF, [(0x1000, 0x40)], None),
    ],
)
def test_jit_addresses_map_to_offsets_of_the_concatenated_image(
    address: int, funcs: list[tuple[int, int]], expected: int | None
) -> None:
    assert jited.image_offset(address, funcs) == expected


def test_each_line_info_record_lands_at_its_jit_offset() -> None:
    btf = BTF.from_bytes(_BTF)
    lines = _line_rec(7, 3) + _line_rec(8, 1)
    addresses = struct.pack("<QQ", 0x1000, 0x1008)
    found = jited.map_lines(btf, lines, 16, addresses, 8, [(0x1000, 0x20)], 2)
    assert found == {0: SourceLine("a.c", "x = 1;", 7, 3), 8: SourceLine("a.c", "x = 1;", 8, 1)}


@settings(max_examples=60)
@given(lines=st.binary(max_size=80), addresses=st.binary(max_size=40), count=st.integers(0, 6))
def test_malformed_line_info_never_raises(lines: bytes, addresses: bytes, count: int) -> None:
    jited.map_lines(BTF.from_bytes(_BTF), lines, 16, addresses, 8, [(0, 1 << 20)], count)


@pytest.mark.parametrize(
    ("linum", "expected"),
    [(False, "; x = 1;"), (True, "; x = 1; [a.c:7:3]")],
)
def test_plain_listing_puts_the_source_line_above_its_code(linum: bool, expected: str) -> None:
    code = [JitLine(0, b"\x90", "nop"), JitLine(1, b"\xc3", "ret")]
    text = jited.plain(code, sources={1: SourceLine("a.c", "x = 1;", 7, 3)}, linum=linum)
    assert text.splitlines() == ["   0:\tnop", expected, "   1:\tret"]


@pytest.mark.kernel
@pytest.mark.parametrize(("flag", "pattern"), [((), "; "), (("--linum",), "inspect.bpf.c:")])
def test_dump_jited_of_a_loaded_program_shows_its_source(
    loaded: Any, pybpf_cli: Any, flag: tuple[str, ...], pattern: str
) -> None:
    if find_tool("llvm-objdump") is None:
        pytest.importorskip("capstone")
    prog_id = str(loaded.programs["insp_xdp"].id)
    out = pybpf_cli("prog", "dump", "jited", "id", prog_id, *flag).output
    assert any(line.startswith("; ") and pattern in line for line in out.splitlines())
