"""The end of a timed run, for event loops that wait in short slices so Ctrl-C stays prompt."""

from __future__ import annotations

import time


class Deadline:
    """``duration`` seconds from now, or never when it is None."""

    def __init__(self, duration: float | None) -> None:
        self._end = None if duration is None else time.monotonic() + duration

    def next_wait(self, cap: float) -> float | None:
        """How long the next wait may be: ``cap``, shortened to the end; None once it has passed."""
        if self._end is None:
            return cap
        left = self._end - time.monotonic()
        if left <= 0:
            return None
        return min(cap, left)


__all__ = ["Deadline"]
