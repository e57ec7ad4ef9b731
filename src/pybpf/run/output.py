"""How ``pybpf run`` prints: one line per event, trace line and map entry, text or JSON lines.

Text lines are ``key=value`` pairs because they survive ``grep`` and ``awk``; JSON lines carry the
same data with the struct's member names as keys, so ``jq`` works on either events or map dumps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from pybpf._dataclasses import dataclass

from ..enums import MapType
from ..events import format_log2_hist
from .eventtypes import plain

#: The most buckets a log2 histogram of 64-bit values can have, plus the zero bucket.
MAX_LOG2_BUCKETS = 65
HIST_MAP_TYPES = frozenset(
    {MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH}
)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value if value and " " not in value and "=" not in value else json.dumps(value)
    if isinstance(value, dict):
        return "{" + " ".join(f"{k}={_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return str(value)


def format_fields(fields: Mapping[str, Any]) -> str:
    """``pid=1 comm=bash path="/a b"``: strings with spaces are quoted."""
    return " ".join(f"{key}={_text(value)}" for key, value in fields.items())


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


@dataclass
class Printer:
    """Writes lines to ``stream``, flushing each so a pipe or a test sees them at once."""

    stream: TextIO
    json_lines: bool = False
    prefix_maps: bool = False

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def event(self, map_name: str, fields: Mapping[str, Any]) -> None:
        if self.json_lines:
            payload = dict(fields)
            if self.prefix_maps:
                payload = {"map": map_name, **payload}
            self._write(_json(payload))
            return
        prefix = f"[{map_name}] " if self.prefix_maps else ""
        self._write(prefix + format_fields(fields))

    def trace(self, task: str, pid: int, message: str, line: str) -> None:
        if self.json_lines:
            self._write(_json({"trace": message, "task": task, "pid": pid}))
        else:
            self._write(f"trace: {task}-{pid}: {message}" if task else f"trace: {line}")

    def iter_line(self, program: str, text: str) -> None:
        self._write(_json({"iter": program, "line": text}) if self.json_lines else text)

    def info(self, message: str) -> None:
        """Progress notes (attached, skipped): on the text stream only, never inside JSON output."""
        if not self.json_lines:
            self._write(f"# {message}")

    def map_entries(
        self, map_name: str, entries: Iterable[tuple[Any, Any]], *, skipped_zero: int = 0
    ) -> None:
        items = list(entries)
        if self.json_lines:
            for key, value in items:
                self._write(_json({"map": map_name, "key": plain(key), "value": plain(value)}))
            return
        zeros = f" ({skipped_zero} zero entries skipped)" if skipped_zero else ""
        self._write(f"map {map_name}: {len(items)} entries{zeros}")
        for key, value in items:
            self._write(f"  {_text(plain(key))} => {_text(plain(value))}")

    def histogram(self, map_name: str, title: str, buckets: Mapping[int, int]) -> None:
        if self.json_lines:
            self._write(
                _json({"map": map_name, "hist": title, "buckets": {str(k): v for k, v in buckets.items()}})
            )
            return
        self._write(f"map {map_name}{' ' + title if title else ''}: log2 histogram")
        text = format_log2_hist(buckets, "value")
        for line in (text or "  (empty)").splitlines():
            self._write(line)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return sum(value)  # per-CPU
    return None


def int_histogram(entries: list[tuple[Any, Any]]) -> dict[int, int] | None:
    """Bucket -> count when every key is a small int and every value an int (or per-CPU ints)."""
    buckets: dict[int, int] = {}
    for key, value in entries:
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < MAX_LOG2_BUCKETS:
            return None
        count = _as_int(value)
        if count is None:
            return None
        buckets[key] = buckets.get(key, 0) + count
    return buckets


def slot_array(value: Any) -> list[int] | None:
    """The ``slots`` of a ``struct hist { u32 slots[N]; ... }`` value (or a bare int array)."""
    if isinstance(value, dict):
        arrays = [v for v in value.values() if isinstance(v, list)]
        if len(arrays) != 1:
            return None
        value = arrays[0]
    if (
        isinstance(value, list)
        and 1 < len(value) <= MAX_LOG2_BUCKETS
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return [int(v) for v in value]
    return None


PER_CPU_MAP_TYPES = frozenset({MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH})
#: Words of the map names bcc-style tools give their histograms (``hist``, ``dist``, ``slots``...).
HIST_NAME_WORDS = ("hist", "dist", "slot", "bucket", "lat")


def looks_like_histogram_name(name: str) -> bool:
    """A counter array keyed by protocol and a latency histogram have the same shape; the name
    is what tells them apart, so only maps named like histograms are drawn as one."""
    low = name.lower()
    return any(word in low for word in HIST_NAME_WORDS)


def sum_per_cpu(values: Any) -> Any:
    """One value from a per-CPU list: numbers add up, structs and arrays member by member."""
    if not isinstance(values, list) or not values:
        return values
    first = values[0]
    if isinstance(first, bool) or not isinstance(first, int | dict | list):
        return first
    if isinstance(first, int):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return sum(values)
        return first
    if isinstance(first, dict):
        if not all(isinstance(v, dict) and v.keys() == first.keys() for v in values):
            return first
        return {k: sum_per_cpu([v[k] for v in values]) for k in first}
    if not all(isinstance(v, list) and len(v) == len(first) for v in values):
        return first
    return [sum_per_cpu([v[i] for v in values]) for i in range(len(first))]


def histograms_of(
    map_type: Any,
    key_size: int,
    value_size: int,
    max_entries: int,
    entries: list[tuple[Any, Any]],
    *,
    name: str = "",
) -> Iterator[tuple[str, dict[int, int]]]:
    """(title, buckets) for each histogram a map holds; nothing for ordinary maps.

    ``entries`` hold one value per key (per-CPU values already summed, :func:`sum_per_cpu`).
    Bare ``int`` values are a histogram only in a map named like one; a struct with a single int
    array member (``struct hist { u32 slots[N]; }``) is one by its shape.
    """
    if map_type not in HIST_MAP_TYPES and map_type not in PER_CPU_MAP_TYPES:
        return
    if key_size in (4, 8) and value_size in (4, 8):
        if max_entries <= MAX_LOG2_BUCKETS and looks_like_histogram_name(name):
            buckets = int_histogram(entries)
            if buckets is not None:
                yield "", buckets
        return
    values = [plain(value) for _key, value in entries]
    if not values or not all(isinstance(v, dict) or looks_like_histogram_name(name) for v in values):
        return
    if any(slot_array(v) is None for v in values):
        return
    for (key, _value), value in zip(entries, values, strict=True):
        title = "" if len(entries) == 1 else f"{_text(plain(key))}"
        yield title, dict(enumerate(slot_array(value) or []))


def nonzero(value: Any) -> bool:
    """False for a value that is all zeros (an array slot nothing wrote)."""
    v = plain(value)
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, list):
        return any(nonzero(x) for x in v)
    if isinstance(v, dict):
        return any(nonzero(x) for x in v.values())
    if isinstance(v, str):
        return v != ""
    return True


def dump_map(
    printer: Printer,
    name: str,
    map_type: Any,
    key_size: int,
    value_size: int,
    max_entries: int,
    entries: list[tuple[Any, Any]],
) -> None:
    """Print one map at the end of a run: as histograms if it is one, else ``key => value`` lines.

    Arrays hold every key from the start, so their zero entries are left out (and counted).
    """
    if map_type in PER_CPU_MAP_TYPES:
        entries = [(key, sum_per_cpu(plain(value))) for key, value in entries]
    hists = list(histograms_of(map_type, key_size, value_size, max_entries, entries, name=name))
    if hists:
        for title, buckets in hists:
            printer.histogram(name, title, buckets)
        return
    skipped = 0
    if map_type in (MapType.ARRAY, MapType.PERCPU_ARRAY):
        kept = [(k, v) for k, v in entries if nonzero(v)]
        skipped = len(entries) - len(kept)
        entries = kept
    printer.map_entries(name, entries, skipped_zero=skipped)


__all__ = [
    "Printer",
    "dump_map",
    "format_fields",
    "histograms_of",
    "int_histogram",
    "looks_like_histogram_name",
    "nonzero",
    "slot_array",
    "sum_per_cpu",
]
