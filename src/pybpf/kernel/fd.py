"""Ownership of the file descriptors the kernel hands out for BPF objects.

A BPF object lives as long as some fd (or pin, or attachment) refers to it, so leaking fds leaks
kernel memory and keeps programs attached.  Every fd pybpf creates is wrapped in one :class:`FD`
that closes it exactly once: explicitly, through ``with``, or at garbage collection as a backstop.

"Exactly once" matters because fd numbers are reused: a second ``close`` of a number could close
someone else's file.  The number sits in a one-element list that ``close`` and ``detach`` empty
with ``list.pop``, a single operation no other thread can interleave with, so only one of them
ever gets it.  (``weakref.finalize`` would give the same guarantee, at the price of importing
:mod:`weakref` and making a finalizer per fd; at process exit the kernel closes what is left.)
"""

from __future__ import annotations

import os

from pybpf._closing import Closing
from pybpf._typing import TYPE_CHECKING
from pybpf.errors import Error

if TYPE_CHECKING:
    from collections.abc import Callable


class ClosedFD(Error):
    """An operation on an :class:`FD` that has already been closed."""


def _close_quietly(raw: int, close: Callable[[int], None] = os.close) -> None:
    # ``close`` is bound now: an FD finalised at interpreter shutdown may outlive this module's
    # globals.
    try:
        close(raw)
    except OSError:
        pass


def _claim(raw: int) -> int:
    """Move fd 0 out of the way and make sure the fd is close-on-exec.

    The BPF ABI reads fd 0 as "no fd" in many attributes (inner_map_fd, btf_fd, ...), so an
    object that happened to get fd 0 (stdin closed) would be silently ignored there.
    """
    if raw == 0:
        moved = os.dup(raw)  # the lowest free number, and 0 is still ours: >= 1, close-on-exec
        os.close(raw)
        return moved
    if os.get_inheritable(raw):  # FD_CLOEXEC unset
        os.set_inheritable(raw, False)
    return raw


class FD(Closing):
    """One owned file descriptor: ``int(fd)`` for the number, ``close()`` is idempotent."""

    __slots__ = ("__weakref__", "_owned", "_raw", "kind")

    #: Kept on the class for the same reason as ``close`` above.
    _close_raw = staticmethod(_close_quietly)

    def __init__(self, raw: int, kind: str = "") -> None:
        self._owned: list[int] = []
        if raw < 0:
            raise ValueError(f"invalid file descriptor {raw}")
        self._raw = _claim(raw)
        self.kind = kind
        self._owned.append(self._raw)

    @property
    def raw(self) -> int:
        """The fd number; raises :class:`ClosedFD` once closed."""
        if not self._owned:
            raise ClosedFD(f"{self.kind or 'fd'} is closed")
        return self._raw

    def __int__(self) -> int:
        return self.raw

    def __index__(self) -> int:
        return self.raw

    @property
    def closed(self) -> bool:
        return not self._owned

    def close(self) -> None:
        """Close the fd; later calls do nothing."""
        try:
            raw = self._owned.pop()
        except IndexError:
            return
        self._close_raw(raw)

    def detach(self) -> int:
        """Give up ownership and return the raw fd (the caller must close it)."""
        try:
            return self._owned.pop()
        except IndexError:
            raise ClosedFD(f"{self.kind or 'fd'} is closed") from None

    def __del__(self) -> None:
        owned = getattr(self, "_owned", None)  # None when __init__ failed before setting it
        if owned:
            self.close()

    def dup(self) -> FD:
        """A second owned fd referring to the same kernel object."""
        return FD(os.dup(self.raw), self.kind)  # close-on-exec; FD() moves a 0 out of the way

    def __repr__(self) -> str:
        state = "closed" if self.closed else str(self._raw)
        kind = f"{self.kind} " if self.kind else ""
        return f"<FD {kind}{state}>"


def fd_number(fd: FD | int | None) -> int:
    """The raw number of an owned or borrowed fd for an attribute field; ``None`` means 0 ("none")."""
    if fd is None:
        return 0
    return int(fd)


__all__ = ["FD", "ClosedFD", "fd_number"]
