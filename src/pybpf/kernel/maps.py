"""Map commands: create, element CRUD, iteration, freeze and batches.

Thin and bytes-only: keys and values go in and come out as raw bytes of the sizes the map was
created with.  Encoding them from BTF and checking sizes against the map's definition belongs to
the map objects built on top; here the caller passes the sizes it knows.
"""

from __future__ import annotations

import errno as _errno
import os

from pybpf._dataclasses import dataclass
from pybpf._lazy import cache
from pybpf._typing import TYPE_CHECKING

from .._enum import KernelIntFlag
from ..enums import MapFlags
from . import attrs
from ._buffers import in_buffer, join_items, obj_name, out_buffer
from .errors import KernelError
from .fd import FD, fd_number
from .syscall import Cmd, bpf

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence


class UpdateFlags(KernelIntFlag):
    """Flags of BPF_MAP_UPDATE_ELEM (and the elem_flags of batches)."""

    ANY = 0
    NOEXIST = 1
    EXIST = 2
    F_LOCK = 4


FdLike = FD | int


def map_create(
    map_type: int,
    key_size: int,
    value_size: int,
    max_entries: int,
    flags: int = 0,
    name: str = "",
    *,
    btf_fd: FdLike | None = None,
    btf_key_type_id: int = 0,
    btf_value_type_id: int = 0,
    btf_vmlinux_value_type_id: int = 0,
    inner_map_fd: FdLike | None = None,
    map_extra: int = 0,
    numa_node: int | None = None,
    map_ifindex: int = 0,
) -> FD:
    """Create a map; the returned :class:`FD` owns it."""
    attr = attrs.MapCreateAttr(
        map_type=map_type,
        key_size=key_size,
        value_size=value_size,
        max_entries=max_entries,
        map_flags=flags | (MapFlags.NUMA_NODE if numa_node is not None else 0),
        inner_map_fd=fd_number(inner_map_fd),
        numa_node=numa_node or 0,
        map_name=obj_name(name),
        map_ifindex=map_ifindex,
        btf_fd=fd_number(btf_fd),
        btf_key_type_id=btf_key_type_id,
        btf_value_type_id=btf_value_type_id,
        btf_vmlinux_value_type_id=btf_vmlinux_value_type_id,
        map_extra=map_extra,
    )
    detail = f"map type {map_type}, key {key_size}, value {value_size}, max_entries {max_entries}"
    try:
        raw = bpf(Cmd.MAP_CREATE, attr, detail=detail)
    except KernelError as exc:
        from .features import refine_unknown  # only when the kernel refused

        raise refine_unknown(exc, [("bpf_map_type", map_type, f"map type {map_type}")]) from None
    return FD(raw, "map")


def _elem(map_fd: FdLike, key: int, value: int = 0, flags: int = 0) -> attrs.MapElemAttr:
    # Positional (map_fd, key, value, flags): this runs once per element operation.
    return attrs.MapElemAttr(int(map_fd), key, value, flags)


def map_lookup(map_fd: FdLike, key: bytes | None, value_size: int, flags: int = 0) -> bytes:
    """The value stored under ``key``; raises :class:`KeyNotFound`.

    For per-CPU maps ``value_size`` is :func:`percpu_value_size` of the map's value size.  ``key``
    is ``None`` to peek at a queue or stack, or with the value to test a bloom filter.
    """
    _kbuf, kaddr = in_buffer(key) if key is not None else (None, 0)
    vbuf, vaddr = out_buffer(value_size)
    bpf(Cmd.MAP_LOOKUP_ELEM, _elem(map_fd, kaddr, vaddr, flags))
    return vbuf.raw[:value_size]


def map_update(map_fd: FdLike, key: bytes | None, value: bytes, flags: int = UpdateFlags.ANY) -> None:
    """Store ``value`` under ``key`` (``flags``: :class:`UpdateFlags`).

    ``key`` is ``None`` for the keyless maps (queue, stack, bloom filter): that pushes ``value``.
    """
    _kbuf, kaddr = in_buffer(key) if key is not None else (None, 0)
    _vbuf, vaddr = in_buffer(value)
    bpf(Cmd.MAP_UPDATE_ELEM, _elem(map_fd, kaddr, vaddr, flags))


