"""``map list|show|dump|lookup|update|...``: maps as bpftool shows and edits them.

Keys and values travel as bytes; bpftool's command-line byte syntax is parsed by
:func:`parse_bytes`, and output carries both the hex bytes and, when the map has BTF, the
``formatted`` value decoded through it.
"""

from __future__ import annotations

import errno as _errno
import json
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.enums import MapType
from pybpf.kernel import (
    FD,
    KernelError,
    MapInfo,
    ObjectKind,
    map_delete,
    map_get_next_key,
    map_info,
    map_items_batched,
    map_keys,
    map_lookup,
    map_lookup_and_delete,
    map_update,
    percpu_value_size,
    split_percpu,
)
from pybpf.kernel.errors import KeyNotFound

from . import btfvalues, records
from .errors import InspectError, ValueFormatError
from .names import map_type_name, prog_type_name
from .procfs import Owner, fdinfo

_PER_CPU = {
    MapType.PERCPU_HASH,
    MapType.PERCPU_ARRAY,
    MapType.LRU_PERCPU_HASH,
    MapType.PERCPU_CGROUP_STORAGE,
}
_KEYLESS = {MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER}
# Map types whose values, on update, are fds of another object (read back as ids).
_FD_VALUES: dict[int, ObjectKind] = {
    MapType.PROG_ARRAY: ObjectKind.PROG,
    MapType.ARRAY_OF_MAPS: ObjectKind.MAP,
    MapType.HASH_OF_MAPS: ObjectKind.MAP,
}


@dataclass
class MapRecord:
    """One map: its info, the fdinfo extras, and optionally pins and owning processes."""

    info: MapInfo
    memlock: int | None
    frozen: int
    owner_prog_type: int | None = None
    owner_jited: bool | None = None
    pinned: list[str] = field(default_factory=list)
    pids: list[Owner] = field(default_factory=list)

    @property
    def type_name(self) -> str | None:
        return map_type_name(self.info.type)

    def json(self) -> dict[str, Any]:
        i = self.info
        out: dict[str, Any] = {"id": i.id, "type": self.type_name or i.type}
        if i.name:
            out["name"] = i.name
        out["flags"] = i.map_flags
        if i.ifindex:
            out["dev"] = {"ifindex": i.ifindex, "ns_dev": i.netns_dev, "ns_inode": i.netns_ino}
        out["bytes_key"] = i.key_size
        out["bytes_value"] = i.value_size
        out["max_entries"] = i.max_entries
        if self.memlock is not None:
            out["bytes_memlock"] = self.memlock
        if self.owner_prog_type is not None:
            out["owner_prog_type"] = prog_type_name(self.owner_prog_type) or self.owner_prog_type
        if self.owner_jited is not None:
            out["owner_jited"] = self.owner_jited
        out["frozen"] = self.frozen
        if i.map_extra:
            out["map_extra"] = i.map_extra
        if i.btf_id:
            out["btf_id"] = i.btf_id
        if self.pinned:
            out["pinned"] = list(self.pinned)
        if self.pids:
            out["pids"] = [p.json() for p in self.pids]
        return out

    def plain(self) -> str:
        i = self.info
        head = f"{i.id}: " + (f"{self.type_name}  " if self.type_name else f"type {i.type}  ")
        if i.name:
            head += f"name {i.name}  "
        head += f"flags {i.map_flags:#x}"
        if i.ifindex:
            head += f"  offloaded_to ifindex {i.ifindex}"
        lines = [head]
        second = f"\tkey {i.key_size}B  value {i.value_size}B  max_entries {i.max_entries}"
        if self.memlock is not None:
            second += f"  memlock {self.memlock}B"
        lines.append(second)
        if self.owner_prog_type is not None:
            owner = f"\towner_prog_type {prog_type_name(self.owner_prog_type) or self.owner_prog_type}  "
            owner += "owner jited" if self.owner_jited else "owner not jited"
            lines.append(owner)
        if self.frozen:
            lines[-1] += "  frozen"
        lines.extend(records.closing_lines(self, btf_id=i.btf_id))
        return "\n".join(lines)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def record(fd: FD) -> MapRecord:
    """The record of the map behind ``fd``."""
    extra = fdinfo(fd)
    owner = _int_or_none(extra.get("owner_prog_type"))
    jited = _int_or_none(extra.get("owner_jited"))
    return MapRecord(
        info=map_info(fd),
        memlock=_int_or_none(extra.get("memlock")),
        frozen=_int_or_none(extra.get("frozen")) or 0,
        owner_prog_type=owner,
        owner_jited=bool(jited) if owner is not None and jited is not None else None,
    )


