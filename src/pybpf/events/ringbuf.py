"""BPF ring buffer (BPF_MAP_TYPE_RINGBUF) reader over the map's mmap'ed memory.

Layout (kernel/bpf/ringbuf.c, a fact of the ABI): page 0 holds the consumer position and is the
only page user space may write; page 1 holds the producer position; the data area follows and is
mapped twice in a row, so a record that wraps around the end is still contiguous in memory.
Each record starts with an 8-byte header: a u32 length whose top bits say "busy" (still being
written) and "discard" (written, then dropped), and a u32 page offset used by the kernel only.

:meth:`RingBuffer.read_batch` uses the double mapping to take every ready record at once: the
span ``[consumer_pos, producer_pos)`` is one contiguous slice of the mapping even when it wraps,
so a run of records is checked (a few strided byte slices of the headers, in C) and copied (one
slice) and released by a single consumer position update, with no Python work per record.
"""

from __future__ import annotations

import mmap
import struct
import sys
import time

from pybpf._typing import TYPE_CHECKING
from pybpf.enums import MapType
from pybpf.kernel.fd import FD
from pybpf.kernel.info import map_info

from .batch import HEADER_SIZE, RecordBatch, record_span
from .errors import EventsError
from .reader import Reader

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any  # noqa: F401 - the quoted base class below names it

    from .reader import Decoder

BUSY_BIT = 1 << 31
DISCARD_BIT = 1 << 30

_LENGTH_MASK = ~(BUSY_BIT | DISCARD_BIT) & 0xFFFFFFFF
# Which byte of the header's length word, in memory, holds the busy and discard bits.
_FLAG_BYTE = 3 if sys.byteorder == "little" else 0
_LENGTH_BYTES = tuple(index for index in range(4) if index != _FLAG_BYTE)
_U64 = struct.Struct("=Q")
_U32 = struct.Struct("=I")

# A run of equal records shorter than this, followed by something else, is not worth its own
# batch: the records are walked one by one instead (see _walk).
_MIN_RUN = 16
# Records one walk looks at, so that a few odd records ahead of a long uniform run do not make
# the whole run go through the Python loop (the next batch takes it on the fast path).
_WALK_LIMIT = 4096
# Bytes one batch copies at most (more if one record is bigger).  Measured on bench/ringbuf.py:
# batches of a few MiB are several times slower per record than 64-256 KiB ones, as their copies
# get fresh pages from the kernel (page faults) and leave the caches; below that the fixed cost
# of a batch (a few microseconds) starts to show.
_MAX_BATCH_BYTES = 256 << 10


