"""``SEC(".struct_ops")`` variables: kernel ops tables implemented by BPF programs.

Each variable becomes a ``STRUCT_OPS`` map whose value is the variable's struct (initial bytes
from the section); the function-pointer members are set by relocations in ``.rel.struct_ops``,
recorded here by member name so the runtime can put program fds there at load time.
"""

from __future__ import annotations

from ..btf import BTF, Struct
from ..enums import MapFlags, MapType
from ..errors import ELFError
from ..spec import MapOrigin, MapSpec
from .datasec import datasec_layout
from .reader import ElfFile, Section, SymbolType
from .sections import STRUCT_OPS_SECTIONS


def parse_struct_ops(elf: ElfFile, section: Section, btf: BTF | None) -> list[MapSpec]:
    if btf is None:
        raise ELFError("struct_ops maps need the .BTF section (compile with -g)", section=section.name)
    maps = []
    placed = []
    for var in datasec_layout(elf, btf, section):
        struct = btf.resolve(var.type_id)
        if not isinstance(struct, Struct):
            raise ELFError(f"struct_ops variable {var.name!r} is not a struct", section=section.name, offset=var.offset)
        spec = MapSpec(
            name=var.name,
            type=MapType.STRUCT_OPS,
            key_size=4,
            value_size=var.size,
            max_entries=1,
            flags=MapFlags.LINK if section.name == ".struct_ops.link" else MapFlags.NONE,
            value_type_id=struct.id,
            data=section.data[var.offset : var.offset + var.size] if section.data else bytes(var.size),
            origin=MapOrigin.STRUCT_OPS,
            section=section.name,
        )
        maps.append(spec)
        placed.append((var.offset, var.size, struct, spec))
    for reloc in elf.relocations(section.index):
        owner = next((p for p in placed if p[0] <= reloc.offset < p[0] + p[1]), None)
        if owner is None:
            raise ELFError("relocation outside any struct_ops variable", section=section.name, offset=reloc.offset)
        offset, _, struct, spec = owner
        member = next((m for m in struct.members if m.bit_offset == 8 * (reloc.offset - offset)), None)
        sym = reloc.symbol
        if member is None or sym.type != SymbolType.FUNC or not sym.name:
            raise ELFError(
                f"struct_ops {spec.name!r}: relocation is not a function pointer member set to a program",
                section=section.name,
                offset=reloc.offset,
            )
        spec.functions[member.name] = sym.name
    return maps


__all__ = ["STRUCT_OPS_SECTIONS", "parse_struct_ops"]
