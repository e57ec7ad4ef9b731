"""Reading what BPF programs emit: ring buffers, perf buffers, and histograms of counters.

Readers offer the same three interfaces (iterate with ``poll(timeout)``, ``consume(callback)``,
``read_into(buffer)``) plus ``async for``; :class:`Poller` waits on several at once.
"""

from __future__ import annotations

from .batch import RecordBatch
from .errors import BufferTooSmall, DeadlineExceeded, EventsError, ReaderClosed
from .hist import format_linear_hist, format_log2_hist, log2_bounds, print_linear_hist, print_log2_hist
from .multi import Poller
from .perfbuf import PerfBuffer
from .reader import Reader, ReaderStats
from .ringbuf import RingBuffer

__all__ = [
    "BufferTooSmall",
    "DeadlineExceeded",
    "EventsError",
    "PerfBuffer",
    "Poller",
    "Reader",
    "ReaderClosed",
    "ReaderStats",
    "RecordBatch",
    "RingBuffer",
    "format_linear_hist",
    "format_log2_hist",
    "log2_bounds",
    "print_linear_hist",
    "print_log2_hist",
]
