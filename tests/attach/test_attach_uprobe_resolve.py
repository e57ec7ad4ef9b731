"""Symbol → file offset for uprobes, checked against pyelftools on the system's libc."""

from __future__ import annotations

import pytest
from elftools.elf.elffile import ELFFile as ReferenceELF
from elftools.elf.sections import SymbolTableSection

from pybpf.attach.uprobe import SymbolNotFound, find_library, resolve_symbol


def _reference_offset(path: str, symbol: str) -> tuple[int, int]:
    """(st_value, file offset) of the first defined function ``symbol`` as pyelftools reads it."""
    with open(path, "rb") as stream:
        elf = ReferenceELF(stream)
        for name in (".symtab", ".dynsym"):
            table = elf.get_section_by_name(name)
            if not isinstance(table, SymbolTableSection):
                continue
            for sym in table.get_symbol_by_name(symbol) or []:
                if sym["st_info"]["type"] in ("STT_FUNC", "STT_LOOS") and sym["st_shndx"] != "SHN_UNDEF":
                    value = int(sym["st_value"])
                    for seg in elf.iter_segments():
                        if (
                            seg["p_type"] == "PT_LOAD"
                            and seg["p_vaddr"] <= value < seg["p_vaddr"] + seg["p_filesz"]
                        ):
                            return value, value - seg["p_vaddr"] + seg["p_offset"]
    raise AssertionError(f"{symbol} not found by pyelftools")


@pytest.fixture(scope="module")
def libc() -> str:
    try:
        return find_library("c")
    except SymbolNotFound:
        pytest.skip("no libc found")


@pytest.mark.parametrize("symbol", ["malloc", "getpid", "strlen"])
def test_libc_function_resolves_to_the_offset_pyelftools_computes(libc: str, symbol: str) -> None:
    resolved = resolve_symbol(libc, symbol)
    assert (resolved.address, resolved.offset) == _reference_offset(libc, symbol)


def test_missing_function_raises_symbol_not_found(libc: str) -> None:
    with pytest.raises(SymbolNotFound, match="no_such_function_here"):
        resolve_symbol(libc, "no_such_function_here")