def map_delete(map_fd: FdLike, key: bytes, flags: int = 0) -> None:
    """Remove ``key``; raises :class:`KeyNotFound` if absent."""
    _kbuf, kaddr = in_buffer(key)
    bpf(Cmd.MAP_DELETE_ELEM, _elem(map_fd, kaddr, 0, flags))


def map_get_next_key(map_fd: FdLike, key: bytes | None, key_size: int) -> bytes | None:
    """The key after ``key`` (the first key for ``None``); ``None`` at the end of the map."""
    _kbuf, kaddr = in_buffer(key) if key is not None else (None, 0)
    nbuf, naddr = out_buffer(key_size)
    try:
        bpf(Cmd.MAP_GET_NEXT_KEY, _elem(map_fd, kaddr, naddr))
    except KernelError as exc:
        if exc.errno == _errno.ENOENT:
            return None
        raise
    return nbuf.raw[:key_size]


def map_keys(map_fd: FdLike, key_size: int) -> Iterator[bytes]:
    """Every key of the map, walking BPF_MAP_GET_NEXT_KEY."""
    key = map_get_next_key(map_fd, None, key_size)
    while key is not None:
        yield key
        key = map_get_next_key(map_fd, key, key_size)


def map_lookup_and_delete(map_fd: FdLike, key: bytes | None, value_size: int, flags: int = 0) -> bytes:
    """Pop the value under ``key`` (``None`` for queue and stack maps)."""
    _kbuf, kaddr = in_buffer(key) if key is not None else (None, 0)
    vbuf, vaddr = out_buffer(value_size)
    bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, _elem(map_fd, kaddr, vaddr, flags))
    return vbuf.raw[:value_size]


def map_contains_value(map_fd: FdLike, value: bytes) -> bool:
    """Whether a bloom filter may contain ``value`` (its lookup takes the value as input)."""
    _vbuf, vaddr = in_buffer(value)
    try:
        bpf(Cmd.MAP_LOOKUP_ELEM, _elem(map_fd, 0, vaddr))
    except KernelError as exc:
        if exc.errno == _errno.ENOENT:
            return False
        raise
    return True


def map_freeze(map_fd: FdLike) -> None:
    """Make the map read-only for user space (programs may still write unless RDONLY_PROG)."""
    bpf(Cmd.MAP_FREEZE, _elem(map_fd, 0))


@dataclass(frozen=True)
class BatchResult:
    """One lookup batch: ``keys[i]`` maps to ``values[i]``; ``cursor`` is None when the map is done."""

    keys: list[bytes]
    values: list[bytes]
    cursor: bytes | None

    @property
    def count(self) -> int:
        return len(self.keys)


def _cursor_size(key_size: int) -> int:
    # Hash maps use a u32 bucket index as the batch token, arrays a key: hold either.
    return max(key_size, 8)


def _lookup_batch(
    cmd: Cmd,
    map_fd: FdLike,
    key_size: int,
    value_size: int,
    count: int,
    cursor: bytes | None,
    elem_flags: int,
) -> BatchResult:
    size = _cursor_size(key_size)
    _in_buf, in_addr = in_buffer(cursor.ljust(size, b"\0")) if cursor is not None else (None, 0)
    out_buf, out_addr = out_buffer(size)
    keys, keys_addr = out_buffer(key_size * count)
    values, values_addr = out_buffer(value_size * count)
    attr = attrs.MapBatchAttr(
        in_batch=in_addr,
        out_batch=out_addr,
        keys=keys_addr,
        values=values_addr,
        count=count,
        map_fd=fd_number(map_fd),
        elem_flags=elem_flags,
    )
    done = False
    try:
        bpf(cmd, attr)
    except KernelError as exc:
        # ENOENT ends the walk; the kernel still reports how many elements it copied.
        if exc.errno != _errno.ENOENT:
            exc.processed = attr.count
            raise
        done = True
    got = attr.count
    raw_keys, raw_values = keys.raw, values.raw
    return BatchResult(
        keys=[raw_keys[i * key_size : (i + 1) * key_size] for i in range(got)],
        values=[raw_values[i * value_size : (i + 1) * value_size] for i in range(got)],
        cursor=None if done else out_buf.raw[:size],
    )


def map_lookup_batch(
    map_fd: FdLike,
    key_size: int,
    value_size: int,
    count: int,
    cursor: bytes | None = None,
    *,
    elem_flags: int = 0,
) -> BatchResult:
    """Up to ``count`` elements starting at ``cursor`` (``None``: from the start)."""
    return _lookup_batch(Cmd.MAP_LOOKUP_BATCH, map_fd, key_size, value_size, count, cursor, elem_flags)


