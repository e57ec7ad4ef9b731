"""Map definitions: BTF-defined (``SEC(".maps")``), legacy (``SEC("maps")``) and global data.

A BTF map definition is a struct whose *types* carry the values: ``__uint(max_entries, 64)``
declares ``int (*max_entries)[64]`` (the number is the array length), ``__type(key, T)``
declares ``T *key``, and ``__array(values, T)`` a flexible array of pointers whose initialisers
show up as relocations in ``.rel.maps``.  Nothing of the section's bytes matters except those
relocations, which is why the definitions are read from BTF alone.
"""

from __future__ import annotations

import struct

from pybpf._dataclasses import dataclass

from ..btf import BTF, Array, FuncProto, Ptr, Struct, Union
from ..enums import MapFlags, MapType, PinType
from ..errors import BTFError, ELFError
from ..spec import MapOrigin, MapSpec
from .datasec import datasec_layout, find_datasec
from .reader import ElfFile, RelocType, Section, SymbolType

MAPS_SECTION = ".maps"
LEGACY_SECTION = "maps"

#: Members whose value is an integer given as the array length of ``int (*name)[N]``.
_UINT_MEMBERS = {
    "type",
    "max_entries",
    "key_size",
    "value_size",
    "map_flags",
    "pinning",
    "numa_node",
    "map_extra",
}


@dataclass(slots=True)
class PlacedMap:
    """A map definition and where its bytes sit in the ``.maps``/``maps`` section."""

    spec: MapSpec
    offset: int
    size: int
    #: byte offset of the ``values`` member inside the definition (BTF maps with ``__array``)
    values_offset: int | None = None


def parse_btf_maps(elf: ElfFile, section: Section, btf: BTF | None) -> list[PlacedMap]:
    """Every map of ``.maps``, from the BTF DATASEC of that name."""
    if btf is None:
        raise ELFError("BTF-defined maps need the .BTF section (compile with -g)", section=section.name)
    if find_datasec(btf, section.name) is None:
        raise ELFError("no BTF DATASEC describes this section", section=section.name)
    placed = []
    for var in datasec_layout(elf, btf, section):
        spec, values_offset = map_from_definition(btf, var.name, var.type_id)
        spec.origin = MapOrigin.BTF
        spec.section = section.name
        placed.append(PlacedMap(spec, var.offset, var.size, values_offset))
    return placed


def map_from_definition(btf: BTF, name: str, type_id: int, *, depth: int = 0) -> tuple[MapSpec, int | None]:
    """Decode one definition struct (also used for the inner map of a map-in-map)."""
    if depth > 2:
        raise BTFError(f"map {name!r}: map-in-map nesting too deep", section=".BTF")
    t = btf.resolve(type_id)
    if not isinstance(t, Struct | Union):
        raise BTFError(f"map {name!r}: definition is a {t.kind.name.lower()}, not a struct", section=".BTF")
    fields: dict[str, int] = {}
    key_type = value_type = 0
    inner: MapSpec | None = None
    values_offset: int | None = None
    values_are_programs = False
    for member in t.members:
        mname = member.name
        if mname in _UINT_MEMBERS:
            fields[mname] = _uint_member(btf, name, mname, member.type_id)
        elif mname in ("key", "value"):
            target = _pointee(btf, name, mname, member.type_id)
            if mname == "key":
                key_type = target
            else:
                value_type = target
        elif mname == "values":
            values_offset = member.bit_offset // 8
            arr = btf.resolve(member.type_id)
            if not isinstance(arr, Array):
                raise BTFError(f"map {name!r}: 'values' must be declared with __array()", section=".BTF")
            if arr.nelems != 0:
                raise BTFError(f"map {name!r}: 'values' must be a flexible array", section=".BTF")
            pointee = _pointee(btf, name, mname, arr.elem_type_id)
            target_type = btf.resolve(pointee)
            if isinstance(target_type, FuncProto):
                values_are_programs = True
            elif isinstance(target_type, Struct | Union):
                inner, _ = map_from_definition(btf, f"{name}.inner", pointee, depth=depth + 1)
                inner.origin = MapOrigin.BTF
            else:
                raise BTFError(
                    f"map {name!r}: 'values' must point at a map definition or a program prototype",
                    section=".BTF",
                )
        else:
            raise BTFError(f"map {name!r}: unknown attribute {mname!r}", section=".BTF")
    try:
        map_type = MapType(fields.get("type", 0))
    except ValueError:
        raise BTFError(f"map {name!r}: unknown map type {fields['type']}", section=".BTF") from None
    if values_offset is not None and not values_are_programs and not map_type.is_map_in_map:
        raise BTFError(f"map {name!r}: inner map definition on a {map_type.name.lower()} map", section=".BTF")
    if values_are_programs and map_type is not MapType.PROG_ARRAY:
        raise BTFError(f"map {name!r}: program slots need a prog_array map", section=".BTF")
    key_size = _sized(btf, name, "key", key_type, fields.get("key_size"))
    value_size = _sized(btf, name, "value", value_type, fields.get("value_size"))
    if map_type.is_map_in_map or map_type is MapType.PROG_ARRAY:
        value_size = value_size or 4
    try:
        pinning = PinType(fields.get("pinning", 0))
    except ValueError:
        raise BTFError(f"map {name!r}: unknown pinning {fields['pinning']}", section=".BTF") from None
    spec = MapSpec(
        name=name,
        type=map_type,
        key_size=key_size,
        value_size=value_size,
        max_entries=fields.get("max_entries", 0),
        flags=MapFlags(fields.get("map_flags", 0)),
        pinning=pinning,
        numa_node=fields.get("numa_node", 0),
        map_extra=fields.get("map_extra", 0),
        key_type_id=key_type,
        value_type_id=value_type,
        inner=inner,
    )
    return spec, values_offset


