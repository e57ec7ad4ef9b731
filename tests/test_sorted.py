"""pybpf._sorted against the standard library's bisect, on lists and on memoryviews of words."""

from __future__ import annotations

import bisect
import struct

from hypothesis import given
from hypothesis import strategies as st

from pybpf._sorted import bisect_left, bisect_right


@given(st.lists(st.integers(0, 50)), st.integers(-5, 55), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 60)))
def test_searches_match_bisect(values: list[int], probe: int, lo: int, hi: int | None) -> None:
    values.sort()
    lo = min(lo, len(values))
    if hi is not None:
        hi = max(lo, min(hi, len(values)))
    words = memoryview(struct.pack(f"={len(values)}I", *values)).cast("I")
    for seq in (values, words):
        assert bisect_left(seq, probe, lo, hi) == bisect.bisect_left(values, probe, lo, len(values) if hi is None else hi)
        assert bisect_right(seq, probe, lo, hi) == bisect.bisect_right(values, probe, lo, len(values) if hi is None else hi)
