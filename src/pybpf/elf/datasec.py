"""Where each BTF variable of a section really is.

clang writes DATASECs with offset 0 for every non-static variable (the linker is expected to fill
them in), so the ELF symbol of the same name is the authority for the offset; the DATASEC entry
is used only when no symbol exists (objects already processed by a BPF linker).
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, set_field

from ..btf import BTF, Datasec, Kind, Var
from ..errors import ELFError
from .reader import ElfFile, Section, SymbolType


@dataclass(frozen=True, slots=True, init=False)
class VarPlacement:
    """Where one variable of a data section sits, as the section's symbols and DATASEC say."""

    name: str
    var_type_id: int  # the VAR
    type_id: int  # the VAR's type
    offset: int
    size: int

    def __init__(self, name: str, var_type_id: int, type_id: int, offset: int, size: int) -> None:
        set_field(self, "name", name)
        set_field(self, "var_type_id", var_type_id)
        set_field(self, "type_id", type_id)
        set_field(self, "offset", offset)
        set_field(self, "size", size)


def find_datasec(btf: BTF, name: str) -> Datasec | None:
    for t in btf.find_all(name, Kind.DATASEC):
        if isinstance(t, Datasec):
            return t
    return None


def datasec_layout(elf: ElfFile, btf: BTF, section: Section) -> list[VarPlacement]:
    datasec = find_datasec(btf, section.name)
    if datasec is None:
        return []
    symbols = {
        s.name: s
        for s in elf.symbols
        if s.shndx == section.index and s.name and s.type in (SymbolType.OBJECT, SymbolType.NOTYPE)
    }
    result = []
    for info in datasec.vars:
        var = btf.get(info.type_id)
        if not isinstance(var, Var) or not var.name:
            continue
        sym = symbols.get(var.name)
        offset = sym.value if sym is not None else info.offset
        if offset < 0 or info.size < 0 or offset + info.size > section.size:
            raise ELFError(
                f"variable {var.name!r} at [{offset:#x}, {offset + info.size:#x}) lies outside the section",
                section=section.name,
                offset=offset,
            )
        result.append(VarPlacement(var.name, var.id, var.type_id, offset, info.size))
    return result


__all__ = ["VarPlacement", "datasec_layout", "find_datasec"]
