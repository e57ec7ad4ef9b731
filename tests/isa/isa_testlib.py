"""Helpers shared by the ISA tests (a uniquely named module: test files cannot import conftest)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from testlib import find_tool, require_kernel_feature

__all__ = ["find_tool", "require_kernel_feature"]

DATA = Path(__file__).parent / "data"
CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"

#: sample program -> extra compiler flags
SAMPLES = {
    "loops": (),
    "alu32": ("-mcpu=v3",),
    "atomics": ("-mcpu=v3",),
    "calls": (),
    "globals": (),
    "v4": ("-mcpu=v4",),
}


@dataclass(frozen=True)
class CodeSection:
    name: str
    data: bytes
    symbols: dict[int, str]  # slot -> function name


def code_sections(path: Path) -> list[CodeSection]:
    """Executable sections with their function symbols (only what the tests need of the ELF)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with path.open("rb") as stream:
        elf = ELFFile(stream)
        names: dict[int, dict[int, str]] = {}
        for section in elf.iter_sections():
            if isinstance(section, SymbolTableSection):
                for symbol in section.iter_symbols():
                    if symbol["st_info"]["type"] == "STT_FUNC":
                        names.setdefault(symbol["st_shndx"], {})[symbol["st_value"] // 8] = symbol.name
        found = []
        for index, section in enumerate(elf.iter_sections()):
            if section["sh_flags"] & 0x4 and section.data_size:  # SHF_EXECINSTR
                found.append(CodeSection(section.name, section.data(), names.get(index, {})))
        return found


def conformance_files() -> list[Path]:
    return sorted(CONFORMANCE.glob("*.data"))


def conformance_sections(path: Path) -> dict[str, str]:
    """``-- name`` sections of a conformance file."""
    sections: dict[str, str] = {}
    current = None
    for line in path.read_text().splitlines():
        header = re.fullmatch(r"-- (.*)", line)
        if header:
            current = header.group(1).strip()
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections
