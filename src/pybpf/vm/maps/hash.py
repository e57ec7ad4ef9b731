"""Hash maps: plain, per-CPU and LRU, each element's value in a region of its own.

A program holding a pointer from ``bpf_map_lookup_elem`` keeps it valid until its run ends even
if the element is deleted meanwhile (the kernel frees elements after an RCU grace period).
Iteration follows insertion order: the kernel's bucket order depends on a random hash seed, so
no order is promised there either.
"""

from __future__ import annotations

import errno as _errno
from collections import OrderedDict
from collections.abc import Iterator

from ...enums import MapType
from ..memory import Region
from .base import ANY, EXIST, NOEXIST, MapOpError, Storage, stride


class HashStorage(Storage):
    """``BPF_MAP_TYPE_HASH``: a full map refuses new keys with ``E2BIG``."""

    lru = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.elements: OrderedDict[bytes, list[Region]] = OrderedDict()
        self.stride = stride(self.value_size)

    def _cpus(self) -> int:
        return self.host.cpus if self.percpu else 1

    def _touch(self, key: bytes) -> None:
        """An access from a program: LRU maps remember it."""

    def lookup(self, key: bytes) -> int:
        if len(key) != self.key_size:
            return 0
        regions = self.elements.get(key)
        if regions is None:
            return 0
        self._touch(key)
        return regions[self.host.cpu if self.percpu else 0].base

    def read(self, key: bytes) -> bytes:
        self._check_key(key)
        regions = self.elements.get(key)
        if regions is None:
            raise MapOpError(_errno.ENOENT, "no such key")
        if not self.percpu:
            return bytes(regions[0].buf)
        return b"".join(bytes(r.buf).ljust(self.stride, b"\0") for r in regions)

    def _make_room(self) -> None:
        if len(self.elements) >= self.max_entries:
            raise MapOpError(_errno.E2BIG, f"the map is full ({self.max_entries} elements)")

    def update(self, key: bytes, value: bytes, flags: int = ANY, *, from_program: bool = False) -> None:
        self._check_flags(flags)
        self._check_key(key)
        self._check_value(value, self.value_size if from_program else None)
        regions = self.elements.get(key)
        if regions is not None and flags & NOEXIST:
            raise MapOpError(_errno.EEXIST, "the key exists (BPF_NOEXIST)")
        if regions is None and flags & EXIST:
            raise MapOpError(_errno.ENOENT, "no such key (BPF_EXIST)")
        if regions is None:
            self._make_room()
            regions = [self._region(self.value_size) for _ in range(self._cpus())]
            self.elements[key] = regions
            fresh = True
        else:
            fresh = False
            if not self.percpu:
                # The kernel replaces the element: a program's old pointer sees the old value.
                old = regions[0]
                regions[0] = self._region(self.value_size)
                self.host.retire(old)
        if self.percpu and from_program:
            cpu = self.host.cpu
            for index, region in enumerate(regions):
                if index == cpu:
                    region.buf[:] = value
                elif fresh:
                    region.buf[:] = bytes(self.value_size)
        elif self.percpu:
            for index, region in enumerate(regions):
                region.buf[:] = value[index * self.stride : index * self.stride + self.value_size]
        else:
            regions[0].buf[:] = value
        self._touch(key)

    def delete(self, key: bytes) -> None:
        self._check_key(key)
        regions = self.elements.pop(key, None)
        if regions is None:
            raise MapOpError(_errno.ENOENT, "no such key")
        for region in regions:
            self.host.retire(region)

    def keys(self) -> Iterator[bytes]:
        return iter(list(self.elements))

    def count(self) -> int:
        return len(self.elements)


class PerCPUHashStorage(HashStorage):
    """``BPF_MAP_TYPE_PERCPU_HASH``: one value per CPU per key."""

    percpu = True


class LRUHashStorage(HashStorage):
    """``BPF_MAP_TYPE_LRU_HASH``: a full map evicts to make room instead of failing.

    The kernel approximates LRU with active/inactive lists and a reference bit set on lookup;
    elements that were never looked up or updated since insertion go first.  Here the victim is
    the element least recently inserted, updated or looked up by a program, which is the order
    that approximation converges to for a single CPU.
    """

    lru = True

    def _touch(self, key: bytes) -> None:
        if key in self.elements:
            self.elements.move_to_end(key)

    def _make_room(self) -> None:
        while len(self.elements) >= max(self.max_entries, 1):
            _victim, regions = self.elements.popitem(last=False)
            for region in regions:
                self.host.retire(region)


class LRUPerCPUHashStorage(LRUHashStorage):
    """``BPF_MAP_TYPE_LRU_PERCPU_HASH``."""

    percpu = True


HASH_TYPES = {
    MapType.HASH: HashStorage,
    MapType.PERCPU_HASH: PerCPUHashStorage,
    MapType.LRU_HASH: LRUHashStorage,
    MapType.LRU_PERCPU_HASH: LRUPerCPUHashStorage,
}

__all__ = ["HASH_TYPES", "HashStorage", "LRUHashStorage", "LRUPerCPUHashStorage", "PerCPUHashStorage"]
