"""Waiting on several readers at once.

Every reader exposes an epoll fd that is readable when it may have records, and an epoll fd can
itself be watched by another epoll: one wait covers any number of ring and perf buffers.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import ReaderClosed
from .reader import Reader


class Poller:
    """Records from several named readers as ``(name, record)`` pairs, in arrival order per reader."""

    def __init__(self, readers: Mapping[str, Reader[Any]]) -> None:
        self._readers = dict(readers)
        self._epoll = select.epoll()
        self._wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._epoll.register(self._wake, select.EPOLLIN)
        for reader in self._readers.values():
            self._epoll.register(reader.fileno(), select.EPOLLIN)
        self._closed = False

    def _drain(self) -> Iterator[tuple[str, Any]]:
        for name, reader in self._readers.items():
            if reader.closed:
                continue
            try:
                while (record := reader._take()) is not None:
                    yield name, record
            except ReaderClosed:
                continue

    def poll(self, timeout: float | None = None) -> Iterator[tuple[str, Any]]:
        """Records of every reader; ends after ``timeout`` seconds without any, or on close."""
        while not self._closed:
            got = False
            for item in self._drain():
                got = True
                yield item
            if got:
                continue
            deadline = None if timeout is None else time.monotonic() + timeout
            left = None if deadline is None else deadline - time.monotonic()
            try:
                events = self._epoll.poll(-1 if left is None else max(left, 0.0))
            except (OSError, ValueError):
                return
            if not events:
                return
            for reader in self._readers.values():
                if not reader.closed:
                    reader._waiter.wait(0)  # clear the nested readiness

    def close(self) -> None:
        """Stop a blocked :meth:`poll` (the readers stay open; close them separately)."""
        if self._closed:
            return
        self._closed = True
        try:
            os.eventfd_write(self._wake, 1)
        except OSError:
            pass
        self._epoll.close()
        os.close(self._wake)


__all__ = ["Poller"]
