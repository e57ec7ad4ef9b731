"""Histogram formatting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.events import format_linear_hist, format_log2_hist, log2_bounds


@pytest.mark.parametrize(
    ("bucket", "bounds"), [(0, (0, 0)), (1, (1, 1)), (2, (2, 3)), (3, (4, 7)), (10, (512, 1023))]
)
def test_log2_bucket_covers_powers_of_two_ranges(bucket: int, bounds: tuple[int, int]) -> None:
    assert log2_bounds(bucket) == bounds


def test_log2_histogram_has_a_row_per_bucket_up_to_the_last_used() -> None:
    text = format_log2_hist({1: 2, 3: 4}, "usecs", width=4)
    assert text.splitlines() == [
        " usecs : count distribution",
        "1 -> 1 : 2     |**  |",
        "2 -> 3 : 0     |    |",
        "4 -> 7 : 4     |****|",
    ]


def test_linear_histogram_labels_each_step() -> None:
    text = format_linear_hist({0: 1, 1: 1}, "ms", step=10, width=2)
    assert text.splitlines()[1:] == ["  0 -> 9 : 1     |**|", "10 -> 19 : 1     |**|"]


def test_empty_histogram_formats_to_nothing() -> None:
    assert format_log2_hist({}) == ""
    assert format_log2_hist({4: 0}) == ""


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.integers(0, 40), st.integers(0, 10**9), max_size=20))
def test_bars_never_exceed_the_width(buckets: dict[int, int]) -> None:
    for line in format_log2_hist(buckets, width=40).splitlines()[1:]:
        bar = line.split("|")[1]
        assert len(bar) == 40
