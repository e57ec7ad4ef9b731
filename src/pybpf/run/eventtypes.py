"""Event types: how one ring/perf buffer record becomes a dict of member names to plain values.

Plain values (ints, strings for ``char[]``, lists, nested dicts) serve both outputs of
``pybpf run``: the one-line text form and ``--json``.  The layout comes from the object's BTF
when the struct is there, else from its DWARF (clang leaves structs only used by local variables
out of BTF), else the record is shown as hex.
"""

from __future__ import annotations

from typing import Any, Protocol

from pybpf._dataclasses import dataclass

from ..btf import BTF, codec_for
from ..btf.codec import StructValue, cstr
from ..errors import Error
from ..runtime.values import find_record_type


class EventType(Protocol):
    """A decoder for the records of one buffer map."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> int: ...

    def decode(self, data: bytes) -> dict[str, Any]: ...


def plain(value: Any) -> Any:
    """Decoded BTF values as JSON-ready ones: ``char[]`` bytes become text, structs dicts."""
    if isinstance(value, StructValue):
        value = value.asdict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return cstr(bytes(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # IntEnum members print as numbers in JSON either way; keep it plain
    return value


def fit(data: bytes, size: int) -> bytes:
    """Records may carry padding (perf buffers) or be short (a truncated output): make ``size``."""
    return bytes(data[:size]).ljust(size, b"\0")


@dataclass
class BTFEventType:
    """A struct of the object's BTF."""

    btf: BTF
    type_id: int
    name: str
    size: int

    def decode(self, data: bytes) -> dict[str, Any]:
        try:
            value = codec_for(self.btf, self.type_id).decode(fit(data, self.size))
        except (Error, ValueError) as exc:
            return {"error": str(exc), "raw": bytes(data).hex()}
        result = plain(value)
        return result if isinstance(result, dict) else {"value": result}


@dataclass
class RawEventType:
    """Nothing fits: show the bytes."""

    size: int = 0
    name: str = "raw"

    def decode(self, data: bytes) -> dict[str, Any]:
        return {"raw": bytes(data).hex()}


def btf_struct(btf: BTF, name: str) -> BTFEventType | None:
    """The struct (or union, or typedef of one) called ``name`` (``"struct event"`` or ``"event"``)."""
    type_id = find_record_type(btf, name)
    if type_id is None:
        return None
    try:
        return BTFEventType(btf, type_id, f"struct {btf[type_id].name}", btf.size_of(type_id))
    except (Error, ValueError, KeyError, IndexError):
        return None


__all__ = ["BTFEventType", "EventType", "RawEventType", "btf_struct", "fit", "plain"]
