"""Maps of a loaded object behave as Python mappings with BTF-decoded keys and values."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_testlib import ETH_IPV4, ethernet, ipv4, skb_ctx

import pybpf.runtime
from pybpf.kernel import KeyExists, KeyNotFound, UpdateFlags, possible_cpus
from pybpf.runtime import Map, Object, PinMismatch
from pybpf.spec import ObjectSpec

pytestmark = pytest.mark.kernel

FRAME = ethernet(bytes(6), bytes(6), ETH_IPV4, ipv4(17, bytes(8)))


@pytest.fixture
def maps_obj(bpf_ok: None, build_object: Callable[[str], Path], bpffs_dir: Path) -> Iterator[Object]:
    with pybpf.runtime.load(build_object("maps"), pin_path=bpffs_dir) as obj:
        yield obj


def test_struct_value_round_trips_with_attribute_access(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    points[1] = {"x": 3, "y": 4, "label": b"p1"}
    value = points[1]
    assert (value.x, value.y, value.label.rstrip(b"\0")) == (3, 4, b"p1")


def test_decoded_struct_can_be_stored_back_after_editing(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    points[2] = {"x": 1, "y": 1}
    value = points[2]
    value.y = 9
    points[2] = value
    assert points[2].y == 9


def test_raw_bytes_are_accepted_as_key_and_value(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    points[struct.pack("<I", 5)] = struct.pack("<II8s", 7, 8, b"raw")
    assert (points[5].x, points[5].y) == (7, 8)


def test_missing_key_raises_key_error(maps_obj: Object) -> None:
    with pytest.raises(KeyError):
        maps_obj.maps["points"][99]


def test_deleted_key_is_no_longer_contained(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    points[3] = {"x": 1}
    del points[3]
    assert 3 not in points


def test_delete_of_missing_key_raises_key_not_found(maps_obj: Object) -> None:
    with pytest.raises(KeyNotFound):
        del maps_obj.maps["points"][42]


def test_hash_map_len_keys_and_items_list_every_entry(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    for i in range(10):
        points[i] = {"x": i, "y": 2 * i}
    assert len(points) == 10
    assert sorted(points.keys()) == list(range(10))
    assert sorted((k, v.y) for k, v in points.items()) == [(i, 2 * i) for i in range(10)]


def test_update_with_noexist_flag_refuses_an_existing_key(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    points.update(1, {"x": 1}, UpdateFlags.NOEXIST)
    with pytest.raises(KeyExists):
        points.update(1, {"x": 2}, UpdateFlags.NOEXIST)


def test_dict_style_update_stores_every_pair(maps_obj: Object) -> None:
    points = maps_obj.maps["points"]
    points.update({10: {"x": 10}, 11: {"x": 11}})
    assert (points[10].x, points[11].x) == (10, 11)


def test_percpu_value_is_one_entry_per_possible_cpu_and_sums(maps_obj: Object) -> None:
    counters = maps_obj.maps["counters"]
    values = list(range(1, possible_cpus() + 1))
    counters[0] = values
    got = counters[0]
    assert list(got) == values
    assert got.sum() == sum(values)


def test_percpu_scalar_input_is_stored_on_every_cpu(maps_obj: Object) -> None:
    counters = maps_obj.maps["counters"]
    counters[1] = 5
    assert list(counters[1]) == [5] * possible_cpus()


def test_array_len_is_its_max_entries(maps_obj: Object) -> None:
    assert len(maps_obj.maps["counters"]) == 4


def test_queue_pops_in_push_order(maps_obj: Object) -> None:
    fifo = maps_obj.maps["fifo"]
    for value in (1, 2, 3):
        fifo.push(value)
    assert fifo.peek() == 1
    assert [fifo.pop(), fifo.pop(), fifo.pop()] == [1, 2, 3]


def test_stack_pops_in_reverse_push_order(maps_obj: Object) -> None:
    lifo = maps_obj.maps["lifo"]
    for value in (1, 2, 3):
        lifo.push(value)
    assert [lifo.pop(), lifo.pop(), lifo.pop()] == [3, 2, 1]


def test_pop_of_empty_queue_raises_key_not_found(maps_obj: Object) -> None:
    with pytest.raises(KeyNotFound):
        maps_obj.maps["fifo"].pop()


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [("10.1.2.3/32", 16), ("10.9.9.9/32", 8), ((32, "10.1.200.1"), 16)],
    ids=["longest-prefix", "shorter-prefix", "tuple-key"],
)
def test_lpm_trie_lookup_finds_the_longest_matching_prefix(
    maps_obj: Object, lookup: object, expected: int
) -> None:
    routes = maps_obj.maps["routes"]
    routes["10.0.0.0/8"] = 8
    routes["10.1.0.0/16"] = 16
    assert routes[lookup] == expected


@pytest.mark.parametrize(("slot", "retval"), [(0, 7), (1, 111), (2, 7), (3, 222)])
def test_prog_array_initial_slots_are_filled_with_the_named_programs(
    maps_obj: Object, slot: int, retval: int
) -> None:
    result = maps_obj.programs["dispatch"].test_run(FRAME, ctx=skb_ctx(cb0=slot))
    assert result.retval == retval


@pytest.mark.parametrize(("slot", "retval"), [(0, 0), (1, 0xFFFFFFFF), (2, 0), (3, 0xFFFFFFFF)])
def test_map_in_map_initial_slots_hold_the_named_inner_maps(maps_obj: Object, slot: int, retval: int) -> None:
    result = maps_obj.programs["read_outer"].test_run(FRAME, ctx=skb_ctx(cb0=slot))
    assert result.retval == retval


def test_pin_by_name_map_is_pinned_under_the_pin_path(maps_obj: Object, bpffs_dir: Path) -> None:
    assert (bpffs_dir / "shared_counts").exists()


def test_second_load_reuses_the_pinned_map(
    maps_obj: Object, build_object: Callable[[str], Path], bpffs_dir: Path
) -> None:
    maps_obj.maps["shared_counts"][1] = 100
    with pybpf.runtime.load(build_object("maps"), pin_path=bpffs_dir) as again:
        assert again.maps["shared_counts"][1] == 100


def test_incompatible_pinned_map_is_refused_with_the_difference(
    maps_obj: Object, build_object: Callable[[str], Path], bpffs_dir: Path
) -> None:
    spec = ObjectSpec.from_file(build_object("maps"))
    spec.maps["shared_counts"].max_entries = 32
    with pytest.raises(PinMismatch, match="max_entries is 16 pinned, 32 in the object"):
        pybpf.runtime.load(spec, pin_path=bpffs_dir)


def test_map_from_pin_decodes_values_through_its_btf(maps_obj: Object, bpffs_dir: Path) -> None:
    maps_obj.maps["shared_counts"][4] = 44
    with Map.from_pin(bpffs_dir / "shared_counts") as pinned:
        assert dict(pinned.items()) == {4: 44}


def test_map_pin_makes_it_openable_by_path(maps_obj: Object, bpffs_dir: Path) -> None:
    maps_obj.maps["points"].pin(bpffs_dir / "points")
    maps_obj.maps["points"][1] = {"x": 5}
    with Map.from_pin(bpffs_dir / "points") as pinned:
        assert pinned[1].x == 5


def test_lookup_batch_returns_packed_keys_and_values(maps_obj: Object) -> None:
    shared = maps_obj.maps["shared_counts"]
    for i in range(5):
        shared[i] = i * 10
    keys, values, count = shared.lookup_batch(chunk=2)
    assert count == 5
    pairs = zip(struct.unpack(f"<{count}I", keys), struct.unpack(f"<{count}Q", values), strict=True)
    assert sorted(pairs) == [(i, i * 10) for i in range(5)]


def test_max_entries_edited_in_the_spec_is_used(bpf_ok: None, build_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(build_object("tiny"))
    spec.maps["hits"].max_entries = 7
    with pybpf.runtime.load(spec) as obj:
        assert obj.maps["hits"].info.max_entries == 7


def test_test_run_repeat_runs_the_program_that_many_times(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    with pybpf.runtime.load(build_object("tiny")) as obj:
        obj.programs["count"].test_run(FRAME, repeat=25)
        assert obj.maps["hits"][0] == 25


def test_percpu_items_give_per_cpu_lists(maps_obj: Object) -> None:
    counters = maps_obj.maps["counters"]
    counters[2] = 9
    items = dict(counters.items())
    assert set(items) == {0, 1, 2, 3}
    assert items[2].sum() == 9 * possible_cpus()
    assert items[0].sum() == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.dictionaries(
        st.integers(0, 2**32 - 1),
        st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=8)),
        max_size=20,
    )
)
def test_hash_map_holds_exactly_what_a_dict_would(
    maps_obj: Object, entries: dict[int, tuple[int, int, bytes]]
) -> None:
    points = maps_obj.maps["points"]
    for key in list(points.keys()):
        del points[key]
    for key, (x, y, label) in entries.items():
        points[key] = {"x": x, "y": y, "label": label}
    got = {k: (v.x, v.y, v.label) for k, v in points.items()}
    assert got == {k: (x, y, label.ljust(8, b"\0")) for k, (x, y, label) in entries.items()}


def test_lookup_batch_of_a_map_without_batch_support_still_returns_everything(maps_obj: Object) -> None:
    routes = maps_obj.maps["routes"]  # LPM tries have no batch lookup
    routes["10.0.0.0/8"] = 1
    routes["192.168.0.0/16"] = 2
    keys, values, count = routes.lookup_batch()
    assert count == 2
    assert sorted(struct.unpack("<2I", values)) == [1, 2]
    assert len(keys) == 2 * routes.key_size


@pytest.mark.parametrize(
    ("name", "map_type"),
    [("seen", 30), ("events", 27), ("perf_events", 4), ("task_data", 29), ("recent", 9), ("outer", 12)],
    ids=["bloom", "ringbuf", "perf_event_array", "task_storage", "lru_hash", "array_of_maps"],
)
def test_map_of_each_type_is_created_as_declared(maps_obj: Object, name: str, map_type: int) -> None:
    assert maps_obj.maps[name].info.type == map_type


def test_perf_event_array_without_max_entries_gets_one_slot_per_cpu(maps_obj: Object) -> None:
    assert maps_obj.maps["perf_events"].info.max_entries == possible_cpus()


def test_bloom_filter_contains_what_was_pushed(maps_obj: Object) -> None:
    seen = maps_obj.maps["seen"]
    seen.push(1234)
    assert 1234 in seen


def test_task_storage_map_is_created_with_its_btf(maps_obj: Object) -> None:
    info = maps_obj.maps["task_data"].info
    assert info.btf_id != 0 and info.btf_value_type_id != 0


def test_lru_hash_with_u64_keys_round_trips(maps_obj: Object) -> None:
    recent = maps_obj.maps["recent"]
    recent[1 << 40] = 3
    assert dict(recent.items()) == {1 << 40: 3}