def all_fds() -> Iterator[FD]:
    """An fd per map, skipping maps that vanish during the walk."""
    return records.object_fds(ObjectKind.MAP)


def gather(fds: Iterable[FD], *, with_pinned: bool = False, with_pids: bool = True) -> list[MapRecord]:
    """Records for ``fds`` (closing each), with pins and owners filled in when asked."""
    return records.gather(ObjectKind.MAP, fds, record, with_pinned=with_pinned, with_pids=with_pids)


# -- bytes on the command line ----------------------------------------------------------------------


def parse_bytes(words: Sequence[str], what: str) -> bytes:
    """bpftool's byte list: ``0x01 2 030`` (C literals, one byte each) or ``hex 01 02``/``hex 0102``."""
    words = list(words)
    if words and words[0] == "hex":
        text = "".join(words[1:])
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise ValueFormatError(f"{what}: {' '.join(words[1:])!r} is not hex bytes") from None
    out = bytearray()
    for word in words:
        try:
            value = (
                int(word, 0) if not (len(word) > 1 and word[0] == "0" and word[1].isdigit()) else int(word, 8)
            )
        except ValueError:
            raise ValueFormatError(f"{what}: {word!r} is not a byte") from None
        if not 0 <= value <= 0xFF:
            raise ValueFormatError(f"{what}: {word!r} does not fit in a byte")
        out.append(value)
    return bytes(out)


_JSON_HEX = [f"0x{b:02x}" for b in range(256)]


def hex_bytes(raw: bytes) -> str:
    """``01 00 00 00``: bpftool's plain hex."""
    return raw.hex(" ")


def json_bytes(raw: bytes) -> list[str]:
    """``["0x01", "0x00"]``: bpftool's JSON hex (a table lookup: dumps run this per byte)."""
    return [_JSON_HEX[b] for b in raw]


def check_size(raw: bytes, size: int, what: str) -> bytes:
    if len(raw) != size:
        raise ValueFormatError(f"{what} is {len(raw)} bytes but the map's {what} size is {size}")
    return raw


# -- elements ---------------------------------------------------------------------------------------


