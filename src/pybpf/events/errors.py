"""Errors of the event readers, distinct so that callers can tell shutdown from timeouts."""

from __future__ import annotations

from pybpf.errors import Error


class EventsError(Error):
    """A ring buffer or perf buffer could not be set up or read."""


class ReaderClosed(EventsError):
    """The reader was closed (possibly by another thread while a poll was waiting)."""


class DeadlineExceeded(EventsError, TimeoutError):
    """No record arrived before the timeout."""


class BufferTooSmall(EventsError, ValueError):
    """``read_into`` got a buffer shorter than the next record; ``needed`` says how long it is."""

    def __init__(self, message: str, *, needed: int) -> None:
        super().__init__(message)
        self.needed = needed


__all__ = ["BufferTooSmall", "DeadlineExceeded", "EventsError", "ReaderClosed"]
