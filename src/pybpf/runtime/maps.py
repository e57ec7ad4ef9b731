"""``Map``: a live kernel map as a Python mapping, keys and values decoded through BTF.

Iteration prefers the batch commands (one syscall per few thousand elements instead of two per
element) and falls back to ``GET_NEXT_KEY`` + lookup for map types that have no batch support.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os
import struct
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from ..btf import BTF
from ..enums import MapFlags, MapType
from ..errors import Error
from ..kernel import (
    FD,
    KernelError,
    KeyNotFound,
    UpdateFlags,
    attrs,
    map_contains_value,
    map_delete,
    map_freeze,
    map_get_next_key,
    map_lookup,
    map_lookup_and_delete,
    map_update,
    obj_get,
    obj_pin,
    possible_cpus,
)
from ..kernel.syscall import Cmd, bpf
from .values import MapValueError, codec_of, int_layout, lpm_key, record_decoder

if TYPE_CHECKING:
    from ..events import PerfBuffer, RingBuffer
    from ..events.reader import Decoder

PERCPU_TYPES = frozenset(
    {MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE}
)
ARRAY_TYPES = frozenset(
    {
        MapType.ARRAY,
        MapType.PERCPU_ARRAY,
        MapType.PROG_ARRAY,
        MapType.ARRAY_OF_MAPS,
        MapType.PERF_EVENT_ARRAY,
        MapType.CGROUP_ARRAY,
    }
)
KEYLESS_TYPES = frozenset({MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER})
_NO_BATCH_ERRNOS = {_errno.EINVAL, _errno.ENOTSUP, _errno.EOPNOTSUPP, 524, _errno.ENOSYS}

BATCH_CHUNK = 4096


class PerCPU(list[Any]):
    """One value per possible CPU, as a per-CPU map returns them; ``sum()`` adds them up."""

    def sum(self) -> Any:
        total: Any = 0
        for value in self:
            total = total + value
        return total


class Map(MutableMapping[Any, Any]):
    """A kernel map; owns its fd (``close()``, or through the :class:`Object` holding it)."""

    def __init__(
        self,
        fd: FD,
        name: str,
        type: MapType | int,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int = 0,
        *,
        btf: BTF | None = None,
        key_type_id: int = 0,
        value_type_id: int = 0,
    ) -> None:
        self.fd = fd
        self.name = name
        try:
            self.type: MapType | int = MapType(type)
        except ValueError:
            self.type = type
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = MapFlags(flags)
        self.btf = btf
        self._key = codec_of(btf, key_type_id, key_size, "key")
        self._value = codec_of(btf, value_type_id, value_size, "value")
        self.percpu = self.type in PERCPU_TYPES
        self._stride = (value_size + 7) & ~7
        self._ncpus = possible_cpus() if self.percpu else 1
        self._syscall_value_size = self._stride * self._ncpus if self.percpu else value_size
        self._batch_ok = self.type not in KEYLESS_TYPES and self.type is not MapType.LPM_TRIE

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_fd(cls, fd: FD, *, btf: BTF | None = None, load_btf: bool = True) -> Map:
        """A :class:`Map` for an fd obtained elsewhere (its definition read from the kernel)."""
        from ..kernel.info import map_info  # not needed to load an object: keep it off that path

        info = map_info(fd)
        if btf is None and load_btf and info.btf_id:
            btf = _kernel_btf_object(info.btf_id)
        return cls(
            fd,
            info.name,
            info.type,
            info.key_size,
            info.value_size,
            info.max_entries,
            info.map_flags,
            btf=btf,
            key_type_id=info.btf_key_type_id,
            value_type_id=info.btf_value_type_id,
        )

    @classmethod
    def from_pin(cls, path: str | os.PathLike[str], *, btf: BTF | None = None) -> Map:
        """Open the map pinned at ``path`` (keys/values decoded through the BTF it was created with)."""
        return cls.from_fd(obj_get(path), btf=btf)

    def ring_buffer(self, *, type: str | None = None, decoder: Decoder | None = None) -> RingBuffer:
        """A reader of this ring buffer map; ``type="struct event"`` decodes records through BTF."""
        from ..events import RingBuffer

        if type is not None:
            decoder = record_decoder(self.btf, type, f"map {self.name!r}")
        return RingBuffer(self.fd, decoder=decoder)

    def perf_buffer(
        self, *, type: str | None = None, decoder: Decoder | None = None, pages: int = 8
    ) -> PerfBuffer:
        """A reader of this perf event array (one ring per CPU); ``type`` as for :meth:`ring_buffer`."""
        from ..events import PerfBuffer

        if type is not None:
            decoder = record_decoder(self.btf, type, f"map {self.name!r}")
        return PerfBuffer(self.fd, decoder=decoder, pages=pages)

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the map in bpffs so it outlives this process."""
        obj_pin(self.fd, path)

    def close(self) -> None:
        self.fd.close()

    def __enter__(self) -> Map:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def info(self) -> Any:
        from ..kernel.info import map_info

        return map_info(self.fd)

    def freeze(self) -> None:
        """Make the map read-only from user space."""
        map_freeze(self.fd)

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
        if not self.percpu:
            return self._value.decode(raw)
        stride, size = self._stride, self.value_size
        return PerCPU(self._value.decode(raw[i : i + size]) for i in range(0, stride * self._ncpus, stride))

    # ---------------------------------------------------------------- mapping protocol

    def __getitem__(self, key: Any) -> Any:
        raw = map_lookup(self.fd, self.encode_key(key), self._syscall_value_size)
        return self.decode_value(raw)

    def get_raw(self, key: bytes) -> bytes:
        return map_lookup(self.fd, key, self._syscall_value_size)

    def __setitem__(self, key: Any, value: Any) -> None:
        map_update(self.fd, self.encode_key(key), self.encode_value(value))

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``update(key, value, flags=UpdateFlags.ANY)``, or dict-style ``update(mapping)``."""
        if len(args) >= 2:
            key, value = args[0], args[1]
            flags = args[2] if len(args) > 2 else kwargs.pop("flags", UpdateFlags.ANY)
            map_update(self.fd, self.encode_key(key), self.encode_value(value), int(flags))
            return
        super().update(*args, **kwargs)

    def __delitem__(self, key: Any) -> None:
        map_delete(self.fd, self.encode_key(key))

    def __contains__(self, key: object) -> bool:
        if self.type is MapType.BLOOM_FILTER:
            # A bloom filter holds values, not keys: ``v in m`` asks "maybe seen?".
            return map_contains_value(self.fd, self.encode_value(key))
        try:
            map_lookup(self.fd, self.encode_key(key), self._syscall_value_size)
        except KeyNotFound:
            return False
        return True

    def __len__(self) -> int:
        if self.type in ARRAY_TYPES:
            return self.max_entries
        return sum(1 for _ in self._raw_keys())

    def __iter__(self) -> Iterator[Any]:
        decode = self._key.decode
        for raw in self._raw_keys():
            yield decode(raw)

    def _raw_keys(self) -> Iterator[bytes]:
        if self.type in KEYLESS_TYPES:
            raise Error(f"{self.name}: a {MapType(self.type).name.lower()} map has no keys to iterate")
        if self._batch_ok:
            try:
                for keys, _values, count in self._batches():
                    ks = self.key_size
                    for i in range(count):
                        yield keys[i * ks : (i + 1) * ks]
                return
            except _NoBatch:
                pass
        key = map_get_next_key(self.fd, None, self.key_size)
        while key is not None:
            yield key
            key = map_get_next_key(self.fd, key, self.key_size)

    def raw_items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key bytes, value bytes) of the map."""
        if self._batch_ok:
            try:
                ks, vs = self.key_size, self._syscall_value_size
                for keys, values, count in self._batches():
                    for i in range(count):
                        yield keys[i * ks : (i + 1) * ks], values[i * vs : (i + 1) * vs]
                return
            except _NoBatch:
                pass
        for key in self._raw_keys():
            try:
                yield key, map_lookup(self.fd, key, self._syscall_value_size)
            except KeyNotFound:
                continue  # deleted while walking

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """Every (key, value), decoded; uses batch lookups and bulk integer decoding."""
        klay, vlay = int_layout(self._key), None if self.percpu else int_layout(self._value)
        if self._batch_ok and klay is not None and vlay is not None:
            try:
                kfmt, vfmt = _int_format(*klay), _int_format(*vlay)
                for keys, values, count in self._batches():
                    ks, vs = klay[0], vlay[0]
                    k_iter = (v[0] for v in struct.iter_unpack(kfmt, keys[: ks * count]))
                    v_iter = (v[0] for v in struct.iter_unpack(vfmt, values[: vs * count]))
                    yield from zip(k_iter, v_iter, strict=True)
                return
            except _NoBatch:
                pass
        dk, dv = self._key.decode, self.decode_value
        for key, value in self.raw_items():
            yield dk(key), dv(value)

    def keys(self) -> Iterator[Any]:  # type: ignore[override]
        return iter(self)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for _key, value in self.items():
            yield value

    # ---------------------------------------------------------------- bulk access

    def lookup_batch(self, chunk: int = BATCH_CHUNK) -> tuple[bytes, bytes, int]:
        """The whole map as (all keys, all values, count): fixed-size records back to back.

        For bulk use (numpy ``frombuffer``, ``struct.iter_unpack``); per-CPU values hold one
        8-byte-aligned slot per possible CPU.
        """
        key_parts: list[bytes] = []
        value_parts: list[bytes] = []
        total = 0
        try:
            for keys, values, count in self._batches(chunk):
                key_parts.append(keys[: count * self.key_size])
                value_parts.append(values[: count * self._syscall_value_size])
                total += count
        except _NoBatch:
            # No batch support for this map type: same result, one element at a time.
            for key, value in self.raw_items():
                key_parts.append(key)
                value_parts.append(value)
                total += 1
        return b"".join(key_parts), b"".join(value_parts), total

    def _batches(self, chunk: int = BATCH_CHUNK) -> Iterator[tuple[bytes, bytes, int]]:
        """(keys, values, count) per BPF_MAP_LOOKUP_BATCH call; raises _NoBatch if unsupported."""
        if not self._batch_ok:
            raise _NoBatch
        ks, vs = self.key_size, self._syscall_value_size
        cursor_size = max(ks, 8)
        cursor_in = ctypes.create_string_buffer(cursor_size)
        cursor_out = ctypes.create_string_buffer(cursor_size)
        chunk = max(1, min(chunk, self.max_entries or chunk))
        keys = ctypes.create_string_buffer(ks * chunk)
        values = ctypes.create_string_buffer(vs * chunk)
        first = True
        started = False
        while True:
            attr = attrs.MapBatchAttr(
                in_batch=0 if first else ctypes.addressof(cursor_in),
                out_batch=ctypes.addressof(cursor_out),
                keys=ctypes.addressof(keys),
                values=ctypes.addressof(values),
                count=chunk,
                map_fd=int(self.fd),
            )
            done = False
            try:
                bpf(Cmd.MAP_LOOKUP_BATCH, attr)
            except KernelError as exc:
                if exc.errno == _errno.ENOENT:
                    done = True
                elif exc.errno == _errno.ENOSPC and chunk < 1 << 20:
                    chunk *= 2
                    keys = ctypes.create_string_buffer(ks * chunk)
                    values = ctypes.create_string_buffer(vs * chunk)
                    continue
                elif exc.errno in _NO_BATCH_ERRNOS and not started:
                    self._batch_ok = False
                    raise _NoBatch from None
                else:
                    raise
            count = int(attr.count)
            started = True
            if count:
                yield keys.raw[: count * ks], values.raw[: count * vs], count
            if done:
                return
            ctypes.memmove(cursor_in, cursor_out, cursor_size)
            first = False

    # ---------------------------------------------------------------- queue / stack

    def push(self, value: Any, flags: int = UpdateFlags.ANY) -> None:
        """Add to a queue or stack (``flags=BPF_EXIST`` overwrites the oldest when full)."""
        map_update(self.fd, None, self.encode_value(value), int(flags))

    def pop(self, *args: Any) -> Any:
        """Queue/stack: take the next value (``KeyNotFound`` when empty); others: dict ``pop``."""
        if self.type in (MapType.QUEUE, MapType.STACK) and not args:
            return self.decode_value(map_lookup_and_delete(self.fd, None, self._syscall_value_size))
        return super().pop(*args)

    def peek(self) -> Any:
        """Queue/stack: the next value without taking it."""
        return self.decode_value(map_lookup(self.fd, None, self._syscall_value_size))

    def __repr__(self) -> str:
        kind = self.type.name.lower() if isinstance(self.type, MapType) else str(self.type)
        return (
            f"<Map {self.name!r} {kind} key {self.key_size}B value {self.value_size}B max {self.max_entries}>"
        )


class _NoBatch(Exception):
    """Internal: this map (type) has no batch lookup; walk keys instead."""


def _int_format(size: int, signed: bool) -> str:
    code = {1: "b", 2: "h", 4: "i", 8: "q"}.get(size)
    if code is None:
        raise _NoBatch
    return "<" + (code if signed else code.upper())


def _kernel_btf_object(btf_id: int) -> BTF | None:
    """The BTF a kernel map was created with, fetched by id (None if unavailable)."""
    from ..kernel import btf_get_fd_by_id, btf_info

    try:
        with btf_get_fd_by_id(btf_id) as fd:
            data = btf_info(fd, data=True).data
    except KernelError:
        return None
    if not data:
        return None
    try:
        return BTF.from_bytes(data)
    except Error:
        return None


__all__ = ["ARRAY_TYPES", "KEYLESS_TYPES", "PERCPU_TYPES", "Map", "PerCPU"]
