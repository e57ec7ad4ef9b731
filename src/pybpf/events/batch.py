"""A batch of ring buffer records copied out in one piece: :class:`RecordBatch`.

Moving records into Python one at a time costs a few hundred nanoseconds each, whatever the
record.  A batch is one ``bytes`` object holding a run of consecutive records exactly as the ring
stored them (8-byte header, data, padding to 8), plus where each record's data starts.  When every
record of the run has the same length (the usual case: one event struct), the records sit at a
fixed stride and the batch needs no per-record bookkeeping at all: ``struct.iter_unpack``, a
strided ``memoryview`` (:meth:`RecordBatch.column`) or ``numpy.frombuffer`` with a structured
dtype can read all of them in C.  Batches of mixed lengths keep a list of offsets instead.

A batch owns its bytes: it stays valid after the reader moved on or was closed.
"""

from __future__ import annotations

import struct

from pybpf._typing import TYPE_CHECKING

from .errors import EventsError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

HEADER_SIZE = 8
_HEADER = struct.Struct("=II")
_BYTE_ORDER_MARKS = "@=<>!"
_COLUMN_FORMATS = frozenset("bBhHiIlLqQnNfde?")


def record_span(length: int) -> int:
    """Bytes a record of ``length`` takes in the ring: header plus data, rounded up to 8."""
    return (length + HEADER_SIZE + 7) & ~7


