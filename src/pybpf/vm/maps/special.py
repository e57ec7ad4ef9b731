"""Maps whose values are other objects: prog arrays (tail calls) and arrays/hashes of maps.

Values are object ids (4 bytes, as the syscall's fds are); 0 means an empty slot.  From a
program, looking up a map-of-maps yields the inner map's handle, usable wherever a map is.
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Callable, Iterator

from ...enums import MapType
from .base import ANY, EXIST, NOEXIST, MapOpError, Storage

#: Map "pointers" programs hold are handles in a never-mapped window, one per map id.
MAP_HANDLE_BASE = 0xFFFFFFFE << 32


class SlotStorage(Storage):
    """Index or key → object id.  ``valid`` says whether an id names a live object."""

    def __init__(self, *args: object, valid: Callable[[int], bool] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.slots: dict[bytes, int] = {}
        self.valid = valid or (lambda _id: True)
        self.is_array = self.type in (MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS)

    def _checked_key(self, key: bytes) -> bytes:
        self._check_key(key)
        if self.is_array and int.from_bytes(key[:4], "little") >= self.max_entries:
            raise MapOpError(_errno.E2BIG, f"index past the array's {self.max_entries} entries")
        return key

    def get(self, key: bytes) -> int:
        """The id in a slot (0 when empty or out of range)."""
        return self.slots.get(key, 0) if len(key) == self.key_size else 0

    def lookup(self, key: bytes) -> int:
        if self.type is MapType.PROG_ARRAY:
            return 0  # programs cannot look up prog arrays (the verifier refuses it)
        ident = self.get(key)
        return MAP_HANDLE_BASE + ident if ident else 0

    def read(self, key: bytes) -> bytes:
        self._checked_key(key)
        ident = self.slots.get(key)
        if ident is None:
            raise MapOpError(_errno.ENOENT, "empty slot")
        return ident.to_bytes(4, "little")

    def update(self, key: bytes, value: bytes, flags: int = ANY, *, from_program: bool = False) -> None:
        self._check_flags(flags)
        key = self._checked_key(key)
        if from_program:
            raise MapOpError(_errno.EINVAL, "programs cannot update this map type")
        self._check_value(value, 4)
        ident = int.from_bytes(value, "little")
        if not ident or not self.valid(ident):
            raise MapOpError(_errno.EBADF, f"{ident} is not a live object id")
        present = key in self.slots
        if present and flags & NOEXIST:
            raise MapOpError(_errno.EEXIST, "the slot is taken (BPF_NOEXIST)")
        if not present and flags & EXIST and not self.is_array:
            raise MapOpError(_errno.ENOENT, "no such key (BPF_EXIST)")
        if not present and not self.is_array and len(self.slots) >= self.max_entries:
            raise MapOpError(_errno.E2BIG, "the map is full")
        self.slots[key] = ident

    def delete(self, key: bytes) -> None:
        key = self._checked_key(key)
        if self.slots.pop(key, None) is None:
            raise MapOpError(_errno.ENOENT, "empty slot")

    def keys(self) -> Iterator[bytes]:
        if self.is_array:
            return iter(sorted(self.slots, key=lambda k: int.from_bytes(k, "little")))
        return iter(list(self.slots))

    def count(self) -> int:
        return len(self.slots)


__all__ = ["MAP_HANDLE_BASE", "SlotStorage"]
