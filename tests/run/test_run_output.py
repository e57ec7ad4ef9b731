"""How ``pybpf run`` prints maps at the end: per-CPU sums, histograms only for histogram-like maps."""

from __future__ import annotations

import io
from typing import Any

import pytest

from pybpf.enums import MapType
from pybpf.run.output import Printer, dump_map, histograms_of, looks_like_histogram_name, sum_per_cpu


def _dump(name: str, map_type: MapType, entries: list[tuple[Any, Any]], *, max_entries: int = 0) -> str:
    out = io.StringIO()
    dump_map(Printer(out), name, map_type, 4, 8, max_entries or len(entries), entries)
    return out.getvalue()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3], 6),
        ([{"a": 1, "b": 2}, {"a": 3, "b": 4}], {"a": 4, "b": 6}),
        ([[1, 2], [3, 4]], [4, 6]),
        (["x", "y"], "x"),
        (5, 5),
    ],
)
def test_per_cpu_values_add_up_member_by_member(values: Any, expected: Any) -> None:
    assert sum_per_cpu(values) == expected


def test_a_per_cpu_counter_array_prints_one_heading_and_only_nonzero_keys() -> None:
    entries = [(k, [0, 0]) for k in range(256)]
    entries[6] = (6, [2, 3])
    entries[17] = (17, [0, 1])
    text = _dump("proto_count", MapType.PERCPU_ARRAY, entries)
    assert text.splitlines() == [
        "map proto_count: 2 entries (254 zero entries skipped)",
        "  6 => 5",
        "  17 => 1",
    ]


def test_a_counter_array_not_named_like_a_histogram_is_not_drawn() -> None:
    text = _dump("hits", MapType.ARRAY, [(0, 5), (1, 7)])
    assert "histogram" not in text and "  1 => 7" in text


@pytest.mark.parametrize("map_type", [MapType.ARRAY, MapType.PERCPU_ARRAY])
def test_an_int_array_named_like_a_histogram_is_drawn_with_bcc_labels(map_type: MapType) -> None:
    value = 4 if map_type is MapType.ARRAY else [1, 3]
    entries = [(k, value if k == 3 else (0 if map_type is MapType.ARRAY else [0, 0])) for k in range(16)]
    text = _dump("slots", map_type, entries)
    assert "map slots: log2 histogram" in text and "4 -> 7 : 4 " in text


def test_per_cpu_slot_structs_are_summed_into_one_histogram_per_key() -> None:
    entries = [(0, [{"slots": [0, 1, 0]}, {"slots": [0, 2, 0]}])]
    out = io.StringIO()
    dump_map(Printer(out), "lat", MapType.PERCPU_HASH, 4, 12, 1, entries)
    assert out.getvalue().count("log2 histogram") == 1 and "1 -> 1 : 3 " in out.getvalue()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("hist", True), ("syscall_dist", True), ("slots", True), ("proto_count", False), ("hits", False)],
)
def test_histogram_names_are_recognised(name: str, expected: bool) -> None:
    assert looks_like_histogram_name(name) is expected


def test_a_plain_list_value_in_an_ordinary_map_is_not_a_histogram() -> None:
    assert list(histograms_of(MapType.HASH, 4, 16, 8, [(0, [1, 2])], name="pairs")) == []
