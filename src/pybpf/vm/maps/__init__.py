"""Userspace maps with kernel semantics, their values in VM memory.

:func:`create_storage` builds the implementation for a map type; :class:`Map` is the Python
face with the API of the kernel runtime's :class:`pybpf.runtime.Map`.
"""

from __future__ import annotations

from collections.abc import Callable

from ...enums import MapType
from ...errors import NotSupported
from .array import ArrayStorage, PerCPUArrayStorage
from .base import ANY, EXIST, NOEXIST, MapHost, MapOpError, Storage, map_error
from .events import PerfBufferReader, PerfEventArrayStorage, RingBuffer, RingBufStorage
from .facade import Map
from .hash import HASH_TYPES, HashStorage, LRUHashStorage
from .lpm import LPMTrieStorage
from .queue import QueueStorage, StackStorage
from .special import MAP_HANDLE_BASE, SlotStorage

_TYPES: dict[MapType, type[Storage]] = {
    MapType.ARRAY: ArrayStorage,
    MapType.PERCPU_ARRAY: PerCPUArrayStorage,
    **HASH_TYPES,
    MapType.LPM_TRIE: LPMTrieStorage,
    MapType.QUEUE: QueueStorage,
    MapType.STACK: StackStorage,
    MapType.RINGBUF: RingBufStorage,
    MapType.PERF_EVENT_ARRAY: PerfEventArrayStorage,
    MapType.PROG_ARRAY: SlotStorage,
    MapType.ARRAY_OF_MAPS: SlotStorage,
    MapType.HASH_OF_MAPS: SlotStorage,
}

SUPPORTED_TYPES = frozenset(_TYPES)


def create_storage(
    host: MapHost,
    name: str,
    type: MapType,
    key_size: int,
    value_size: int,
    max_entries: int,
    flags: int = 0,
    *,
    data: bytes | None = None,
    valid: Callable[[int], bool] | None = None,
) -> Storage:
    """The storage of a new map; raises :class:`NotSupported` for types the VM lacks."""
    cls = _TYPES.get(type)
    if cls is None:
        raise NotSupported(f"map {name!r}: the VM has no {type.name.lower()} maps")
    args = (host, name, type, key_size, value_size, max_entries, flags)
    try:
        if cls is ArrayStorage:
            return ArrayStorage(*args, data=data)
        if cls is SlotStorage:
            return SlotStorage(*args, valid=valid)
        return cls(*args)
    except MapOpError as exc:
        raise map_error(exc.errno, f"map {name!r}: {exc.message}", "map_create") from None


__all__ = [
    "ANY",
    "EXIST",
    "MAP_HANDLE_BASE",
    "NOEXIST",
    "SUPPORTED_TYPES",
    "ArrayStorage",
    "HashStorage",
    "LRUHashStorage",
    "Map",
    "MapHost",
    "MapOpError",
    "PerfBufferReader",
    "PerfEventArrayStorage",
    "RingBufStorage",
    "RingBuffer",
    "SlotStorage",
    "Storage",
    "create_storage",
    "map_error",
]