class RingBuffer(Reader["Any"]):
    """Reads records from a ring buffer map fd (the fd stays the caller's).

    ``poll(timeout)``/``read()``/``read_into()``/``consume(callback)``/``async for`` come from
    :class:`~pybpf.events.reader.Reader`; ``decoder`` turns each record's bytes into a value.
    ``read_batch()``/``consume_batches()`` take whole runs of records at once, for high rates.
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

    def read_batch(self, max_records: int | None = None, *, timeout: float | None = 0.0) -> RecordBatch:
        """The records ready now (at most ``max_records``) as one :class:`RecordBatch`, copied out
        and handed back to the producer together; empty when none is ready.

        A run of records of one length costs O(1) Python operations however long it is: its
        headers are checked by strided slices (C loops) and its bytes copied by one slice.  A
        batch may hold fewer records than are ready: it ends before a record still being written,
        where the record length changes (after a run long enough to be worth a batch; shorter
        runs are walked record by record), at ``max_records``, or at 256 KiB.  Call again (or
        use :meth:`consume_batches`) to drain the ring.  Discarded records are skipped and counted
        in ``stats.discarded``, delivered ones in ``stats.received``.

        ``timeout`` is how long to wait for a first record (``None``: until one comes or the reader
        is closed, which raises :class:`~pybpf.events.ReaderClosed`); by default it does not wait.
        """
        if max_records is not None and max_records < 1:
            raise EventsError(f"max_records must be at least 1, not {max_records}")
        deadline = None if timeout is None else time.monotonic() + timeout if timeout else 0.0
        while True:
            with self._lock:
                self._check()
                batch = self._pending_batch(max_records) if self._pending else self._take_batch(max_records)
            if batch or not self._wait(deadline):
                return batch

    def consume_batches(
        self, callback: Callable[[RecordBatch], object], max_records: int | None = None
    ) -> int:
        """Hand every batch ready now to ``callback``, without waiting; returns how many records."""
        count = 0
        while True:
            batch = self.read_batch(max_records)
            if not batch:
                return count
            count += len(batch)
            callback(batch)

    def _pending_batch(self, limit: int | None) -> RecordBatch:
        # Records an earlier poll() already copied out (and counted) come first, in order.
        if self.decoder is not None:
            raise EventsError("read_batch after decoded records were polled: take those with poll() or consume()")
        pending = self._pending
        count = len(pending) if limit is None else min(limit, len(pending))
        return RecordBatch.from_records([pending.popleft() for _ in range(count)])

    def _take_batch(self, max_records: int | None) -> RecordBatch:
        """Called with ``_lock`` held.  Nothing is released to the producer before it is copied."""
        data = self._data_map
        page, mask = self._page, self._mask
        limit = sys.maxsize if max_records is None else max_records
        pos = self._pos
        end = _U64.unpack_from(data, 0)[0]
        if end - pos > self.size:
            raise EventsError(f"producer position {end} is more than the ring size past the consumer's {pos}")
        while pos < end:
            start = page + (pos & mask)
            header = _U32.unpack_from(data, start)[0]
            if header & BUSY_BIT:
                break
            length = header & _LENGTH_MASK
            stride = record_span(length)
            ready = (end - pos) // stride
            if header & DISCARD_BIT:
                run, _ = self._run(start, stride, ready, header)
                self.stats.discarded += run
                pos += run * stride
                self._advance(pos)
                continue
            allowed = min(ready, limit, max(1, _MAX_BATCH_BYTES // stride))
            run, buffer = self._run(start, stride, allowed, header)
            if run < allowed and run < _MIN_RUN:
                after = _U32.unpack_from(data, start + run * stride)[0]
                if not after & BUSY_BIT:  # a short run followed by other records: walk them all
                    batch, pos = self._walk(pos, end, limit)
                    self._advance(pos)
                    if batch:
                        return batch
                    continue
            batch = RecordBatch(buffer, run, record_size=length, decoder=self.decoder)
            self._advance(pos + run * stride)
            self.stats.received += run
            return batch
        return RecordBatch(b"", 0, offsets=[], lengths=[], decoder=self.decoder)

    def _run(self, start: int, stride: int, count: int, header: int) -> tuple[int, bytes]:
        """How many of the ``count`` records at ``stride`` from ``start`` have exactly ``header``
        as their length word (the same length, committed, the same discard bit), and their bytes.

        Each check is a byte-strided slice plus a comparison, loops that run in C.  The order is
        the kernel protocol's: the byte holding the busy bit is read in the ring for every record
        first (which also pulls the run into the cache), then the run is copied (a record's data
        is complete once its busy bit is seen clear), then the length bytes, which do not change
        after a record is reserved, are checked in the copy.
        """
        data = self._data_map
        word = _U32.pack(header)
        flag = bytes((word[_FLAG_BYTE],))
        run = count
        flags = data[start + _FLAG_BYTE : start + count * stride : stride]
        if flags != flag * count:
            run -= len(flags.lstrip(flag))
        buffer = data[start : start + run * stride]
        for index in _LENGTH_BYTES:
            if run <= 1:  # the first record's header was read before: it matches
                break
            expected = bytes((word[index],))
            column = buffer[index : run * stride : stride]
            if column != expected * run:
                run -= len(column.lstrip(expected))
        if len(buffer) != run * stride:
            buffer = buffer[: run * stride]
        return run, buffer

    def _walk(self, pos: int, end: int, limit: int) -> tuple[RecordBatch, int]:
        """Records of mixed lengths, one header at a time (discards skipped, stopping before a
        busy record); returns the batch and the position after it."""
        data = self._data_map
        page, mask = self._page, self._mask
        unpack_u32 = _U32.unpack_from
        base = pos
        offsets: list[int] = []
        lengths: list[int] = []
        discarded = seen = 0
        while pos < end and len(offsets) < limit and seen < _WALK_LIMIT and pos - base < _MAX_BATCH_BYTES:
            header = unpack_u32(data, page + (pos & mask))[0]
            if header & BUSY_BIT:
                break
            length = header & _LENGTH_MASK
            if header & DISCARD_BIT:
                discarded += 1
            else:
                offsets.append(pos - base + HEADER_SIZE)
                lengths.append(length)
            pos += (length + HEADER_SIZE + 7) & ~7
            seen += 1
        if pos > end:
            raise EventsError(f"a record header claims more than the producer wrote (position {pos} > {end})")
        start = page + (base & mask)
        buffer = data[start : start + (pos - base)]
        count = len(offsets)
        if count and not discarded and lengths.count(lengths[0]) == count:
            batch = RecordBatch(buffer, count, record_size=lengths[0], decoder=self.decoder)
        else:
            batch = RecordBatch(buffer, count, offsets=offsets, lengths=lengths, decoder=self.decoder)
        self.stats.received += count
        self.stats.discarded += discarded
        return batch, pos

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


__all__ = ["BUSY_BIT", "DISCARD_BIT", "HEADER_SIZE", "RecordBatch", "RingBuffer", "record_span"]
