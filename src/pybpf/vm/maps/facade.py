"""``Map``: a VM map as a Python mapping, with the API of :class:`pybpf.runtime.Map`.

Keys and values go through the same BTF codecs (:mod:`pybpf.runtime.values`) and per-CPU values
come back as :class:`pybpf.runtime.PerCPU`, so code reading maps runs on either runtime.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, MutableMapping
from typing import Any

from ...btf import BTF
from ...enums import MapFlags, MapType
from ...errors import Error, NotSupported
from ...events.reader import Decoder
from ...runtime.maps import ARRAY_TYPES, PerCPU
from ...runtime.values import MapValueError, codec_of, lpm_key, record_decoder
from .base import ANY, MapOpError, Storage, map_error, stride
from .events import PerfBufferReader, PerfEventArrayStorage, RingBuffer, RingBufStorage


class Map(MutableMapping[Any, Any]):
    """A userspace map; ``storage`` holds the bytes programs see."""

    def __init__(
        self, storage: Storage, *, btf: BTF | None = None, key_type_id: int = 0, value_type_id: int = 0
    ) -> None:
        self.storage = storage
        self.fd = None
        self.name = storage.name
        self.type: MapType | int = storage.type
        self.key_size = storage.key_size
        self.value_size = storage.value_size
        self.max_entries = storage.max_entries
        self.flags = MapFlags(storage.flags)
        self.btf = btf
        self.id = 0
        self._key = codec_of(btf, key_type_id, self.key_size, "key")
        self._value = codec_of(btf, value_type_id, self.value_size, "value")
        self.percpu = storage.percpu
        self._stride = stride(self.value_size)
        self._ncpus = storage.host.cpus if self.percpu else 1
        self._closed = False

    def _call(self, command: str, op: Any, *args: Any) -> Any:
        try:
            return op(*args)
        except MapOpError as exc:
            raise map_error(exc.errno, f"{self.name}: {exc.message}", command) from None

    # ---------------------------------------------------------------- life cycle
    def pin(self, path: object) -> None:
        raise NotSupported("VM maps live in this process and cannot be pinned")

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Map:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def freeze(self) -> None:
        """Make the map read-only from user space (programs may still write)."""
        self.storage.frozen = True

    def _writable(self) -> None:
        if self.storage.frozen:
            raise map_error(errno.EPERM, f"{self.name}: the map is frozen", "map_update")

    # ---------------------------------------------------------------- encoding
    def encode_key(self, key: Any) -> bytes:
        if self.type is MapType.LPM_TRIE:
            raw = lpm_key(key, self.key_size)
            if raw is not None:
                return raw
        return self._key.encode(key)

    def decode_key(self, raw: bytes) -> Any:
        return self._key.decode(raw)

    def encode_value(self, value: Any) -> bytes:
        if self.type in (MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS):
            ident = getattr(value, "id", value)
            if not isinstance(ident, int):
                raise MapValueError(f"{self.name}: slots take programs/maps of this object or their ids")
            return ident.to_bytes(4, "little")
        if not self.percpu:
            return self._value.encode(value)
        if isinstance(value, list | tuple):
            if len(value) != self._ncpus:
                raise MapValueError(f"{self.name}: {len(value)} per-CPU values for {self._ncpus} CPUs")
            parts = [self._value.encode(v) for v in value]
        else:
            parts = [self._value.encode(value)] * self._ncpus
        pad = bytes(self._stride - self.value_size)
        return b"".join(p + pad for p in parts)

    def decode_value(self, raw: bytes) -> Any:
        if self.type in (MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS):
            return int.from_bytes(raw[:4], "little")
        if not self.percpu:
            return self._value.decode(raw)
        step, size = self._stride, self.value_size
        return PerCPU(self._value.decode(raw[i : i + size]) for i in range(0, step * self._ncpus, step))

    # ---------------------------------------------------------------- mapping protocol
    def __getitem__(self, key: Any) -> Any:
        return self.decode_value(self.get_raw(self.encode_key(key)))

    def get_raw(self, key: bytes) -> bytes:
        raw: bytes = self._call("map_lookup", self.storage.read, key)
        return raw

    def __setitem__(self, key: Any, value: Any) -> None:
        self.update(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``update(key, value, flags=UpdateFlags.ANY)``, or dict-style ``update(mapping)``."""
        if len(args) >= 2:
            key, value = args[0], args[1]
            flags = args[2] if len(args) > 2 else kwargs.pop("flags", ANY)
            self._writable()
            self._call(
                "map_update", self.storage.update, self.encode_key(key), self.encode_value(value), int(flags)
            )
            return
        super().update(*args, **kwargs)

    def __delitem__(self, key: Any) -> None:
        self._writable()
        self._call("map_delete", self.storage.delete, self.encode_key(key))

    def __contains__(self, key: object) -> bool:
        try:
            self.storage.read(self.encode_key(key))
        except MapOpError:
            return False
        return True

    def __len__(self) -> int:
        if self.type in ARRAY_TYPES:
            return self.max_entries
        return int(self._call("map_get_next_key", self.storage.count))

    def _raw_keys(self) -> Iterator[bytes]:
        if self.storage.keyless:
            raise Error(f"{self.name}: a {MapType(self.type).name.lower()} map has no keys to iterate")
        keys: list[bytes] = list(self._call("map_get_next_key", self.storage.keys))
        return iter(keys)

    def __iter__(self) -> Iterator[Any]:
        for raw in self._raw_keys():
            yield self._key.decode(raw)

    def raw_items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key bytes, value bytes) of the map."""
        for key in self._raw_keys():
            try:
                yield key, self.storage.read(key)
            except MapOpError:
                continue  # an empty prog array slot, or deleted while walking

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        for key, value in self.raw_items():
            yield self._key.decode(key), self.decode_value(value)

    def keys(self) -> Iterator[Any]:  # type: ignore[override]
        return iter(self)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for _key, value in self.items():
            yield value

    def lookup_batch(self, chunk: int = 4096) -> tuple[bytes, bytes, int]:
        """The whole map as (all keys, all values, count), like the kernel runtime's."""
        pairs = list(self.raw_items())
        return b"".join(k for k, _ in pairs), b"".join(v for _, v in pairs), len(pairs)

    # ---------------------------------------------------------------- queue / stack
    def push(self, value: Any, flags: int = ANY) -> None:
        """Add to a queue or stack (``flags=BPF_EXIST`` overwrites the oldest when full)."""
        self._call("map_update", self.storage.push, self.encode_value(value), int(flags))

    def pop(self, *args: Any) -> Any:
        """Queue/stack: take the next value (``KeyNotFound`` when empty); others: dict ``pop``."""
        if self.type in (MapType.QUEUE, MapType.STACK) and not args:
            return self.decode_value(self._call("map_lookup_and_delete", self.storage.pop))
        return super().pop(*args)

    def peek(self) -> Any:
        """Queue/stack: the next value without taking it."""
        return self.decode_value(self._call("map_lookup", self.storage.peek))

    # ---------------------------------------------------------------- event readers
    def ring_buffer(self, *, type: str | None = None, decoder: Decoder | None = None) -> RingBuffer:
        """A reader of this ring buffer map (the API of :class:`pybpf.events.RingBuffer`)."""
        if not isinstance(self.storage, RingBufStorage):
            raise Error(f"{self.name} is not a ring buffer map")
        if type is not None:
            decoder = record_decoder(self.btf, type, f"map {self.name!r}")
        return RingBuffer(self.storage, decoder=decoder)

    def perf_buffer(self, *, type: str | None = None, decoder: Decoder | None = None) -> PerfBufferReader:
        """A reader of this perf event array (the API of :class:`pybpf.events.PerfBuffer`)."""
        if not isinstance(self.storage, PerfEventArrayStorage):
            raise Error(f"{self.name} is not a perf event array")
        if type is not None:
            decoder = record_decoder(self.btf, type, f"map {self.name!r}")
        return PerfBufferReader(self.storage, decoder=decoder)

    def __repr__(self) -> str:
        kind = self.type.name.lower() if isinstance(self.type, MapType) else str(self.type)
        return f"<VM Map {self.name!r} {kind} key {self.key_size}B value {self.value_size}B max {self.max_entries}>"


__all__ = ["Map"]
