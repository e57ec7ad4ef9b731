"""Map keys and values as bpftool's ``formatted`` JSON, through the map's BTF.

The BTF object of a map is fetched from the kernel by id once per command; when it is missing
or a type has no codec the caller falls back to hex bytes, as bpftool does.
"""

from __future__ import annotations

import enum
from typing import Any

from pybpf.btf import BTF
from pybpf.btf.codec import Codec, StructValue, codec_for, cstr
from pybpf.errors import Error
from pybpf.kernel import btf_get_fd_by_id
from pybpf.kernel.info import btf_info

_CACHE: dict[int, BTF | None] = {}


def kernel_btf(btf_id: int) -> BTF | None:
    """The BTF object with ``btf_id`` (module BTF split on vmlinux); ``None`` if unavailable."""
    if btf_id in _CACHE:
        return _CACHE[btf_id]
    found: BTF | None = None
    try:
        with btf_get_fd_by_id(btf_id) as fd:
            info = btf_info(fd, data=True)
        if info.data is not None:
            base = None
            if info.kernel_btf and info.name != "vmlinux":
                base = BTF.vmlinux()
            if info.kernel_btf and info.name == "vmlinux":
                found = BTF.vmlinux()
            else:
                found = BTF.from_bytes(info.data, base=base)
    except Error:
        found = None
    _CACHE[btf_id] = found
    return found


def codec(btf: BTF | None, type_id: int, size: int) -> Codec | None:
    """A codec for ``type_id`` whose size matches ``size``; ``None`` when there is none."""
    if btf is None or not type_id:
        return None
    try:
        found = codec_for(btf, type_id)
    except (Error, ValueError, KeyError):
        return None
    return found if found.size == size else None


def plain_value(value: Any) -> Any:
    """A decoded value as JSON data: char arrays become strings, enums their names."""
    if isinstance(value, StructValue):
        return {k: plain_value(v) for k, v in _members(value).items()}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return cstr(bytes(value))
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def _members(value: StructValue) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in value._codec.fields:
        member = value._values[f.name]
        if f.name.startswith("(anon") and isinstance(member, StructValue):
            out.update(_members(member))
        else:
            out[f.name] = member
    return out


def decode(c: Codec | None, raw: bytes) -> Any:
    """``raw`` decoded to JSON data, or ``None`` when there is no codec or it does not decode."""
    if c is None:
        return None
    try:
        return plain_value(c.decode(raw))
    except (Error, ValueError, KeyError, IndexError, UnicodeDecodeError):
        return None


__all__ = ["codec", "decode", "kernel_btf", "plain_value"]