class RecordBatch:
    """Consecutive records of one ring buffer, copied out of it together.

    ``len(batch)``, ``batch[i]`` and iteration give each record's data as a ``memoryview``;
    ``buffer`` is the raw bytes, headers included, record ``i``'s data at ``offsets[i]``.  When all
    records have the same length, ``record_size`` is it and ``stride`` is the distance between
    records (``record_span(record_size)``); both are ``None`` for a batch of mixed lengths.
    """

    __slots__ = ("_count", "_decoder", "_lengths", "_offsets", "_view", "buffer", "record_size", "stride")

    def __init__(
        self,
        buffer: bytes,
        count: int,
        *,
        record_size: int | None = None,
        offsets: list[int] | None = None,
        lengths: list[int] | None = None,
        decoder: Callable[[bytes], Any] | None = None,
    ) -> None:
        """Either ``record_size`` (``count`` records at a fixed stride from the start of
        ``buffer``) or ``offsets`` and ``lengths`` (one per record, data offsets into ``buffer``)."""
        if record_size is not None:
            if offsets is not None or lengths is not None:
                raise EventsError("a batch has either a record_size or offsets and lengths, not both")
            span = record_span(record_size)
            if count * span > len(buffer):
                raise EventsError(f"{count} records of {record_size} bytes do not fit in {len(buffer)} bytes")
            stride: int | None = span
        else:
            if offsets is None or lengths is None or len(offsets) != count or len(lengths) != count:
                raise EventsError("a batch of mixed lengths needs one offset and one length per record")
            stride = None
        self.buffer = buffer
        self.record_size = record_size
        self.stride = stride
        self._count = count
        self._offsets = offsets
        self._lengths = lengths
        self._decoder = decoder
        self._view = memoryview(buffer)

    @classmethod
    def from_records(
        cls, records: Iterable[bytes], *, decoder: Callable[[bytes], Any] | None = None
    ) -> RecordBatch:
        """A batch laid out as the ring would hold ``records`` (uniform when their lengths are equal):
        for records that were already copied out one by one, and for tests without a kernel."""
        parts: list[bytes] = []
        offsets: list[int] = []
        lengths: list[int] = []
        at = 0
        for record in records:
            length = len(record)
            span = record_span(length)
            parts += (_HEADER.pack(length, 0), record, bytes(span - HEADER_SIZE - length))
            offsets.append(at + HEADER_SIZE)
            lengths.append(length)
            at += span
        buffer = b"".join(parts)
        if lengths and lengths.count(lengths[0]) == len(lengths):
            return cls(buffer, len(lengths), record_size=lengths[0], decoder=decoder)
        return cls(buffer, len(lengths), offsets=offsets, lengths=lengths, decoder=decoder)

    # -- records ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    @property
    def offsets(self) -> range | list[int]:
        """Where each record's data starts in :attr:`buffer` (a ``range`` when uniform)."""
        if self.stride is not None:
            return range(HEADER_SIZE, HEADER_SIZE + self._count * self.stride, self.stride)
        assert self._offsets is not None
        return self._offsets

    @property
    def lengths(self) -> list[int]:
        """Each record's data length."""
        if self.record_size is not None:
            return [self.record_size] * self._count
        assert self._lengths is not None
        return self._lengths

    def __getitem__(self, index: int) -> memoryview:
        count = self._count
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"record {index} of a batch of {count}")
        if self.stride is not None:
            start = HEADER_SIZE + index * self.stride
            return self._view[start : start + (self.record_size or 0)]
        assert self._offsets is not None and self._lengths is not None
        start = self._offsets[index]
        return self._view[start : start + self._lengths[index]]

    def __iter__(self) -> Iterator[memoryview]:
        view = self._view
        return (view[at : at + length] for at, length in self._spans())

    def records(self) -> list[bytes]:
        """Each record's data as ``bytes`` (copies; ``batch[i]`` and iteration do not)."""
        buffer = self.buffer
        return [buffer[at : at + length] for at, length in self._spans()]

    def decode(self) -> list[Any]:
        """Each record through the reader's decoder (``bytes`` when the reader has none): the
        same values the reader's per-record interfaces give, e.g. structs for ``type="struct x"``."""
        decoder = self._decoder
        records = self.records()
        return records if decoder is None else [decoder(record) for record in records]

    # -- fields -------------------------------------------------------------------------------
    def unpack(self, fmt: str | struct.Struct) -> Iterator[tuple[Any, ...]]:
        """``struct`` tuples, one per record, of ``fmt`` applied to the start of each record's data.

        Uniform batches go through one ``struct.iter_unpack`` over the whole buffer (the header
        and padding skipped by pad bytes in the format), so the loop runs in C.
        """
        text = fmt.format if isinstance(fmt, struct.Struct) else fmt
        size = struct.calcsize(text)
        if self.stride is not None:
            assert self.record_size is not None
            if size > self.record_size:
                raise EventsError(f"format {text!r} needs {size} bytes; records have {self.record_size}")
            order, body = (text[0], text[1:]) if text[:1] in _BYTE_ORDER_MARKS else ("@", text)
            padded = f"{order}{HEADER_SIZE}x{body}"
            padded += f"{self.stride - struct.calcsize(padded)}x"
            if struct.calcsize(padded) != self.stride:  # native alignment padding went past the stride
                raise EventsError(f"format {text!r} does not fit in a {self.stride}-byte record stride")
            return struct.iter_unpack(padded, self._view[: self._count * self.stride])
        compiled = fmt if isinstance(fmt, struct.Struct) else struct.Struct(fmt)
        return self._unpack_each(compiled)

    def _unpack_each(self, compiled: struct.Struct) -> Iterator[tuple[Any, ...]]:
        view = self._view
        for index, (at, length) in enumerate(self._spans()):
            if compiled.size > length:
                raise EventsError(f"format {compiled.format!r} needs {compiled.size} bytes; record {index} has {length}")
            yield compiled.unpack_from(view, at)

    def column(self, offset: int, fmt: str) -> memoryview:
        """One field of every record as a strided ``memoryview`` of :attr:`buffer` (no copy):
        ``sum(batch.column(0, "Q"))`` adds the first u64 of all records in one C loop.

        ``fmt`` is one native ``struct`` code (``"Q"``, ``"i"``, ``"d"``...) read in host byte
        order; the batch must be uniform and its stride a multiple of the field's size.
        """
        if fmt not in _COLUMN_FORMATS:
            raise EventsError(f"column format {fmt!r} is not a single native struct code")
        if not self._count:
            return memoryview(b"").cast(fmt)  # type: ignore[call-overload]  # typeshed: literal codes only
        if self.stride is None or self.record_size is None:
            raise EventsError("column() needs a batch of records of one size (record_size is None)")
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > self.record_size:
            raise EventsError(f"field of {size} bytes at {offset} is outside records of {self.record_size}")
        if self.stride % size:
            raise EventsError(f"a {size}-byte field cannot be strided over {self.stride}-byte records")
        start = HEADER_SIZE + offset
        end = start + (self._count - 1) * self.stride + size
        return self._view[start:end].cast(fmt)[:: self.stride // size]  # type: ignore[call-overload]

    def _spans(self) -> Iterator[tuple[int, int]]:
        if self.stride is not None:
            size = self.record_size
            assert size is not None
            return ((at, size) for at in self.offsets)
        return zip(self.offsets, self.lengths, strict=True)

    def __repr__(self) -> str:
        if self.record_size is not None:
            return f"<RecordBatch {self._count} records of {self.record_size} bytes, stride {self.stride}>"
        return f"<RecordBatch {self._count} records of mixed lengths, {len(self.buffer)} bytes>"


__all__ = ["HEADER_SIZE", "RecordBatch", "record_span"]