def _uint_member(btf: BTF, name: str, member: str, type_id: int) -> int:
    ptr = btf.resolve(type_id)
    if not isinstance(ptr, Ptr):
        raise BTFError(f"map {name!r}: {member!r} must be declared with __uint()", section=".BTF")
    arr = btf.resolve(ptr.type_id)
    if not isinstance(arr, Array):
        raise BTFError(f"map {name!r}: {member!r} must be declared with __uint()", section=".BTF")
    return arr.nelems


def _pointee(btf: BTF, name: str, member: str, type_id: int) -> int:
    ptr = btf.resolve(type_id)
    if not isinstance(ptr, Ptr):
        raise BTFError(f"map {name!r}: {member!r} must be a pointer (__type()/__array())", section=".BTF")
    return ptr.type_id


def _sized(btf: BTF, name: str, what: str, type_id: int, explicit: int | None) -> int:
    if not type_id:
        return explicit or 0
    size = btf.size_of(type_id)
    if explicit is not None and explicit != size:
        raise BTFError(
            f"map {name!r}: {what}_size {explicit} disagrees with sizeof({what} type) {size}", section=".BTF"
        )
    return size


def apply_slot_relocations(elf: ElfFile, section: Section, placed: list[PlacedMap]) -> None:
    """Fill prog-array and map-in-map initial slots from the relocations of ``.maps``."""
    for reloc in elf.relocations(section.index):
        owner = next((p for p in placed if p.offset <= reloc.offset < p.offset + p.size), None)
        if owner is None or owner.values_offset is None:
            raise ELFError(
                "relocation outside any map's 'values' initialiser", section=section.name, offset=reloc.offset
            )
        if reloc.type not in (RelocType.R_64_ABS64, RelocType.NONE):
            raise ELFError(
                f"unexpected relocation type {reloc.type} in map {owner.spec.name!r}",
                section=section.name,
                offset=reloc.offset,
            )
        delta = reloc.offset - owner.offset - owner.values_offset
        if delta < 0 or delta % 8:
            raise ELFError(
                f"map {owner.spec.name!r}: initialiser at a misaligned slot",
                section=section.name,
                offset=reloc.offset,
            )
        slot = delta // 8
        if owner.spec.max_entries and slot >= owner.spec.max_entries:
            raise ELFError(
                f"map {owner.spec.name!r}: slot {slot} beyond max_entries {owner.spec.max_entries}",
                section=section.name,
                offset=reloc.offset,
            )
        symbol = reloc.symbol
        if not symbol.name or symbol.type == SymbolType.SECTION:
            raise ELFError(
                f"map {owner.spec.name!r}: slot {slot} refers to an unnamed symbol",
                section=section.name,
                offset=reloc.offset,
            )
        owner.spec.slots[slot] = symbol.name


_BPF_MAP_DEF = struct.Struct("<5I")


def parse_legacy_maps(elf: ElfFile, section: Section) -> list[PlacedMap]:
    """``struct bpf_map_def`` objects of ``SEC("maps")``: at least 5 u32 (type, key_size,
    value_size, max_entries, map_flags); extra trailing fields of other loaders are ignored."""
    placed = []
    symbols = sorted(
        (
            s
            for s in elf.symbols
            if s.shndx == section.index and s.name and s.type in (SymbolType.OBJECT, SymbolType.NOTYPE)
        ),
        key=lambda s: s.value,
    )
    if not symbols and section.size:
        raise ELFError("legacy map section has no map symbols", section=section.name)
    for sym in symbols:
        size = sym.size
        if size < _BPF_MAP_DEF.size or sym.value + size > len(section.data):
            raise ELFError(
                f"map {sym.name!r}: definition of {size} bytes is too small or outside the section",
                section=section.name,
                offset=sym.value,
            )
        mtype, key_size, value_size, max_entries, flags = _BPF_MAP_DEF.unpack_from(section.data, sym.value)
        try:
            map_type = MapType(mtype)
        except ValueError:
            raise ELFError(
                f"map {sym.name!r}: unknown map type {mtype}", section=section.name, offset=sym.value
            ) from None
        spec = MapSpec(
            name=sym.name,
            type=map_type,
            key_size=key_size,
            value_size=value_size,
            max_entries=max_entries,
            flags=MapFlags(flags),
            origin=MapOrigin.LEGACY,
            section=section.name,
        )
        placed.append(PlacedMap(spec, sym.value, size))
    return placed


__all__ = [
    "LEGACY_SECTION",
    "MAPS_SECTION",
    "PlacedMap",
    "apply_slot_relocations",
    "map_from_definition",
    "parse_btf_maps",
    "parse_legacy_maps",
]
