"""On-disk cache of the type-offset index of large BTF blobs.

Scanning the 150k records of the kernel's BTF costs tens of milliseconds in Python; the index it
produces (where each record starts, and its name offset) depends only on the bytes, so it is kept in
``~/.cache/pybpf/btf`` under a hash of the blob.  A damaged or foreign cache file is ignored and
rewritten: the cache can only make opening faster, never change what is parsed.

The running kernel's own BTF is keyed by the boot instead of by its contents: it cannot change
while the system is up, and hashing 5 MB would cost as much as the rest of opening it.
"""

from __future__ import annotations

import os
import struct
import sys
from array import array

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .spec import BTF

#: Blobs smaller than this are scanned every time: hashing and file I/O would cost more.
MIN_CACHED_SIZE = 256 * 1024
_MAGIC = b"PYBPFIX1"
_HEAD = struct.Struct("<8sQQ")


def cache_dir() -> Path:
    from pathlib import Path

    return Path(_cache_dir())


def _cache_dir() -> str:
    """:func:`cache_dir` as a string: opening BTF should not pay for importing pathlib."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "pybpf", "btf")


VMLINUX = "/sys/kernel/btf/vmlinux"
_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def _key(data: bytes) -> str:
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


def _load(path: str, data_len: int) -> tuple[array[int], array[int]] | None:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    if len(raw) < _HEAD.size:
        return None
    magic, size, count = _HEAD.unpack_from(raw)
    if magic != _MAGIC or size != data_len or len(raw) != _HEAD.size + 8 * count:
        return None
    offsets = array("I")
    names = array("I")
    offsets.frombytes(raw[_HEAD.size : _HEAD.size + 4 * count])
    names.frombytes(raw[_HEAD.size + 4 * count :])
    return offsets, names


def _store(path: str, data_len: int, offsets: array[int], names: array[int]) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{os.path.splitext(path)[0]}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(_HEAD.pack(_MAGIC, data_len, len(offsets)) + offsets.tobytes() + names.tobytes())
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs speed


def cached_open(data: bytes, *, base: BTF | None = None, key: str | None = None) -> BTF:
    """Parse ``data`` using (and filling) the index cache when it is big enough to matter.

    ``key`` names the cache entry when the caller knows what identifies the blob (see
    :func:`boot_key`); by default it is a hash of the bytes.
    """
    from .spec import BTF

    if len(data) < MIN_CACHED_SIZE:
        return BTF(data, base=base)
    path = os.path.join(_cache_dir(), f"{key or _key(data)}.idx")
    index = _load(path, len(data))
    if index is not None:
        btf = BTF(data, base=base, index=index)
        if _plausible(btf):
            return btf
    btf = BTF(data, base=base)
    _store(path, len(data), btf._offsets, btf._name_offs)
    return btf


def _plausible(btf: BTF) -> bool:
    """Cheap sanity check of a loaded index: offsets increasing and inside the type section."""
    offsets = btf._offsets
    if not offsets:
        return btf.header.type_len == 0
    return offsets[0] == 0 and offsets[-1] < btf.header.type_len and len(btf._name_offs) == len(offsets)


__all__ = ["MIN_CACHED_SIZE", "VMLINUX", "boot_key", "cache_dir", "cached_open"]
