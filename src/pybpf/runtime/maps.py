"""``Map``: a live kernel map as a Python mapping, keys and values decoded through BTF.

Iteration prefers the batch commands (one syscall per few thousand elements instead of two per
element) and falls back to ``GET_NEXT_KEY`` + lookup for map types that have no batch support.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os
import struct

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

from ..btf import BTF
from ..enums import MapType
from ..errors import Error
from ..kernel import (
    FD,
    KernelError,
    KeyNotFound,
    attrs,
    map_contains_value,
    map_delete,
    map_freeze,
    map_get_next_key,
    map_lookup,
    map_lookup_and_delete,
    map_update,
    possible_cpus,
)
from ..kernel.syscall import Cmd, bpf
from .model import ARRAY_TYPES, KEYLESS_TYPES, PERCPU_TYPES, MapBase, PerCPU

if TYPE_CHECKING:
    from ..events import PerfBuffer, RingBuffer
    from ..events.reader import Decoder

_NO_BATCH_ERRNOS = {_errno.EINVAL, _errno.ENOTSUP, _errno.EOPNOTSUPP, 524, _errno.ENOSYS}

BATCH_CHUNK = 4096


class Map(MapBase):
    """A kernel map; owns its fd (``close()``, or through the :class:`Object` holding it)."""

    fd: FD

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
        try:
            type = MapType(type)
        except ValueError:
            pass
        percpu = type in PERCPU_TYPES
        super().__init__(
            fd,
            name,
            type,
            key_size,
            value_size,
            max_entries,
            flags,
            btf=btf,
            key_type_id=key_type_id,
            value_type_id=value_type_id,
            percpu=percpu,
            ncpus=possible_cpus() if percpu else 1,
        )
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
        from ..kernel import obj_get  # pins are bpffs objects: off the load path

        return cls.from_fd(obj_get(path), btf=btf)

    def ring_buffer(self, *, type: str | None = None, decoder: Decoder | None = None) -> RingBuffer:
        """A reader of this ring buffer map; ``type="struct event"`` decodes records through BTF."""
        from ..events import RingBuffer

        return RingBuffer(self.fd, decoder=self._record_decoder(type, decoder))

    def perf_buffer(
        self, *, type: str | None = None, decoder: Decoder | None = None, pages: int = 8
    ) -> PerfBuffer:
        """A reader of this perf event array (one ring per CPU); ``type`` as for :meth:`ring_buffer`."""
        from ..events import PerfBuffer

        return PerfBuffer(self.fd, decoder=self._record_decoder(type, decoder), pages=pages)

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the map in bpffs so it outlives this process."""
        from ..kernel import obj_pin

        obj_pin(self.fd, path)

    def close(self) -> None:
        self.fd.close()

    @property
    def info(self) -> Any:
        from ..kernel.info import map_info

        return map_info(self.fd)

    def freeze(self) -> None:
        """Make the map read-only from user space."""
        map_freeze(self.fd)

    # ---------------------------------------------------------------- raw operations
    def get_raw(self, key: bytes) -> bytes:
        return map_lookup(self.fd, key, self._syscall_value_size)

    def _lookup_or_none(self, key: bytes) -> bytes | None:
        try:
            return map_lookup(self.fd, key, self._syscall_value_size)
        except KeyNotFound:
            return None

    def _raw_update(self, key: bytes, value: bytes, flags: int) -> None:
        map_update(self.fd, key, value, flags)

    def _raw_delete(self, key: bytes) -> None:
        map_delete(self.fd, key)

    def _raw_push(self, value: bytes, flags: int) -> None:
        map_update(self.fd, None, value, flags)

    def _raw_pop(self) -> bytes:
        return map_lookup_and_delete(self.fd, None, self._syscall_value_size)

    def _raw_peek(self) -> bytes:
        return map_lookup(self.fd, None, self._syscall_value_size)

    def __contains__(self, key: object) -> bool:
        if self.type is MapType.BLOOM_FILTER:
            # A bloom filter holds values, not keys: ``v in m`` asks "maybe seen?".
            return map_contains_value(self.fd, self.encode_value(key))
        return super().__contains__(key)

    def _raw_keys(self) -> Iterator[bytes]:
        if self.type in KEYLESS_TYPES:
            raise self._keyless_error()
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
        yield from super().raw_items()

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """Every (key, value), decoded; uses batch lookups and bulk integer decoding."""
        from .values import int_layout

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
        yield from super().items()

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
            return super().lookup_batch(chunk)
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
