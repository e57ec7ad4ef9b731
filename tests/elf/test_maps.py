"""Map definitions: BTF-defined maps in .maps, legacy maps, global data and their relocations."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.btf import Struct
from pybpf.elf import read_object
from pybpf.enums import MapFlags, MapType, PinType
from pybpf.spec import MapOrigin, ObjectSpec, Relocation, RelocationKind


@pytest.fixture(scope="module")
def maps(objects: dict[str, Path]) -> ObjectSpec:
    return read_object(objects["maps"])


MAP_TABLE = [
    # name, type, key size, value size, max entries, flags
    ("events_by_pid", MapType.HASH, 4, 32, 1024, MapFlags.NO_PREALLOC),
    ("counters", MapType.PERCPU_ARRAY, 4, 8, 4, MapFlags.NONE),
    ("ringbuf", MapType.RINGBUF, 0, 0, 256 * 1024, MapFlags.NONE),
    ("lru", MapType.LRU_HASH, 8, 8, 64, MapFlags.NUMA_NODE),
    ("bloom", MapType.BLOOM_FILTER, 0, 4, 100, MapFlags.NONE),
    ("inner_a", MapType.ARRAY, 4, 4, 8, MapFlags.NONE),
    ("outer", MapType.ARRAY_OF_MAPS, 4, 4, 4, MapFlags.NONE),
    ("outer_hash", MapType.HASH_OF_MAPS, 4, 4, 16, MapFlags.NONE),
    ("jump_table", MapType.PROG_ARRAY, 4, 4, 8, MapFlags.NONE),
    ("legacy_hash", MapType.HASH, 4, 8, 128, MapFlags.NONE),
    ("legacy_array", MapType.ARRAY, 4, 4, 2, MapFlags.RDONLY_PROG),
]


@pytest.mark.parametrize(("name", "mtype", "key", "value", "entries", "flags"), MAP_TABLE)
def test_map_definition_is_decoded(
    maps: ObjectSpec, name: str, mtype: MapType, key: int, value: int, entries: int, flags: MapFlags
) -> None:
    m = maps.maps[name]
    assert (m.type, m.key_size, m.value_size, m.max_entries, m.flags) == (mtype, key, value, entries, flags)


def test_pinning_by_name_is_read(maps: ObjectSpec) -> None:
    assert maps.maps["events_by_pid"].pinning is PinType.BY_NAME
    assert maps.maps["counters"].pinning is PinType.NONE


def test_numa_node_and_map_extra_are_read(maps: ObjectSpec) -> None:
    assert maps.maps["lru"].numa_node == 1
    assert maps.maps["bloom"].map_extra == 3


def test_key_and_value_btf_types_are_recorded(maps: ObjectSpec) -> None:
    assert maps.btf is not None
    m = maps.maps["events_by_pid"]
    value = maps.btf.resolve(m.value_type_id)
    assert isinstance(value, Struct) and value.name == "event"
    assert maps.btf.size_of(m.key_type_id) == 4


def test_sizes_given_as_numbers_leave_no_btf_type(maps: ObjectSpec) -> None:
    m = maps.maps["counters"]
    assert (m.key_type_id, m.value_type_id) == (0, 0)


def test_map_in_map_has_its_inner_definition(maps: ObjectSpec) -> None:
    inner = maps.maps["outer"].inner
    assert inner is not None
    assert (inner.type, inner.key_size, inner.value_size, inner.max_entries) == (MapType.ARRAY, 4, 4, 8)


def test_anonymous_inner_definition_is_decoded(maps: ObjectSpec) -> None:
    inner = maps.maps["outer_hash"].inner
    assert inner is not None
    assert (inner.type, inner.key_size, inner.value_size, inner.max_entries) == (MapType.HASH, 8, 1, 32)


def test_map_in_map_initial_slots_name_the_inner_maps(maps: ObjectSpec) -> None:
    assert maps.maps["outer"].slots == {0: "inner_a", 2: "inner_b"}


def test_prog_array_initial_slots_name_the_programs(maps: ObjectSpec) -> None:
    assert maps.maps["jump_table"].slots == {1: "tail_one", 3: "tail_two"}


@pytest.mark.parametrize(
    ("name", "origin"),
    [("events_by_pid", MapOrigin.BTF), ("legacy_hash", MapOrigin.LEGACY), ("outer", MapOrigin.BTF)],
)
def test_map_origin_says_where_it_was_declared(maps: ObjectSpec, name: str, origin: MapOrigin) -> None:
    assert maps.maps[name].origin is origin


def test_every_map_reference_in_code_names_its_map(maps: ObjectSpec) -> None:
    prog = maps.programs["use_maps"]
    targets = [r.target for r in prog.relocations.values() if r.kind is RelocationKind.MAP]
    assert targets == [
        "events_by_pid",
        "counters",
        "outer",
        "ringbuf",
        "lru",
        "outer_hash",
        "bloom",
        "legacy_hash",
        "legacy_array",
        "jump_table",
    ]


def test_map_relocations_sit_on_lddw_instructions(maps: ObjectSpec) -> None:
    prog = maps.programs["use_maps"]
    by_slot = dict(zip(prog.slots(), prog.instructions, strict=True))
    assert all(by_slot[slot].is_lddw for slot in prog.relocations)


def test_license_and_version_sections_are_read(maps: ObjectSpec) -> None:
    assert maps.license == "Dual BSD/GPL"
    assert maps.kernel_version == 0x060C00


def test_editing_a_copy_leaves_the_original_map_untouched(maps: ObjectSpec) -> None:
    copy = maps.copy()
    copy.maps["ringbuf"].max_entries = 1 << 20
    copy.maps["outer"].slots[1] = "inner_b"
    assert maps.maps["ringbuf"].max_entries == 256 * 1024
    assert maps.maps["outer"].slots == {0: "inner_a", 2: "inner_b"}


def test_map_relocation_equals_symbolic_value(maps: ObjectSpec) -> None:
    prog = maps.programs["use_maps"]
    assert Relocation(RelocationKind.MAP, "ringbuf") in prog.relocations.values()


def test_maps_section_layout_places_each_definition(maps: ObjectSpec) -> None:
    layout = maps.section_layouts[".maps"]
    assert layout.size == 368 and layout.offsets["outer"] == 64
