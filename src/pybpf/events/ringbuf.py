"""BPF ring buffer (BPF_MAP_TYPE_RINGBUF) reader over the map's mmap'ed memory.

Layout (kernel/bpf/ringbuf.c, a fact of the ABI): page 0 holds the consumer position and is the
only page user space may write; page 1 holds the producer position; the data area follows and is
mapped twice in a row, so a record that wraps around the end is still contiguous in memory.
Each record starts with an 8-byte header: a u32 length whose top bits say "busy" (still being
written) and "discard" (written, then dropped), and a u32 page offset used by the kernel only.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable
from typing import Any

from pybpf.enums import MapType
from pybpf.kernel.fd import FD
from pybpf.kernel.info import map_info

from .errors import EventsError
from .reader import Decoder, Reader

BUSY_BIT = 1 << 31
DISCARD_BIT = 1 << 30
HEADER_SIZE = 8

_LENGTH_MASK = ~(BUSY_BIT | DISCARD_BIT) & 0xFFFFFFFF
_U64 = struct.Struct("=Q")
_U32 = struct.Struct("=I")


def record_span(length: int) -> int:
    """Bytes a record of ``length`` takes in the ring: header plus data, rounded up to 8."""
    return (length + HEADER_SIZE + 7) & ~7


class RingBuffer(Reader[Any]):
    """Reads records from a ring buffer map fd (the fd stays the caller's).

    ``poll(timeout)``/``read()``/``read_into()``/``consume(callback)``/``async for`` come from
    :class:`~pybpf.events.reader.Reader`; ``decoder`` turns each record's bytes into a value.
    """

    def __init__(self, map_fd: FD | int, *, decoder: Decoder | None = None, size: int | None = None) -> None:
        fd = int(map_fd)
        if size is None:
            info = map_info(fd)
            if info.type != MapType.RINGBUF:
                raise EventsError(f"map {info.name or info.id} is not a ring buffer (type {info.type})")
            size = int(info.max_entries)
        if size <= 0 or size & (size - 1):
            raise EventsError(f"ring buffer size {size} is not a power of two")
        page = mmap.PAGESIZE
        try:
            self._consumer = mmap.mmap(fd, page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
            self._data_map = mmap.mmap(fd, page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=page)
        except OSError as exc:
            raise EventsError(f"cannot mmap ring buffer fd {fd}: {exc.strerror}") from None
        self.size = size
        self._mask = size - 1
        self._page = page
        self._cons_view = memoryview(self._consumer)
        self._view = memoryview(self._data_map)
        self._pos = _U64.unpack_from(self._cons_view, 0)[0]
        super().__init__([fd], decoder)

    @property
    def consumer_position(self) -> int:
        return int(self._pos)

    @property
    def producer_position(self) -> int:
        return int(_U64.unpack_from(self._view, 0)[0])

    def pending(self) -> int:
        """Bytes written by the producer and not yet consumed (headers included)."""
        return self.producer_position - self._pos

    def _next_record(self, sink: Callable[[memoryview], object]) -> bool:
        view = self._view
        page = self._page
        while True:
            pos = self._pos
            # One aligned 8-byte load: the kernel publishes producer_pos with a release store.
            if pos >= _U64.unpack_from(view, 0)[0]:
                return False
            start = page + (pos & self._mask)
            header = _U32.unpack_from(view, start)[0]
            if header & BUSY_BIT:
                return False
            length = header & ~(BUSY_BIT | DISCARD_BIT)
            next_pos = pos + record_span(length)
            if header & DISCARD_BIT:
                self.stats.discarded += 1
                self._advance(next_pos)
                continue
            # If the sink raises (a read_into buffer too small) the record stays for a retry.
            sink(view[start + HEADER_SIZE : start + HEADER_SIZE + length])
            self.stats.received += 1
            self._advance(next_pos)
            return True

    def _fill(self, limit: int) -> int:
        # The hot loop: copies straight out of the mmap (slicing it gives bytes) and publishes the
        # consumer position after each record, as the kernel's protocol expects, so the
        # producer gets the space back at once.  A raising decoder loses only its own record.
        data = self._data_map
        unpack_u32 = _U32.unpack_from
        commit = _U64.pack_into
        consumer = self._consumer
        page, mask = self._page, self._mask
        decoder = self.decoder
        append = self._pending.append
        pos = self._pos
        end = _U64.unpack_from(data, 0)[0]
        count = discarded = 0
        try:
            while count < limit:
                if pos >= end:
                    end = _U64.unpack_from(data, 0)[0]
                    if pos >= end:
                        break
                start = page + (pos & mask)
                header = unpack_u32(data, start)[0]
                if header & BUSY_BIT:
                    break
                length = header & _LENGTH_MASK
                record = data[start + HEADER_SIZE : start + HEADER_SIZE + length]
                pos += (length + HEADER_SIZE + 7) & ~7
                commit(consumer, 0, pos)
                if header & DISCARD_BIT:
                    discarded += 1
                    continue
                append(decoder(record) if decoder is not None else record)
                count += 1
        finally:
            self._pos = pos
            self.stats.received += count
            self.stats.discarded += discarded
        return count

    def consume_raw(self, callback: Callable[[memoryview], object]) -> int:
        """Zero-copy: ``callback`` gets a memoryview into the ring, valid only during the call;
        the record is released (consumer position advanced) when the callback returns."""
        count = 0
        with self._lock:
            self._check()
            while self._pending:  # copies drained by an earlier poll() come first
                record = self._pending.popleft()
                if not isinstance(record, bytes):
                    raise EventsError("consume_raw after decoded records were polled: use consume()")
                count += 1
                callback(memoryview(record))
            view = self._view
            unpack_u32 = _U32.unpack_from
            commit = _U64.pack_into
            consumer = self._consumer
            page, mask = self._page, self._mask
            pos = self._pos
            end = _U64.unpack_from(view, 0)[0]
            try:
                while True:
                    if pos >= end:
                        end = _U64.unpack_from(view, 0)[0]
                        if pos >= end:
                            break
                    start = page + (pos & mask)
                    header = unpack_u32(view, start)[0]
                    if header & BUSY_BIT:
                        break
                    length = header & _LENGTH_MASK
                    if header & DISCARD_BIT:
                        self.stats.discarded += 1
                    else:
                        callback(view[start + HEADER_SIZE : start + HEADER_SIZE + length])
                        count += 1
                        self.stats.received += 1
                    pos += (length + HEADER_SIZE + 7) & ~7
                    commit(consumer, 0, pos)
            finally:
                self._pos = pos
        return count

    def _advance(self, pos: int) -> None:
        self._pos = pos
        _U64.pack_into(self._cons_view, 0, pos)

    def _release(self) -> None:
        for resource in (self._cons_view, self._view, self._consumer, self._data_map):
            try:
                resource.close() if isinstance(resource, mmap.mmap) else resource.release()
            except BufferError:
                # A caller still holds a zero-copy view; the mapping goes when that view does.
                pass


__all__ = ["BUSY_BIT", "DISCARD_BIT", "HEADER_SIZE", "RingBuffer", "record_span"]
