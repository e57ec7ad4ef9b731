"""Ring buffer and perf event array maps, and readers with the API of :mod:`pybpf.events`.

Records go from a program to a Python deque; an eventfd signals each wake-up so the readers
reuse :class:`pybpf.events.reader.Reader` unchanged: ``poll(timeout)``, ``read()``,
``read_into()``, ``consume()``, ``async for`` and an idempotent ``close()``.
"""

from __future__ import annotations

import errno as _errno
import os
from collections import deque
from collections.abc import Callable
from typing import Any

from pybpf._dataclasses import dataclass

from ...events.reader import Decoder, Reader
from ...events.ringbuf import HEADER_SIZE, record_span
from ..memory import Region, RegionKind
from .base import MapOpError, Storage

#: bpf_ringbuf_submit/output flags and bpf_ringbuf_query selectors (uapi linux/bpf.h).
RB_NO_WAKEUP = 1
RB_FORCE_WAKEUP = 2
RB_AVAIL_DATA, RB_RING_SIZE, RB_CONS_POS, RB_PROD_POS = 0, 1, 2, 3
F_CURRENT_CPU = 0xFFFFFFFF


class Signal:
    """A non-blocking eventfd: ``set()`` wakes readers, ``clear()`` re-arms the wait."""

    def __init__(self) -> None:
        self.fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)

    def set(self) -> None:
        os.eventfd_write(self.fd, 1)

    def clear(self) -> None:
        try:
            os.eventfd_read(self.fd)
        except BlockingIOError:
            pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@dataclass
class _Record:
    position: int
    span: int
    region: Region
    state: str = "busy"  # busy, committed, discarded


class RingBufStorage(Storage):
    """``BPF_MAP_TYPE_RINGBUF`` of ``max_entries`` bytes: reservations take record space
    (8-byte header, data rounded up to 8) in order; a reservation still being written holds
    back every record after it, as in the kernel."""

    keyless = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        size = self.max_entries
        if size <= 0 or size & (size - 1):
            raise MapOpError(_errno.EINVAL, f"ring buffer size {size} is not a power of two")
        self.records: deque[_Record] = deque()
        self.by_address: dict[int, _Record] = {}
        self.producer = 0
        self.consumer = 0
        self.signal = Signal()

    def reserve(self, size: int) -> int:
        """Address of ``size`` fresh bytes, or 0 when the ring has no room."""
        span = record_span(size)
        if size <= 0 or self.producer - self.consumer + span > self.max_entries:
            return 0
        region = self.host.memory.add(f"ringbuf {self.name!r} record", RegionKind.MAP_VALUE, size)
        record = _Record(self.producer, span, region)
        self.producer += span
        self.records.append(record)
        self.by_address[region.base] = record
        return region.base

    def commit(self, address: int, flags: int, *, discard: bool) -> None:
        record = self.by_address.pop(address, None)
        if record is None:
            raise MapOpError(_errno.EINVAL, f"{address:#x} is not a reserved ring buffer record")
        record.state = "discarded" if discard else "committed"
        if not flags & RB_NO_WAKEUP:
            self.signal.set()

    def output(self, data: bytes, flags: int) -> None:
        address = self.reserve(len(data))
        if not address:
            raise MapOpError(_errno.EAGAIN, "the ring buffer is full")
        self.by_address[address].region.buf[:] = data
        self.commit(address, flags, discard=False)

    def query(self, what: int) -> int:
        return {
            RB_AVAIL_DATA: self.producer - self.consumer,
            RB_RING_SIZE: self.max_entries,
            RB_CONS_POS: self.consumer,
            RB_PROD_POS: self.producer,
        }.get(what, 0)

    def take(self, sink: Callable[[memoryview], object], stats_discarded: Callable[[], None]) -> bool:
        """Hand the next committed record to ``sink``; ``False`` when none is ready."""
        while self.records:
            record = self.records[0]
            if record.state == "busy":
                return False
            if record.state == "discarded":
                stats_discarded()
                self._consume(record)
                continue
            sink(memoryview(bytes(record.region.buf)))
            self._consume(record)
            return True
        return False

    def _consume(self, record: _Record) -> None:
        self.records.popleft()
        self.consumer = record.position + record.span
        self.host.retire(record.region)

    def count(self) -> int:
        return sum(1 for r in self.records if r.state == "committed")


class PerfEventArrayStorage(Storage):
    """``BPF_MAP_TYPE_PERF_EVENT_ARRAY``: one record queue per CPU slot; like the kernel, a
    slot takes output only while a reader is open on it (else ``ENOENT``)."""

    keyless = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.max_entries:
            self.max_entries = self.host.cpus
        self.queues: dict[int, deque[bytes]] = {}
        self.signal = Signal()

    def output(self, data: bytes, flags: int) -> None:
        index = flags & 0xFFFFFFFF
        if index == F_CURRENT_CPU:
            index = self.host.cpu
        if index >= self.max_entries:
            raise MapOpError(_errno.E2BIG, f"perf event array index {index} out of range")
        queue = self.queues.get(index)
        if queue is None:
            raise MapOpError(_errno.ENOENT, f"no perf buffer open on slot {index}")
        queue.append(bytes(data))
        self.signal.set()

    def take(self, sink: Callable[[memoryview], object]) -> bool:
        for queue in self.queues.values():
            if queue:
                sink(memoryview(queue[0]))
                queue.popleft()
                return True
        return False


class RingBuffer(Reader[Any]):
    """Reads a VM ring buffer map like :class:`pybpf.events.RingBuffer` reads a kernel one."""

    def __init__(self, storage: RingBufStorage, *, decoder: Decoder | None = None) -> None:
        self._storage = storage
        self.size = storage.max_entries
        super().__init__([storage.signal.fd], decoder)

    @property
    def consumer_position(self) -> int:
        return self._storage.consumer

    @property
    def producer_position(self) -> int:
        return self._storage.producer

    def pending(self) -> int:
        return self._storage.producer - self._storage.consumer

    def _discarded(self) -> None:
        self.stats.discarded += 1

    def _next_record(self, sink: Callable[[memoryview], object]) -> bool:
        found = self._storage.take(sink, self._discarded)
        if found:
            self.stats.received += 1
        else:
            self._storage.signal.clear()
        return found

    def _release(self) -> None:
        pass


class PerfBufferReader(Reader[Any]):
    """Reads a VM perf event array like :class:`pybpf.events.PerfBuffer` (open it before the
    program runs: output to a slot without a reader fails, as in the kernel)."""

    def __init__(self, storage: PerfEventArrayStorage, *, decoder: Decoder | None = None) -> None:
        self._storage = storage
        for cpu in range(min(storage.host.cpus, storage.max_entries)):
            storage.queues.setdefault(cpu, deque())
        super().__init__([storage.signal.fd], decoder)

    @property
    def cpus(self) -> list[int]:
        return sorted(self._storage.queues)

    def _next_record(self, sink: Callable[[memoryview], object]) -> bool:
        found = self._storage.take(sink)
        if found:
            self.stats.received += 1
        else:
            self._storage.signal.clear()
        return found

    def _release(self) -> None:
        self._storage.queues.clear()


__all__ = [
    "HEADER_SIZE",
    "PerfBufferReader",
    "PerfEventArrayStorage",
    "RingBufStorage",
    "RingBuffer",
    "Signal",
]