class MapView:
    """An open map with its info and BTF codecs, for element operations and output."""

    def __init__(self, fd: FD) -> None:
        self.fd = fd
        self._held: list[FD] = []
        self.info = map_info(fd)
        self.per_cpu = self.info.type in _PER_CPU
        self.keyless = self.info.type in _KEYLESS
        btf = btfvalues.kernel_btf(self.info.btf_id) if self.info.btf_id else None
        self.key_codec = btfvalues.codec(btf, self.info.btf_key_type_id, self.info.key_size)
        self.value_codec = btfvalues.codec(btf, self.info.btf_value_type_id, self.info.value_size)

    def close(self) -> None:
        """Close the fds opened for fd-valued updates (the map's own fd belongs to the caller)."""
        for held in self._held:
            held.close()
        self._held.clear()

    @property
    def has_btf(self) -> bool:
        return self.value_codec is not None or self.key_codec is not None

    @property
    def raw_value_size(self) -> int:
        """Bytes of a value as the syscall exchanges it (all CPUs for per-CPU maps)."""
        return percpu_value_size(self.info.value_size) if self.per_cpu else self.info.value_size

    def key(self, words: Sequence[str]) -> bytes:
        return check_size(parse_bytes(words, "key"), self.info.key_size, "key")

    def value(self, words: Sequence[str]) -> bytes:
        """The value bytes; for program and map-in-map arrays ``id N``/``pinned P``/``name N``
        name the object whose fd is stored (the fd stays open until :meth:`close`)."""
        if words and words[0] in ("id", "pinned", "name", "tag") and self.info.type in _FD_VALUES:
            from . import select

            selector, rest = select.parse(_FD_VALUES[self.info.type], words)
            if rest:
                raise ValueFormatError(
                    f"value: unexpected {' '.join(rest)!r} after the {selector.describe()}"
                )
            fd = select.open_one(selector)
            self._held.append(fd)
            return struct.pack("<I", int(fd))
        raw = check_size(parse_bytes(words, "value"), self.info.value_size, "value")
        if self.per_cpu:
            # bpftool sets the same value on every CPU.
            stride = (self.info.value_size + 7) & ~7
            raw = raw.ljust(stride, b"\0") * (self.raw_value_size // stride)
        return raw

    def lookup(self, key: bytes) -> bytes:
        try:
            return map_lookup(self.fd, key, self.raw_value_size)
        except KeyNotFound:
            raise InspectError(f"key {hex_bytes(key)} not found in map id {self.info.id}") from None

    def update(self, key: bytes, value: bytes, flags: int = 0) -> None:
        map_update(self.fd, key if not self.keyless else None, value, flags)

    def delete(self, key: bytes) -> None:
        try:
            map_delete(self.fd, key)
        except KeyNotFound:
            raise InspectError(f"key {hex_bytes(key)} not found in map id {self.info.id}") from None

    def next_key(self, key: bytes | None) -> bytes | None:
        return map_get_next_key(self.fd, key, self.info.key_size)

    def pop(self, peek: bool = False) -> bytes:
        try:
            if peek:
                return map_lookup(self.fd, None, self.raw_value_size)
            return map_lookup_and_delete(self.fd, None, self.raw_value_size)
        except KeyNotFound:
            raise InspectError(f"map id {self.info.id} is empty") from None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every element: batched lookups where the map type has them, a key walk otherwise."""
        size = self.raw_value_size
        try:
            batched = map_items_batched(self.fd, self.info.key_size, size, chunk=4096)
            first = next(batched, None)
        except KernelError as exc:
            if exc.errno not in (_errno.EINVAL, _errno.EOPNOTSUPP, 524, _errno.ENOSYS):
                raise
        else:
            if first is not None:
                yield first
                yield from batched
            return
        for key in map_keys(self.fd, self.info.key_size):
            try:
                yield key, map_lookup(self.fd, key, size)
            except KeyNotFound:
                continue  # deleted while we walked

    # -- output -------------------------------------------------------------------------------

    def entry_json(self, key: bytes | None, value: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if key is not None and self.info.key_size:
            out["key"] = json_bytes(key)
        if self.per_cpu:
            slots = split_percpu(value, self.info.value_size)
            out["values"] = [{"cpu": cpu, "value": json_bytes(v)} for cpu, v in enumerate(slots)]
        else:
            out["value"] = json_bytes(value)
        formatted = self.formatted(key, value)
        if formatted is not None:
            out["formatted"] = formatted
        return out

    def formatted(self, key: bytes | None, value: bytes) -> dict[str, Any] | None:
        if not self.has_btf:
            return None
        out: dict[str, Any] = {}
        if key is not None and self.info.key_size:
            out["key"] = btfvalues.decode(self.key_codec, key)
        if self.per_cpu:
            slots = split_percpu(value, self.info.value_size)
            out["values"] = [
                {"cpu": cpu, "value": btfvalues.decode(self.value_codec, v)} for cpu, v in enumerate(slots)
            ]
        else:
            out["value"] = btfvalues.decode(self.value_codec, value)
        return out

    def entry_plain(self, key: bytes | None, value: bytes) -> str:
        formatted = self.formatted(key, value)
        if formatted is not None:
            return json.dumps(formatted, indent=4)
        ks, vs = self.info.key_size, self.info.value_size
        if self.per_cpu:
            lines = [f"key:\n{hex_bytes(key or b'')}"] if ks else []
            for cpu, slot in enumerate(split_percpu(value, vs)):
                lines.append(f"value (CPU {cpu:02d}): {hex_bytes(slot)}")
            return "\n".join(lines)
        break_names = ks > 16 or vs > 16
        single = ks + vs <= 24 and not break_names
        sep = "\n" if break_names else " "
        text = ""
        if ks and key is not None:
            text += f"key:{sep}{hex_bytes(key)}" + ("  " if single else "\n")
        if vs:
            text += f"value:{sep}{hex_bytes(value)}"
        return text.rstrip("\n")


def open_view(fd: FD) -> MapView:
    return MapView(fd)


__all__ = [
    "MapRecord",
    "MapView",
    "all_fds",
    "check_size",
    "gather",
    "hex_bytes",
    "json_bytes",
    "open_view",
    "parse_bytes",
    "record",
]
