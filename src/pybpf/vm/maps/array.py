"""Array maps: every index exists from creation, values zero-initialised and never deleted."""

from __future__ import annotations

import errno as _errno
from collections.abc import Iterator

from .base import ANY, NOEXIST, MapOpError, Storage, stride


class ArrayStorage(Storage):
    """``BPF_MAP_TYPE_ARRAY`` (and global data): one region holding every element back to
    back with an 8-byte stride, so a pointer to element ``i`` is ``base + i * stride``."""

    def __init__(self, *args: object, data: bytes | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stride = stride(self.value_size)
        self.regions = [self._region(self.stride * self.max_entries, None, label) for label in self._labels()]
        if data is not None:
            self.regions[0].buf[: len(data)] = data[: len(self.regions[0].buf)]

    def _labels(self) -> list[str]:
        return [""]

    def _index(self, key: bytes) -> int:
        self._check_key(key)
        index = int.from_bytes(key[:4], "little")
        if index >= self.max_entries:
            raise MapOpError(_errno.ENOENT, f"index {index} is past the array's {self.max_entries} entries")
        return index

    def region_for_cpu(self, cpu: int) -> int:
        return 0

    def lookup(self, key: bytes) -> int:
        try:
            index = self._index(key)
        except MapOpError:
            return 0
        return self.regions[self.region_for_cpu(self.host.cpu)].base + index * self.stride

    def read(self, key: bytes) -> bytes:
        index = self._index(key)
        start = index * self.stride
        return bytes(self.regions[0].buf[start : start + self.value_size])

    def update(self, key: bytes, value: bytes, flags: int = ANY, *, from_program: bool = False) -> None:
        self._check_flags(flags)
        self._check_key(key)
        index = int.from_bytes(key[:4], "little")
        if index >= self.max_entries:
            raise MapOpError(_errno.E2BIG, f"index {index} is past the array's {self.max_entries} entries")
        if flags & NOEXIST:
            raise MapOpError(_errno.EEXIST, "array elements always exist (BPF_NOEXIST)")
        if from_program:
            self._check_value(value, self.value_size)
            region = self.regions[self.region_for_cpu(self.host.cpu)]
            region.buf[index * self.stride : index * self.stride + self.value_size] = value
            return
        self._check_value(value)
        self._write_all(index, value)

    def _write_all(self, index: int, value: bytes) -> None:
        start = index * self.stride
        self.regions[0].buf[start : start + self.value_size] = value

    def delete(self, key: bytes) -> None:
        raise MapOpError(_errno.EINVAL, "array elements cannot be deleted")

    def keys(self) -> Iterator[bytes]:
        for index in range(self.max_entries):
            yield index.to_bytes(self.key_size, "little")

    def next_key(self, key: bytes | None) -> bytes | None:
        index = 0 if key is None else int.from_bytes(key[:4], "little") + 1
        if key is not None and int.from_bytes(key[:4], "little") >= self.max_entries:
            index = 0
        return index.to_bytes(self.key_size, "little") if index < self.max_entries else None

    def count(self) -> int:
        return self.max_entries


class PerCPUArrayStorage(ArrayStorage):
    """``BPF_MAP_TYPE_PERCPU_ARRAY``: one array region per CPU; programs see their CPU's."""

    percpu = True

    def _labels(self) -> list[str]:
        return [f" (cpu {cpu})" for cpu in range(self.host.cpus)]

    def region_for_cpu(self, cpu: int) -> int:
        return cpu

    def read(self, key: bytes) -> bytes:
        index = self._index(key)
        start = index * self.stride
        return b"".join(bytes(region.buf[start : start + self.stride]) for region in self.regions)

    def _write_all(self, index: int, value: bytes) -> None:
        start = index * self.stride
        for cpu, region in enumerate(self.regions):
            part = value[cpu * self.stride : cpu * self.stride + self.value_size]
            region.buf[start : start + self.value_size] = part


__all__ = ["ArrayStorage", "PerCPUArrayStorage"]