def map_lookup_and_delete_batch(
    map_fd: FdLike,
    key_size: int,
    value_size: int,
    count: int,
    cursor: bytes | None = None,
    *,
    elem_flags: int = 0,
) -> BatchResult:
    """Like :func:`map_lookup_batch`, deleting what it returns."""
    return _lookup_batch(
        Cmd.MAP_LOOKUP_AND_DELETE_BATCH, map_fd, key_size, value_size, count, cursor, elem_flags
    )


def map_items_batched(
    map_fd: FdLike, key_size: int, value_size: int, chunk: int = 256
) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of the map, ``chunk`` elements per syscall."""
    cursor: bytes | None = None
    while True:
        try:
            result = map_lookup_batch(map_fd, key_size, value_size, chunk, cursor)
        except KernelError as exc:
            # A hash bucket larger than the chunk: the kernel asks for more room.
            if exc.errno == _errno.ENOSPC and chunk < 1 << 20:
                chunk *= 2
                continue
            raise
        yield from zip(result.keys, result.values, strict=True)
        if result.cursor is None:
            return
        cursor = result.cursor


def map_update_batch(
    map_fd: FdLike,
    keys: bytes | Sequence[bytes],
    values: bytes | Sequence[bytes],
    key_size: int,
    value_size: int,
    *,
    elem_flags: int = 0,
) -> int:
    """Store many elements in one call; returns how many were written.

    On failure the exception's ``processed`` says how many went in before the error.
    """
    raw_keys, nkeys = join_items(keys, key_size, "key")
    raw_values, nvalues = join_items(values, value_size, "value")
    if nkeys != nvalues:
        raise ValueError(f"{nkeys} keys but {nvalues} values")
    _kbuf, kaddr = in_buffer(raw_keys)
    _vbuf, vaddr = in_buffer(raw_values)
    attr = attrs.MapBatchAttr(
        keys=kaddr, values=vaddr, count=nkeys, map_fd=fd_number(map_fd), elem_flags=elem_flags
    )
    try:
        bpf(Cmd.MAP_UPDATE_BATCH, attr)
    except KernelError as exc:
        exc.processed = attr.count
        raise
    return int(attr.count)


def map_delete_batch(
    map_fd: FdLike, keys: bytes | Sequence[bytes], key_size: int, *, elem_flags: int = 0
) -> int:
    """Delete many keys in one call; returns how many were deleted (see ``processed`` on error)."""
    raw_keys, nkeys = join_items(keys, key_size, "key")
    _kbuf, kaddr = in_buffer(raw_keys)
    attr = attrs.MapBatchAttr(keys=kaddr, count=nkeys, map_fd=fd_number(map_fd), elem_flags=elem_flags)
    try:
        bpf(Cmd.MAP_DELETE_BATCH, attr)
    except KernelError as exc:
        exc.processed = attr.count
        raise
    return int(attr.count)


@cache
def possible_cpus() -> int:
    """Number of possible CPUs: the slot count of per-CPU map values."""
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return os.cpu_count() or 1
    total = 0
    for part in text.split(","):
        low, _, high = part.partition("-")
        try:
            total += int(high or low) - int(low) + 1
        except ValueError:
            return os.cpu_count() or 1
    return max(total, 1)


def percpu_value_size(value_size: int) -> int:
    """Bytes of a per-CPU map value from user space: one 8-byte-aligned slot per possible CPU."""
    return ((value_size + 7) & ~7) * possible_cpus()


def split_percpu(raw: bytes, value_size: int) -> list[bytes]:
    """The per-CPU slots of a per-CPU map value, trimmed to ``value_size``."""
    stride = (value_size + 7) & ~7
    return [raw[i : i + value_size] for i in range(0, len(raw) - stride + 1, stride)]


__all__ = [
    "BatchResult",
    "UpdateFlags",
    "map_contains_value",
    "map_create",
    "map_delete",
    "map_delete_batch",
    "map_freeze",
    "map_get_next_key",
    "map_items_batched",
    "map_keys",
    "map_lookup",
    "map_lookup_and_delete",
    "map_lookup_and_delete_batch",
    "map_lookup_batch",
    "map_update",
    "map_update_batch",
    "percpu_value_size",
    "possible_cpus",
    "split_percpu",
]
