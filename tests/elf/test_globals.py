"""Global data sections become array maps; code refers to them by section and offset."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.elf import read_object
from pybpf.enums import MapFlags, MapType
from pybpf.spec import MapOrigin, ObjectSpec, RelocationKind


@pytest.fixture(scope="module")
def spec(objects: dict[str, Path]) -> ObjectSpec:
    return read_object(objects["globals"])


@pytest.mark.parametrize(
    ("section", "size", "readonly"),
    [
        (".rodata", 40, True),
        (".data", 28, False),
        (".bss", 16, False),
        (".data.custom", 4, False),
        (".rodata.config", 4, True),
    ],
)
def test_each_global_data_section_is_a_one_entry_array_map(
    spec: ObjectSpec, section: str, size: int, readonly: bool
) -> None:
    m = spec.maps[section]
    assert (m.type, m.key_size, m.value_size, m.max_entries, m.readonly) == (
        MapType.ARRAY,
        4,
        size,
        1,
        readonly,
    )
    assert m.origin is MapOrigin.GLOBAL_DATA
    assert m.data is not None and len(m.data) == size


def test_read_only_sections_are_read_only_for_programs(spec: ObjectSpec) -> None:
    assert spec.maps[".rodata"].flags & MapFlags.RDONLY_PROG
    assert not spec.maps[".data"].flags & MapFlags.RDONLY_PROG


def test_bss_starts_as_zeros(spec: ObjectSpec) -> None:
    assert spec.maps[".bss"].data == bytes(16)


def test_initial_bytes_come_from_the_section(spec: ObjectSpec) -> None:
    data = spec.maps[".data.custom"].data
    assert data == (0xDEADBEEF).to_bytes(4, "little")


def test_variables_are_placed_by_their_symbols(spec: ObjectSpec) -> None:
    variables = spec.maps[".rodata"].variables
    assert {name: v.offset for name, v in variables.items()} == {
        "min_duration_ns": 0,
        "offset_s8": 8,
        "verbose": 9,
        "mode": 12,
        "comm_filter": 16,
        "small_u32": 32,
        "pair": 36,
    }


def test_static_variables_are_placed_too(spec: ObjectSpec) -> None:
    assert spec.maps[".data"].variables["static_data"].offset == 24


@pytest.mark.parametrize(
    ("target", "offset"),
    [
        (".rodata", 0),
        (".rodata", 9),
        (".rodata", 0x24),
        (".data", 0x18),
        (".bss", 8),
        (".data.custom", 0),
        (".rodata.config", 0),
    ],
)
def test_global_references_name_the_section_and_offset(spec: ObjectSpec, target: str, offset: int) -> None:
    refs = {(r.target, r.offset) for r in spec.programs["read_globals"].relocations.values()}
    assert (target, offset) in refs


def test_global_references_are_map_value_relocations(spec: ObjectSpec) -> None:
    kinds = {r.kind for r in spec.programs["read_globals"].relocations.values()}
    assert kinds == {RelocationKind.MAP_VALUE}


def test_section_layouts_give_real_sizes_and_offsets_for_btf_fixup(spec: ObjectSpec) -> None:
    layout = spec.section_layouts[".rodata"]
    assert layout.size == 40
    assert layout.offsets["comm_filter"] == 16 and layout.offsets["pair"] == 36


def test_section_layouts_cover_every_data_section(spec: ObjectSpec) -> None:
    assert {".rodata", ".data", ".bss", ".data.custom", ".rodata.config", "license"} <= set(
        spec.section_layouts
    )
