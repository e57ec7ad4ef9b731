"""On-disk cache of the type-offset index of large BTF blobs.

Scanning the 150k records of the kernel's BTF costs tens of milliseconds in Python; the index it
produces (where each record starts, and its name offset) depends only on the bytes, so it is kept in
``~/.cache/pybpf/btf`` under a hash of the blob.  A damaged or foreign cache file is ignored and
rewritten: the cache can only make opening faster, never change what is parsed.

The running kernel's own BTF is keyed by the boot instead of by its contents: it cannot change
while the system is up, and hashing 5 MB would cost as much as the rest of opening it.

A cache file holds, after its header, four arrays of native ``u32``: where each record starts
(by type index), the records' name offsets sorted, and the type index of each sorted name offset,
so a lookup by name is a bisection instead of a search through every name offset (~1 ms on
vmlinux); then the offsets of the strings that contain the CO-RE flavour separator ``___``, so a
candidate search for ``task_struct`` need not scan the 2.5 MB of strings for ``task_struct___*``
(~0.5 ms a name).  The header also records whether every string of the blob is spelled once,
which lets a lookup stop searching the strings at the first match.

The file is mapped (private, read-only) and used where it lies: the arrays are ``memoryview``
casts of the mapping, so a load touches the few pages its lookups read instead of copying
1.5 MB (~0.8 ms).  Cache files are only ever replaced whole (written aside, then renamed over),
never rewritten in place, so a mapping keeps seeing the file it opened; only truncating one by
hand while a process uses it could fault that process.  Before Python 3.13 the mapping keeps a
descriptor open while it lives (see :func:`pybpf.btf.spec._map_readonly`).
"""

from __future__ import annotations

import os
import struct
import sys

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmap import mmap
    from pathlib import Path

    from .spec import BTF

#: Blobs smaller than this are scanned every time: hashing and file I/O would cost more.
MIN_CACHED_SIZE = 256 * 1024
_MAGIC = b"PYBPFIX3"
#: The format is in the file name too: pybpf versions that share a machine keep their own files
#: instead of each rewriting the other's on every start.
SUFFIX = ".ix3.idx"
#: magic, size of the blob, number of records, flags, number of flavoured strings
_HEAD = struct.Struct("<8sQQQQ")
_UNIQUE_STRINGS = 1


def cache_dir() -> Path:
    from pathlib import Path

    return Path(_cache_dir())


def _cache_dir() -> str:
    """:func:`cache_dir` as a string: opening BTF should not pay for importing pathlib."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "pybpf", "btf")


VMLINUX = "/sys/kernel/btf/vmlinux"
_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def _key(data: bytes | mmap) -> str:
    import hashlib  # loading OpenSSL is a cost only content-keyed blobs pay

    return hashlib.blake2b(data, digest_size=20).hexdigest() + ("le" if sys.byteorder == "little" else "be")


def boot_key(path: str | os.PathLike[str], size: int) -> str | None:
    """Cache key of the running kernel's BTF file for this boot, or None for any other file."""
    if os.fspath(path) != VMLINUX:
        return None
    try:
        with open(_BOOT_ID, "rb") as f:
            boot_id = f.read(64).strip().decode("ascii")
    except (OSError, UnicodeDecodeError):
        return None
    if not boot_id or not all(c.isalnum() or c == "-" for c in boot_id):
        return None
    return f"vmlinux-{boot_id}-{size}{'le' if sys.byteorder == 'little' else 'be'}"


def _map(path: str) -> mmap | None:
    """The whole file, mapped; None when it is missing, empty or cannot be mapped."""
    from .spec import _map_readonly

    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _map_readonly(fd)
    except (OSError, ValueError):  # ValueError: an empty file
        return None
    finally:
        os.close(fd)


