"""``BPF_MAP_TYPE_LPM_TRIE``: keys are ``u32 prefixlen`` + address bytes (network order);
a lookup finds the stored prefix that matches the most leading bits of the key."""

from __future__ import annotations

import errno as _errno
from collections.abc import Iterator

from ..memory import Region
from .base import ANY, EXIST, NOEXIST, MapOpError, Storage


def _bits(data: bytes, count: int) -> int:
    """The first ``count`` bits of ``data`` as an integer (big-endian bit order)."""
    value = int.from_bytes(data, "big")
    return value >> (8 * len(data) - count) if count else 0


class LPMTrieStorage(Storage):
    """Prefixes by (length, masked bits); lookups try the longest length first."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.data_size = self.key_size - 4
        self.elements: dict[tuple[int, int], tuple[bytes, Region]] = {}

    def _split(self, key: bytes) -> tuple[int, bytes]:
        self._check_key(key)
        prefixlen = int.from_bytes(key[:4], "little")
        if prefixlen > 8 * self.data_size:
            raise MapOpError(_errno.EINVAL, f"prefix length {prefixlen} exceeds {8 * self.data_size} bits")
        return prefixlen, key[4:]

    def _canonical(self, prefixlen: int, data: bytes) -> bytes:
        bits = _bits(data, prefixlen)
        masked = (bits << (8 * self.data_size - prefixlen)).to_bytes(self.data_size, "big")
        return prefixlen.to_bytes(4, "little") + masked

    def _match(self, key: bytes) -> tuple[bytes, Region] | None:
        prefixlen, data = self._split(key)
        for length in sorted({n for n, _ in self.elements if n <= prefixlen}, reverse=True):
            found = self.elements.get((length, _bits(data, length)))
            if found is not None:
                return found
        return None

    def lookup(self, key: bytes) -> int:
        try:
            found = self._match(key)
        except MapOpError:
            return 0
        return found[1].base if found is not None else 0

    def read(self, key: bytes) -> bytes:
        found = self._match(key)
        if found is None:
            raise MapOpError(_errno.ENOENT, "no matching prefix")
        return bytes(found[1].buf)

    def update(self, key: bytes, value: bytes, flags: int = ANY, *, from_program: bool = False) -> None:
        self._check_flags(flags)
        prefixlen, data = self._split(key)
        self._check_value(value, self.value_size)
        slot = (prefixlen, _bits(data, prefixlen))
        present = slot in self.elements
        if present and flags & NOEXIST:
            raise MapOpError(_errno.EEXIST, "the prefix exists (BPF_NOEXIST)")
        if not present and flags & EXIST:
            raise MapOpError(_errno.ENOENT, "no such prefix (BPF_EXIST)")
        if not present and len(self.elements) >= self.max_entries:
            raise MapOpError(_errno.ENOSPC, f"the trie is full ({self.max_entries} prefixes)")
        if present:
            self.host.retire(self.elements[slot][1])
        region = self._region(self.value_size, value)
        self.elements[slot] = (self._canonical(prefixlen, data), region)

    def delete(self, key: bytes) -> None:
        prefixlen, data = self._split(key)
        found = self.elements.pop((prefixlen, _bits(data, prefixlen)), None)
        if found is None:
            raise MapOpError(_errno.ENOENT, "no such prefix")
        self.host.retire(found[1])

    def keys(self) -> Iterator[bytes]:
        # The kernel walks the trie in post-order, bit 0 before bit 1: a prefix comes after
        # every longer prefix it contains.  Sorting the bit strings with an end marker above
        # both bit values gives exactly that order.
        def position(slot: tuple[int, int]) -> str:
            length, bits = slot
            return (format(bits, f"0{length}b") if length else "") + "2"

        return iter([self.elements[slot][0] for slot in sorted(self.elements, key=position)])

    def count(self) -> int:
        return len(self.elements)


__all__ = ["LPMTrieStorage"]
