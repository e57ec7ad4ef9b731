"""What the ring buffer and perf buffer readers share: waiting, the three interfaces, shutdown.

A concrete reader only says how to take the next record out of its memory (``_next_record``) and
which fds signal new data; blocking, timeouts, callbacks, ``read_into``, ``async for`` and a
``close()`` that wakes a blocked poll are written once here.
"""

from __future__ import annotations

import asyncio
import os
import select
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

from pybpf._dataclasses import dataclass

from .._closing import Closing
from .errors import BufferTooSmall, DeadlineExceeded, EventsError, ReaderClosed

T = TypeVar("T")
Decoder = Callable[[bytes], Any]

# Records drained from the buffer per lock acquisition.
BATCH = 1024


@dataclass
class ReaderStats:
    """Counts since the reader was opened: records delivered, discarded by the program, lost."""

    received: int = 0
    discarded: int = 0
    lost: int = 0


class Waiter:
    """epoll over the fds that signal data, plus an eventfd that ``wake()`` sets to end a wait."""

    def __init__(self, fds: list[int]) -> None:
        self._epoll = select.epoll()
        self._wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._epoll.register(self._wake, select.EPOLLIN)
        for fd in fds:
            self._epoll.register(fd, select.EPOLLIN)
        self.woken = False

    def fileno(self) -> int:
        return self._epoll.fileno()

    def wait(self, timeout: float | None) -> bool:
        """Wait until data or a wake-up; ``False`` when ``timeout`` passed first."""
        try:
            events = self._epoll.poll(-1 if timeout is None else max(timeout, 0.0))
        except (OSError, ValueError):
            if self._epoll.closed:
                return True  # closed under us: the caller's closed check ends the wait
            raise
        for fd, _mask in events:
            if fd == self._wake:
                self.woken = True
        return bool(events)

    def wake(self) -> None:
        try:
            os.eventfd_write(self._wake, 1)
        except OSError:
            pass

    def close(self) -> None:
        if self._epoll.closed:
            return
        self.wake()
        self._epoll.close()
        try:
            os.close(self._wake)
        except OSError:
            pass


