"""Binary search over sorted sequences: :mod:`bisect`'s two searches, in Python.

:mod:`bisect` is a C extension, and loading a shared object costs a cold process about 0.5 ms
(dynamic linking, measured on this project's machines): more than every search a load makes put
together (a few dozen).  The searches here have :mod:`bisect`'s semantics and take any sequence
that indexes and has a length (lists, ``memoryview``\\ s of the BTF index).
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def bisect_left(seq: Sequence[Any], value: Any, lo: int = 0, hi: int | None = None) -> int:
    """The first index ``i`` in ``[lo, hi)`` with ``seq[i] >= value`` (``hi`` if there is none)."""
    if hi is None:
        hi = len(seq)
    while lo < hi:
        mid = (lo + hi) // 2
        if seq[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def bisect_right(seq: Sequence[Any], value: Any, lo: int = 0, hi: int | None = None) -> int:
    """The first index ``i`` in ``[lo, hi)`` with ``seq[i] > value`` (``hi`` if there is none)."""
    if hi is None:
        hi = len(seq)
    while lo < hi:
        mid = (lo + hi) // 2
        if value < seq[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


__all__ = ["bisect_left", "bisect_right"]
