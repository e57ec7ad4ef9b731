"""Perf buffer reader: one perf ring per CPU behind a BPF_MAP_TYPE_PERF_EVENT_ARRAY map.

Programs call ``bpf_perf_event_output(ctx, &map, BPF_F_CURRENT_CPU, data, size)``; the kernel
writes a PERF_RECORD_SAMPLE carrying the raw bytes into the ring of the CPU the program ran on,
or a PERF_RECORD_LOST when the ring was full.  Each ring is a metadata page
(``struct perf_event_mmap_page``: ``data_head`` written by the kernel, ``data_tail`` by us, at
fixed offsets) followed by 2^n data pages; unlike the BPF ring buffer, records may wrap.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable, Iterable
from typing import Any

from pybpf.attach.perf_event import (
    IOC_ENABLE,
    PerfEventAttr,
    PerfType,
    SampleType,
    SoftwareEvent,
    online_cpus,
    perf_event_open,
    perf_ioctl,
)
from pybpf.enums import MapType
from pybpf.kernel.errors import KernelError
from pybpf.kernel.fd import FD
from pybpf.kernel.info import map_info
from pybpf.kernel.maps import map_delete, map_update

from .errors import EventsError
from .reader import Decoder, Reader

DATA_HEAD_OFFSET = 1024
DATA_TAIL_OFFSET = 1032
PERF_RECORD_LOST = 2
PERF_RECORD_SAMPLE = 9

_HEADER = struct.Struct("=IHH")
_U64 = struct.Struct("=Q")
_U32 = struct.Struct("=I")
_LOST = struct.Struct("=QQ")


class _CPURing:
    """One CPU's perf event and its mapping."""

    def __init__(self, cpu: int, pages: int) -> None:
        attr = PerfEventAttr(
            type=PerfType.SOFTWARE,
            config=SoftwareEvent.BPF_OUTPUT,
            sample_type=SampleType.RAW,
            sample_period=1,
            wakeup_events=1,
        )
        self.cpu = cpu
        self.fd = perf_event_open(attr, pid=-1, cpu=cpu)
        page = mmap.PAGESIZE
        self.size = pages * page
        try:
            self.map = mmap.mmap(
                self.fd.raw, page + self.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE
            )
        except OSError as exc:
            self.fd.close()
            raise EventsError(f"cannot mmap the perf ring of cpu {cpu}: {exc.strerror}") from None
        self.view = memoryview(self.map)
        self.data = self.view[page:]
        self.tail = _U64.unpack_from(self.view, DATA_TAIL_OFFSET)[0]

    def head(self) -> int:
        return int(_U64.unpack_from(self.view, DATA_HEAD_OFFSET)[0])

    def copy_out(self, pos: int, length: int) -> memoryview:
        """``length`` bytes at ring position ``pos``, joined when they wrap past the end."""
        start = pos % self.size
        end = start + length
        if end <= self.size:
            return self.data[start:end]
        return memoryview(bytes(self.data[start:]) + bytes(self.data[: end - self.size]))

    def set_tail(self, pos: int) -> None:
        self.tail = pos
        _U64.pack_into(self.view, DATA_TAIL_OFFSET, pos)

    def close(self) -> None:
        for view in (self.data, self.view):
            try:
                view.release()
            except BufferError:
                pass
        try:
            self.map.close()
        except BufferError:
            pass
        self.fd.close()


class PerfBuffer(Reader[Any]):
    """Opens a BPF-output perf event per CPU, stores each in the perf event array ``map_fd``
    and reads the samples; ``lost`` counts what the kernel could not write.

    ``pages`` per CPU must be a power of two.  The same interfaces as :class:`RingBuffer`.
    """

    def __init__(
        self,
        map_fd: FD | int,
        *,
        pages: int = 8,
        decoder: Decoder | None = None,
        cpus: Iterable[int] | None = None,
        on_lost: Callable[[int, int], object] | None = None,
    ) -> None:
        if pages <= 0 or pages & (pages - 1):
            raise EventsError(f"perf buffer pages per CPU must be a power of two, not {pages}")
        fd = int(map_fd)
        info = map_info(fd)
        if info.type != MapType.PERF_EVENT_ARRAY:
            raise EventsError(f"map {info.name or info.id} is not a perf event array (type {info.type})")
        self._map_fd = fd
        self.on_lost = on_lost
        self._rings: list[_CPURing] = []
        wanted = [cpu for cpu in (cpus if cpus is not None else online_cpus()) if cpu < info.max_entries]
        try:
            for cpu in wanted:
                ring = _CPURing(cpu, pages)
                self._rings.append(ring)
                map_update(fd, _U32.pack(cpu), _U32.pack(ring.fd.raw))
                perf_ioctl(ring.fd, IOC_ENABLE)
        except (KernelError, EventsError):
            for ring in self._rings:
                ring.close()
            raise
        self._next = 0
        super().__init__([ring.fd.raw for ring in self._rings], decoder)

    @property
    def cpus(self) -> list[int]:
        return [ring.cpu for ring in self._rings]

    def _next_record(self, sink: Callable[[memoryview], object]) -> bool:
        rings = self._rings
        for step in range(len(rings)):
            ring = rings[(self._next + step) % len(rings)]
            if self._ring_record(ring, sink):
                # Round-robin: the next call starts after this CPU so none starves.
                self._next = (self._next + step + 1) % len(rings)
                return True
        return False

    def _ring_record(self, ring: _CPURing, sink: Callable[[memoryview], object]) -> bool:
        while True:
            tail = ring.tail
            if tail >= ring.head():
                return False
            kind, _misc, size = _HEADER.unpack_from(ring.copy_out(tail, _HEADER.size))
            if size < _HEADER.size:
                raise EventsError(f"corrupt perf record of size {size} on cpu {ring.cpu}")
            body = ring.copy_out(tail + _HEADER.size, size - _HEADER.size)
            if kind == PERF_RECORD_SAMPLE and len(body) >= 4:
                length = _U32.unpack_from(body, 0)[0]
                sink(body[4 : 4 + min(length, len(body) - 4)])
                self.stats.received += 1
                ring.set_tail(tail + size)
                return True
            if kind == PERF_RECORD_LOST and len(body) >= _LOST.size:
                lost = _LOST.unpack_from(body, 0)[1]
                self.stats.lost += lost
                if self.on_lost is not None:
                    self.on_lost(ring.cpu, lost)
            ring.set_tail(tail + size)

    def _release(self) -> None:
        for ring in self._rings:
            try:
                map_delete(self._map_fd, _U32.pack(ring.cpu))
            except (KernelError, OSError):
                pass
            ring.close()
        self._rings = []


__all__ = ["DATA_HEAD_OFFSET", "DATA_TAIL_OFFSET", "PERF_RECORD_LOST", "PERF_RECORD_SAMPLE", "PerfBuffer"]
