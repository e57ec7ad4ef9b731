"""The deadline of timed event loops (``--duration``): waits are capped, a past end stops the loop."""

from __future__ import annotations

import pytest

from pybpf.run.deadline import Deadline


@pytest.mark.parametrize(("duration", "cap", "expected"), [(None, 0.2, 0.2), (1e9, 0.25, 0.25)])
def test_a_far_or_absent_deadline_waits_the_whole_cap(
    duration: float | None, cap: float, expected: float
) -> None:
    assert Deadline(duration).next_wait(cap) == expected


@pytest.mark.parametrize("duration", [0.0, -1.0])
def test_a_deadline_that_has_passed_asks_for_no_more_waiting(duration: float) -> None:
    assert Deadline(duration).next_wait(0.2) is None
