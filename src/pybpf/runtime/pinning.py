"""``LIBBPF_PIN_BY_NAME`` maps: reuse the map pinned under the pin path, or pin the new one.

Reusing is how two loads of one object (or two objects) share state, so a pinned map that no
longer matches the object's definition must be refused with the exact difference, not reused
into a confusing verifier error or silently wrong data.
"""

from __future__ import annotations

import os

from ..kernel import FD, KernelError, ObjectNotFound, obj_get
from ..spec import MapSpec
from .errors import PinMismatch

DEFAULT_PIN_PATH = "/sys/fs/bpf"

# Flags the kernel adds or that do not change a map's shape.
_IGNORED_FLAGS = 0


def pin_location(spec: MapSpec, pin_path: str | os.PathLike[str] | None) -> str:
    return os.path.join(os.fspath(pin_path or DEFAULT_PIN_PATH), spec.name)


def differences(spec: MapSpec, fd: FD, max_entries: int, flags: int) -> list[str]:
    """What differs between the pinned map behind ``fd`` and the definition."""
    from ..kernel.info import map_info  # only pinned maps that already exist get compared

    info = map_info(fd)
    wanted = {
        "type": int(spec.type),
        "key_size": spec.key_size,
        "value_size": spec.value_size,
        "max_entries": max_entries,
        "flags": flags & ~_IGNORED_FLAGS,
    }
    actual = {
        "type": info.type,
        "key_size": info.key_size,
        "value_size": info.value_size,
        "max_entries": info.max_entries,
        "flags": info.map_flags & ~_IGNORED_FLAGS,
    }
    return [
        f"{field} is {actual[field]:#x} pinned, {wanted[field]:#x} in the object"
        if field == "flags"
        else f"{field} is {actual[field]} pinned, {wanted[field]} in the object"
        for field in wanted
        if wanted[field] != actual[field]
    ]


def reuse_pinned(spec: MapSpec, path: str, max_entries: int, flags: int) -> FD | None:
    """The fd of a compatible map pinned at ``path``; ``None`` if nothing is pinned there."""
    try:
        fd = obj_get(path)
    except ObjectNotFound:
        return None
    except KernelError:
        if not os.path.exists(path):
            return None
        raise
    try:
        diff = differences(spec, fd, max_entries, flags)
    except KernelError:
        fd.close()
        raise PinMismatch(spec.name, path, ["the pinned object is not a map"]) from None
    if diff:
        fd.close()
        raise PinMismatch(spec.name, path, diff)
    return fd


__all__ = ["DEFAULT_PIN_PATH", "differences", "pin_location", "reuse_pinned"]