class _Loaded:
    """The arrays of one cache file, as views of its mapping."""

    __slots__ = ("flavoured", "names", "offsets", "unique", "which")

    def __init__(self, raw: mmap, count: int, flags: int, flavoured: int) -> None:
        view = memoryview(raw)[_HEAD.size :]
        self.offsets = view[: 4 * count].cast("I")
        self.names = view[4 * count : 8 * count].cast("I")
        self.which = view[8 * count : 12 * count].cast("I")
        self.flavoured = view[12 * count : 12 * count + 4 * flavoured].cast("I")
        self.unique = bool(flags & _UNIQUE_STRINGS)


def _load(path: str, data_len: int) -> _Loaded | None:
    """The cache file's arrays, or None when it is missing, foreign or damaged in a way its
    length or header shows."""
    raw = _map(path)
    if raw is None:
        return None
    if len(raw) < _HEAD.size:
        raw.close()
        return None
    magic, size, count, flags, flavoured = _HEAD.unpack_from(raw)
    if magic != _MAGIC or size != data_len or len(raw) != _HEAD.size + 12 * count + 4 * flavoured:
        raw.close()
        return None
    return _Loaded(raw, count, flags, flavoured)


def _store(path: str, data_len: int, btf: BTF) -> None:
    """Write the cache file of a freshly scanned ``btf`` (atomically: readers see old or new)."""
    offsets, name_offs = btf._offsets, btf._name_offs
    assert name_offs is not None
    count = len(offsets)
    # One sort of plain ints (name offset, then index) instead of tuples: ~4x faster.
    keys = sorted([name * count + i for i, name in enumerate(name_offs)])
    names = [k // count for k in keys]
    which = [k % count for k in keys]
    flags = _UNIQUE_STRINGS if btf.strings_unique() else 0
    flavoured = btf.flavoured_string_offsets()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{os.path.splitext(path)[0]}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(_HEAD.pack(_MAGIC, data_len, count, flags, len(flavoured)))
            f.write(offsets.tobytes())
            f.write(struct.pack(f"={count}I", *names))
            f.write(struct.pack(f"={count}I", *which))
            f.write(struct.pack(f"={len(flavoured)}I", *flavoured))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs speed


def cached_open(data: bytes | mmap, *, base: BTF | None = None, key: str | None = None) -> BTF:
    """Parse ``data`` using (and filling) the index cache when it is big enough to matter.

    ``key`` names the cache entry when the caller knows what identifies the blob (see
    :func:`boot_key`); by default it is a hash of the bytes.
    """
    from .spec import BTF

    if len(data) < MIN_CACHED_SIZE:
        return BTF(data, base=base)
    path = os.path.join(_cache_dir(), f"{key or _key(data)}{SUFFIX}")
    loaded = _load(path, len(data))
    if loaded is not None:
        btf = BTF(
            data,
            base=base,
            index=(loaded.offsets, None),
            by_name=(loaded.names, loaded.which),
            unique_strings=loaded.unique,
            flavoured=loaded.flavoured,
        )
        if _plausible(btf):
            return btf
    btf = BTF(data, base=base)
    _store(path, len(data), btf)
    return btf


def _plausible(btf: BTF) -> bool:
    """Cheap sanity check of a loaded index: the first record at 0, the last ending the section."""
    from .spec import RECORD_LAYOUT

    offsets = btf._offsets
    type_len = btf.header.type_len
    if not offsets:
        return type_len == 0
    last = offsets[-1]
    if offsets[0] != 0 or last + 12 > type_len:
        return False
    (info,) = struct.unpack_from(btf._order + "I", btf._types, last + 4)
    kind = (info >> 24) & 0x1F
    if kind == 0 or kind >= len(RECORD_LAYOUT):
        return False
    fixed, per = RECORD_LAYOUT[kind]
    return last + 12 + fixed + per * (info & 0xFFFF) == type_len


__all__ = ["MIN_CACHED_SIZE", "SUFFIX", "VMLINUX", "boot_key", "cache_dir", "cached_open"]