class Reader(Closing, Generic[T]):
    """Base of the event readers; records are ``bytes`` or whatever ``decoder`` returns."""

    def __init__(self, wait_fds: list[int], decoder: Decoder | None = None) -> None:
        self._waiter = Waiter(wait_fds)
        self.decoder = decoder
        self.stats = ReaderStats()
        self._closed = False
        self._lock = threading.Lock()
        self._state = threading.Lock()
        self._waiting = 0
        # Records already taken out of the buffer (copied, decoded) and not yet handed out:
        # draining in batches keeps the per-record cost of the lock and the calls low.
        self._pending: deque[T] = deque()

    # -- to implement -------------------------------------------------------------------------
    def _next_record(self, sink: Callable[[memoryview], object]) -> bool:
        """Hand the next complete record to ``sink`` and consume it; ``False`` if there is none."""
        raise NotImplementedError

    def _release(self) -> None:
        """Unmap memory and close fds."""
        raise NotImplementedError

    def _fill(self, limit: int) -> int:
        """Move up to ``limit`` records (decoded) into ``_pending``; readers override it with a
        tighter loop.  Called with ``_lock`` held."""
        pending = self._pending
        decode = self._decode
        count = 0

        def sink(view: memoryview) -> None:
            pending.append(decode(view))

        while count < limit and self._next_record(sink):
            count += 1
        return count

    # -- shared -------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        """An fd that becomes readable when records may be available (for select/epoll/asyncio)."""
        self._check()
        return self._waiter.fileno()

    def _check(self) -> None:
        if self._closed:
            raise ReaderClosed(f"{type(self).__name__} is closed")

    def _decode(self, raw: memoryview) -> T:
        data = bytes(raw)
        return self.decoder(data) if self.decoder is not None else data  # type: ignore[return-value]

    def _take(self) -> T | None:
        pending = self._pending
        if not pending:
            with self._lock:
                self._check()
                self._fill(BATCH)
        try:
            return pending.popleft()
        except IndexError:
            return None

    def _wait(self, deadline: float | None) -> bool:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return False
        with self._state:
            self._check()
            self._waiting += 1
        try:
            ready = self._waiter.wait(left)
        finally:
            with self._state:
                self._waiting -= 1
                # Closing the eventfd under a sleeping epoll_wait would drop its wake-up, so the
                # last waiter out closes the waiter when close() could not.
                last = self._closed and self._waiting == 0
            if last:
                self._waiter.close()
        self._check()
        return ready

    def consume(self, callback: Callable[[T], object] | None = None) -> int:
        """Deliver every record available now to ``callback`` without waiting; returns how many."""
        count = 0
        pending = self._pending
        while True:
            if not pending:
                with self._lock:
                    self._check()
                    if not self._fill(BATCH):
                        return count
            if callback is None:
                count += len(pending)
                pending.clear()
                continue
            while pending:
                try:
                    record = pending.popleft()
                except IndexError:
                    break
                count += 1
                callback(record)

    def consume_raw(self, callback: Callable[[memoryview], object]) -> int:
        """Like :meth:`consume` but zero-copy: ``callback`` gets a memoryview of the record in the
        buffer itself, valid only during the call (the record is consumed when it returns)."""
        count = 0
        with self._lock:
            self._check()
            while self._pending:
                record = self._pending.popleft()
                if not isinstance(record, bytes):
                    raise EventsError("consume_raw after decoded records were polled: use consume() instead")
                callback(memoryview(record))
                count += 1
            while self._next_record(callback):
                count += 1
        return count

    def poll(self, timeout: float | None = None) -> Iterator[T]:
        """Records as they arrive; the iteration ends once ``timeout`` seconds pass without one
        (``None``: only when the reader is closed)."""
        while True:
            try:
                record = self._take()
            except ReaderClosed:
                return
            if record is not None:
                yield record
                continue
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                if not self._wait(deadline):
                    return
            except ReaderClosed:
                return

    def __iter__(self) -> Iterator[T]:
        return self.poll(None)

    def read(self, timeout: float | None = None) -> T:
        """The next record; raises :class:`DeadlineExceeded` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self._take()
            if record is not None:
                return record
            if not self._wait(deadline):
                raise DeadlineExceeded(f"no record within {timeout} s")

    def read_into(self, buffer: bytearray | memoryview, timeout: float | None = None) -> int:
        """Copy the next record into ``buffer`` (no allocation) and return its length."""
        target = memoryview(buffer).cast("B")
        deadline = None if timeout is None else time.monotonic() + timeout
        result: list[int] = []
        if self._pending:
            first = self._pending[0]
            if not isinstance(first, bytes):
                raise EventsError("read_into after decoded records were polled: use read() instead")
            if len(first) > len(target):
                raise BufferTooSmall(
                    f"record of {len(first)} bytes does not fit in {len(target)}", needed=len(first)
                )
            self._pending.popleft()
            target[: len(first)] = first
            return len(first)
        while True:

            def sink(view: memoryview) -> None:
                if len(view) > len(target):
                    raise BufferTooSmall(
                        f"record of {len(view)} bytes does not fit in {len(target)}", needed=len(view)
                    )
                target[: len(view)] = view
                result.append(len(view))

            with self._lock:
                self._check()
                found = self._next_record(sink)
            if found:
                return result[0]
            if not self._wait(deadline):
                raise DeadlineExceeded(f"no record within {timeout} s")

    async def _async_records(self) -> AsyncIterator[T]:
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        fd = self.fileno()
        loop.add_reader(fd, ready.set)
        try:
            while True:
                try:
                    record = self._take()
                except ReaderClosed:
                    return
                if record is not None:
                    yield record
                    continue
                ready.clear()
                await ready.wait()
                # Drain the epoll readiness so the next wait blocks again.
                try:
                    self._waiter.wait(0)
                except (OSError, ValueError):
                    return
        finally:
            try:
                loop.remove_reader(fd)
            except (OSError, ValueError):
                pass

    def __aiter__(self) -> AsyncIterator[T]:
        return self._async_records()

    def close(self) -> None:
        """Release the buffer; wakes a thread blocked in :meth:`poll`/:meth:`read`. Idempotent."""
        if self._closed:
            return
        with self._state:
            self._closed = True
            waiting = self._waiting
        self._waiter.wake()
        with self._lock:
            self._release()
        if not waiting:
            self._waiter.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible to report
            pass


__all__ = ["Decoder", "Reader", "ReaderStats", "Waiter"]
