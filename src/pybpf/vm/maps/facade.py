"""``Map``: a VM map as a Python mapping, with the API of :class:`pybpf.runtime.Map`.

Keys and values go through the same BTF codecs (:mod:`pybpf.runtime.values`) and per-CPU values
come back as :class:`pybpf.runtime.PerCPU`, so code reading maps runs on either runtime.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import Any

from ...btf import BTF
from ...enums import MapType
from ...errors import Error, NotSupported
from ...events.reader import Decoder
from ...runtime.model import MapBase
from ...runtime.values import MapValueError
from .base import MapOpError, Storage, map_error
from .events import PerfBufferReader, PerfEventArrayStorage, RingBuffer, RingBufStorage

#: Map types whose slots hold a program or map, given and read back as its id.
_SLOT_TYPES = (MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS)


class Map(MapBase):
    """A userspace map; ``storage`` holds the bytes programs see."""

    _label = "VM Map"
    fd: None

    def __init__(
        self, storage: Storage, *, btf: BTF | None = None, key_type_id: int = 0, value_type_id: int = 0
    ) -> None:
        self.storage = storage
        super().__init__(
            None,
            storage.name,
            storage.type,
            storage.key_size,
            storage.value_size,
            storage.max_entries,
            storage.flags,
            btf=btf,
            key_type_id=key_type_id,
            value_type_id=value_type_id,
            percpu=storage.percpu,
            ncpus=storage.host.cpus,
        )
        self.id = 0
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

    def freeze(self) -> None:
        """Make the map read-only from user space (programs may still write)."""
        self.storage.frozen = True

    def _before_write(self) -> None:
        if self.storage.frozen:
            raise map_error(errno.EPERM, f"{self.name}: the map is frozen", "map_update")

    # ---------------------------------------------------------------- encoding
    def encode_value(self, value: Any) -> bytes:
        if self.type in _SLOT_TYPES:
            ident = getattr(value, "id", value)
            if not isinstance(ident, int):
                raise MapValueError(f"{self.name}: slots take programs/maps of this object or their ids")
            return ident.to_bytes(4, "little")
        return super().encode_value(value)

    def decode_value(self, raw: bytes) -> Any:
        if self.type in _SLOT_TYPES:
            return int.from_bytes(raw[:4], "little")
        return super().decode_value(raw)

    # ---------------------------------------------------------------- raw operations
    def get_raw(self, key: bytes) -> bytes:
        raw: bytes = self._call("map_lookup", self.storage.read, key)
        return raw

    def _lookup_or_none(self, key: bytes) -> bytes | None:
        try:
            return self.storage.read(key)
        except MapOpError:
            return None

    def _raw_update(self, key: bytes, value: bytes, flags: int) -> None:
        self._call("map_update", self.storage.update, key, value, flags)

    def _raw_delete(self, key: bytes) -> None:
        self._call("map_delete", self.storage.delete, key)

    def _count(self) -> int:
        return int(self._call("map_get_next_key", self.storage.count))

    def _raw_keys(self) -> Iterator[bytes]:
        if self.storage.keyless:
            raise self._keyless_error()
        keys: list[bytes] = list(self._call("map_get_next_key", self.storage.keys))
        return iter(keys)

    def _raw_push(self, value: bytes, flags: int) -> None:
        self._call("map_update", self.storage.push, value, flags)

    def _raw_pop(self) -> bytes:
        raw: bytes = self._call("map_lookup_and_delete", self.storage.pop)
        return raw

    def _raw_peek(self) -> bytes:
        raw: bytes = self._call("map_lookup", self.storage.peek)
        return raw

    # ---------------------------------------------------------------- event readers
    def ring_buffer(self, *, type: str | None = None, decoder: Decoder | None = None) -> RingBuffer:
        """A reader of this ring buffer map (the API of :class:`pybpf.events.RingBuffer`)."""
        if not isinstance(self.storage, RingBufStorage):
            raise Error(f"{self.name} is not a ring buffer map")
        return RingBuffer(self.storage, decoder=self._record_decoder(type, decoder))

    def perf_buffer(self, *, type: str | None = None, decoder: Decoder | None = None) -> PerfBufferReader:
        """A reader of this perf event array (the API of :class:`pybpf.events.PerfBuffer`)."""
        if not isinstance(self.storage, PerfEventArrayStorage):
            raise Error(f"{self.name} is not a perf event array")
        return PerfBufferReader(self.storage, decoder=self._record_decoder(type, decoder))


__all__ = ["Map"]
