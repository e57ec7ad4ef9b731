"""The event types chosen for an object, remembered by the object's digest.

Reading DWARF takes seconds on objects whose CO-RE reads pull in big kernel structs, and the
answer never changes for the same bytes, so ``pybpf run`` stores it (with DWARF layouts as
JSON) next to its compiled objects.  A missing or unreadable cache entry just means inferring
again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..spec import ObjectSpec
from .dwarf import DwarfStruct
from .eventtypes import BTFEventType, EventType, RawEventType, btf_struct
from .infer import Inferred, infer_event_types

VERSION = 1


def _entry(inferred: Inferred) -> dict[str, Any] | None:
    t = inferred.type
    if isinstance(t, BTFEventType):
        return {"kind": "btf", "name": t.name, "reason": inferred.reason}
    if isinstance(t, DwarfStruct):
        return {"kind": "dwarf", "name": t.name, "layout": t.layout, "reason": inferred.reason}
    if isinstance(t, RawEventType):
        return {"kind": "raw", "size": t.size, "reason": inferred.reason}
    return None


def _restore(spec: ObjectSpec, name: str, entry: dict[str, Any]) -> Inferred | None:
    kind = entry.get("kind")
    chosen: EventType | None = None
    if kind == "btf" and spec.btf is not None:
        chosen = btf_struct(spec.btf, str(entry.get("name", "")))
    elif kind == "dwarf" and isinstance(entry.get("layout"), dict):
        chosen = DwarfStruct.from_layout(str(entry.get("name", "")), entry["layout"])
    elif kind == "raw":
        chosen = RawEventType(int(entry.get("size", 0)))
    if chosen is None:
        return None
    return Inferred(name, chosen, f"{entry.get('reason', '')} (cached)")


def cached_event_types(
    spec: ObjectSpec, data: bytes, cache_dir: Path, overrides: dict[str, str] | None = None
) -> dict[str, Inferred]:
    """:func:`infer_event_types`, answered from ``cache_dir`` when these bytes were seen before.

    Runs with ``--event-type`` overrides are neither read from nor written to the cache.
    """
    if overrides:
        return infer_event_types(spec, overrides, data=data)
    path = cache_dir / f"{hashlib.sha256(data).hexdigest()[:32]}.types.json"
    try:
        stored = json.loads(path.read_text())
        if stored.get("version") == VERSION:
            restored = {name: _restore(spec, name, entry) for name, entry in stored["maps"].items()}
            if all(v is not None for v in restored.values()) and set(restored) == _buffers(spec):
                return {k: v for k, v in restored.items() if v is not None}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    result = infer_event_types(spec, data=data)
    entries = {name: _entry(inferred) for name, inferred in result.items()}
    if all(e is not None for e in entries.values()):
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps({"version": VERSION, "maps": entries}))
            partial.replace(path)
        except OSError:
            pass
    return result


def _buffers(spec: ObjectSpec) -> set[str]:
    from .infer import BUFFER_MAP_TYPES

    return {name for name, m in spec.maps.items() if m.type in BUFFER_MAP_TYPES}


__all__ = ["cached_event_types"]
