"""What every tool shares: compile its ``bpf/*.bpf.c`` once (cached), load with filters set in
``.rodata``, attach, then either stream ring buffer events or wait and read maps.

Built only on the public API (``pybpf.cc``, ``pybpf.spec``, ``pybpf.runtime``, ``pybpf.events``,
``pybpf.run.attach_all``), so each tool doubles as an example of using the library.
"""

from __future__ import annotations

import json
import select
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from pybpf._dataclasses import dataclass

from ..errors import Error
from ..events import RingBuffer
from ..run.autoattach import AttachReport, attach_all
from ..run.deadline import Deadline
from ..run.eventtypes import btf_struct
from ..run.session import build_cached
from ..spec import ObjectSpec

BPF_DIR = Path(__file__).resolve().parent / "bpf"


class ToolError(Error):
    """A tool could not start: its program did not attach, or an option is unusable."""


@dataclass
class Filters:
    """The options every tool has (bcc/libbpf-tools names)."""

    pid: int = 0
    comm: str = ""
    timestamps: bool = False
    json_lines: bool = False
    duration: float | None = None


def tool_object(name: str) -> Path:
    """The compiled object of ``bpf/NAME.bpf.c`` (built into the cache on first use)."""
    return build_cached(BPF_DIR / f"{name}.bpf.c")


@contextmanager
def loaded(name: str, rodata: Mapping[str, Any]) -> Iterator[tuple[Any, AttachReport]]:
    """Load and attach tool ``name`` with ``rodata`` set; everything is released on exit."""
    from ..runtime import load

    spec = ObjectSpec.from_file(tool_object(name))
    for key, value in rodata.items():
        spec.rodata[key] = value
    with load(spec) as obj:
        report = attach_all(obj)
        try:
            if report.skipped:
                reasons = "; ".join(f"{s.program}: {s.reason}" for s in report.skipped)
                raise ToolError(f"{name}: cannot attach ({reasons})")
            yield obj, report
        finally:
            report.close()


Row = Callable[[dict[str, Any]], list[str]]


@dataclass
class EventTool:
    """A tool printing one line per ring buffer event of ``struct NAME_event``."""

    name: str
    header: list[str]
    row: Row
    widths: list[int]

    def run(
        self,
        filters: Filters,
        stream: TextIO,
        *,
        rodata: Mapping[str, Any] | None = None,
        on_ready: Callable[[], object] | None = None,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> int:
        """Stream events until the duration ends (or Ctrl-C); returns how many were printed."""
        values = {"targ_pid": filters.pid, **(rodata or {})}
        printed = 0
        with loaded(self.name, values) as (obj, _report):
            spec_btf = obj.spec.btf
            event_type = btf_struct(spec_btf, f"{self.name}_event") if spec_btf is not None else None
            if event_type is None:
                raise ToolError(f"{self.name}: struct {self.name}_event is missing from the object's BTF")
            first_ts: list[int] = []

            def emit(view: memoryview) -> None:
                nonlocal printed
                event = event_type.decode(bytes(view))
                if filters.comm and event.get("comm") != filters.comm:
                    return
                if keep is not None and not keep(event):
                    return
                if not first_ts:
                    first_ts.append(int(event.get("ts_ns", 0)))
                printed += 1
                if filters.json_lines:
                    stream.write(json.dumps(event, default=str) + "\n")
                else:
                    cols = self.row(event)
                    if filters.timestamps:
                        cols = [f"{(int(event.get('ts_ns', 0)) - first_ts[0]) / 1e9:.6f}", *cols]
                    stream.write(self._line(cols, filters.timestamps) + "\n")
                stream.flush()

            with RingBuffer(obj.maps["events"].fd) as reader:
                if not filters.json_lines:
                    head = (["TIME(s)"] if filters.timestamps else []) + self.header
                    stream.write(self._line(head, filters.timestamps) + "\n")
                    stream.flush()
                if on_ready is not None:
                    on_ready()
                try:
                    _wait_loop(filters.duration, reader.fileno(), lambda: reader.consume_raw(emit))
                except KeyboardInterrupt:
                    pass
                reader.consume_raw(emit)
        return printed

    def _line(self, cols: list[str], with_time: bool) -> str:
        widths = ([10] if with_time else []) + self.widths
        parts = [c.ljust(w) if w else c for c, w in zip(cols, widths + [0] * len(cols), strict=False)]
        return " ".join(parts).rstrip()


def _wait_loop(duration: float | None, fd: int, drain: Callable[[], object]) -> None:
    deadline = Deadline(duration)
    while True:
        wait = deadline.next_wait(0.25)
        if wait is None:
            return
        if select.select([fd], [], [], wait)[0]:
            drain()


def sleep_for(duration: float | None, on_ready: Callable[[], object] | None = None) -> None:
    """Wait out the run of a map-reading tool; Ctrl-C ends it early, like the duration."""
    if on_ready is not None:
        on_ready()
    try:
        if duration is None:
            while True:
                time.sleep(3600)
        time.sleep(max(duration, 0.0))
    except KeyboardInterrupt:
        pass


__all__ = ["BPF_DIR", "EventTool", "Filters", "ToolError", "loaded", "sleep_for", "tool_object"]
