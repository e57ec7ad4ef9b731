"""``pybpf run``: build, load, set globals, attach everything, stream what the programs emit,
dump the maps, and leave nothing behind.

The order of the teardown is the point of this module: links are detached before the readers
and maps close, so no program runs against a closed buffer, and every fd is released on every
exit path (duration over, Ctrl-C, SIGTERM, an error half-way through attaching).
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TextIO

from pybpf._dataclasses import dataclass, field

from ..enums import MapType
from ..errors import Error
from ..events import PerfBuffer, Reader, RecordBatch, RingBuffer
from ..spec import ObjectSpec
from ..spec.maps import MapOrigin
from ..tracefs import TracefsError, open_trace_pipe, parse_trace_line
from .autoattach import AttachReport, attach_all
from .deadline import Deadline
from .infer import Inferred
from .loading import load_skipping_refused
from .output import Printer, dump_map
from .setvars import apply_assignments
from .typecache import cached_event_types

TRACE_PRINTK = 6
TRACE_VPRINTK = 177
C_SUFFIXES = (".c",)


class RunError(Error):
    """``pybpf run`` could not start (no such file, nothing to run)."""


def cache_root() -> Path:
    base = os.environ.get("PYBPF_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "pybpf"
    return root / "run"


def build_cached(source: Path, *, cache: Path | None = None, include_dirs: tuple[Path, ...] = ()) -> Path:
    """Compile ``source`` into the cache, reusing the object while the source is unchanged.

    The key covers the source bytes and its directory's headers, so editing ``prog.h`` rebuilds.
    """
    from ..cc import build

    try:
        digest = hashlib.sha256(source.read_bytes())
        for header in sorted(source.parent.glob("*.h")):
            digest.update(header.name.encode())
            digest.update(header.read_bytes())
    except OSError as exc:
        raise RunError(f"cannot read {source}: {exc.strerror}") from None
    root = cache if cache is not None else cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "pybpf-run"
        root.mkdir(parents=True, exist_ok=True)
    output = root / f"{source.name.removesuffix('.c')}-{digest.hexdigest()[:16]}.o"
    if output.is_file():
        return output
    partial = output.with_suffix(f".{os.getpid()}.tmp")
    build(source, partial, include_dirs=[source.parent, *include_dirs])
    partial.replace(output)
    return output


def object_path(path: Path | str) -> Path:
    """The ``.bpf.o`` to run: ``path`` itself, or ``path`` compiled if it is C."""
    p = Path(path)
    if not p.exists():
        raise RunError(f"{p} does not exist")
    if p.suffix in C_SUFFIXES:
        return build_cached(p)
    return p


def uses_trace_printk(spec: ObjectSpec) -> bool:
    for prog in spec.programs.values():
        for insn in prog.instructions:
            if insn.is_helper_call and insn.imm in (TRACE_PRINTK, TRACE_VPRINTK):
                return True
    return False


@dataclass
class RunOptions:
    duration: float | None = None
    assignments: list[str] = field(default_factory=list)
    event_types: dict[str, str] = field(default_factory=dict)
    json_lines: bool = False
    runtime: str = "kernel"
    dump_maps: bool = True
    verbose: bool = False
    #: Called once every program is attached (tests start their workload here).
    on_ready: Callable[[], object] | None = None


@dataclass
class RunSummary:
    events: dict[str, int] = field(default_factory=dict)
    trace_lines: int = 0
    attached: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    interrupted: bool = False


class _Stop:
    """Set by SIGINT/SIGTERM (main thread only) or by a caller's ``stop()``."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.by_signal = False

    @contextmanager
    def signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: object) -> None:
            self.by_signal = True
            self.event.set()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


class TraceUnavailable(RunError):
    """``trace_pipe`` cannot be read; the run goes on without ``bpf_printk`` output."""


def _drain(reader: Reader[Any], sink: Callable[[memoryview], None]) -> None:
    """Every record ready now through ``sink``.  A ring buffer is emptied in batches first, so the
    producer has its space back while the records are still being decoded and printed."""
    if isinstance(reader, RingBuffer):

        def each(batch: RecordBatch) -> None:
            for view in batch:
                sink(view)

        reader.consume_batches(each)
    else:
        reader.consume_raw(sink)


class _TracePipe:
    """A non-blocking reader of ``trace_pipe`` lines (which it consumes system-wide)."""

    def __init__(self) -> None:
        try:
            self.fd, _ = open_trace_pipe()
        except TracefsError as exc:
            raise TraceUnavailable(exc.message, errno=exc.errno) from None
        self._pending = b""

    def lines(self) -> list[str]:
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        except OSError:
            return []
        data = self._pending + chunk
        *complete, self._pending = data.split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete if line.strip()]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Session:
    """One ``pybpf run`` of an object; :meth:`run` blocks until the duration ends or a stop."""

    def __init__(
        self,
        path: Path | str,
        options: RunOptions,
        *,
        stream: TextIO | None = None,
        warnings: TextIO | None = None,
    ) -> None:
        duration = options.duration
        if duration is not None and not duration > 0:
            raise RunError(f"--duration must be a positive number of seconds, got {duration:g}")
        self.path = Path(path)
        self._warnings = warnings
        self.options = options
        self.printer = Printer(stream or sys.stdout, json_lines=options.json_lines)
        self._stop = _Stop()
        self.report: AttachReport | None = None
        self.inferred: dict[str, Inferred] = {}

    def stop(self) -> None:
        """Ask a running session to finish (from another thread or a callback)."""
        self._stop.event.set()

    def run(self) -> RunSummary:
        obj_path = object_path(self.path)
        try:
            data = obj_path.read_bytes()
        except OSError as exc:
            raise RunError(f"cannot read {obj_path}: {exc.strerror}") from None
        spec = ObjectSpec.from_bytes(data, path=str(obj_path))
        if self.options.assignments:
            apply_assignments(spec, self.options.assignments)
        self.inferred = cached_event_types(spec, data, cache_root(), self.options.event_types)
        summary = RunSummary()
        with ExitStack() as stack, self._stop.signals():
            obj, refused = load_skipping_refused(spec, runtime=self.options.runtime)
            stack.enter_context(obj)
            readers = self._open_readers(obj, stack, summary)
            trace = self._open_trace() if uses_trace_printk(spec) else None
            if trace is not None:
                stack.callback(trace.close)
            report = attach_all(obj)
            report.skipped[:0] = refused
            self.report = report
            stack.callback(report.close)  # runs first: programs stop before readers close
            summary.attached = report.attached
            summary.skipped = [f"{s.program}: {s.reason}" for s in report.skipped]
            for line in report.describe():
                self.printer.info(line)
            for name, out in report.iter_output.items():
                for text in out.decode("utf-8", "replace").splitlines():
                    self.printer.iter_line(name, text)
            if self.options.verbose:
                for inferred in self.inferred.values():
                    self.printer.info(f"events of {inferred.map}: {inferred.reason}")
            if self.options.on_ready is not None:
                self.options.on_ready()
            try:
                self._loop(readers, trace, summary)
            except KeyboardInterrupt:
                summary.interrupted = True
            summary.interrupted = summary.interrupted or self._stop.by_signal
            report.close()
            for name, reader in readers.items():
                _drain(reader, self._event_sink(name, summary))
            if self.options.dump_maps:
                self._dump_maps(obj)
        return summary

    def warn(self, message: str) -> None:
        """A problem the run survives: on stderr, so it never mixes into JSON or piped events."""
        stream = self._warnings if self._warnings is not None else sys.stderr
        stream.write(f"pybpf run: warning: {message}\n")
        stream.flush()

    def _open_trace(self) -> _TracePipe | None:
        try:
            return _TracePipe()
        except (TraceUnavailable, TracefsError) as exc:
            self.warn(f"trace output (bpf_printk) unavailable: {exc}")
            return None

    def _open_readers(self, obj: Any, stack: ExitStack, summary: RunSummary) -> dict[str, Reader[Any]]:
        readers: dict[str, Reader[Any]] = {}
        for name in self.inferred:
            live = obj.maps.get(name)
            if live is None:
                continue
            reader: Reader[Any] = RingBuffer(live.fd) if live.type == MapType.RINGBUF else PerfBuffer(live.fd)
            stack.callback(reader.close)
            readers[name] = reader
            summary.events[name] = 0
        self.printer.prefix_maps = len(readers) > 1
        return readers

    def _event_sink(self, name: str, summary: RunSummary) -> Callable[[memoryview], None]:
        event_type = self.inferred[name].type

        def sink(view: memoryview) -> None:
            summary.events[name] = summary.events.get(name, 0) + 1
            self.printer.event(name, event_type.decode(bytes(view)))

        return sink

    def _loop(self, readers: dict[str, Reader[Any]], trace: _TracePipe | None, summary: RunSummary) -> None:
        deadline = Deadline(self.options.duration)
        by_fd: dict[int, str] = {reader.fileno(): name for name, reader in readers.items()}
        sinks = {name: self._event_sink(name, summary) for name in readers}
        watch = list(by_fd) + ([trace.fd] if trace is not None else [])
        while not self._stop.event.is_set():
            wait = deadline.next_wait(0.2)
            if wait is None:
                return
            if not watch:
                time.sleep(wait)
                continue
            ready = select.select(watch, [], [], wait)[0]
            for fd in ready:
                if trace is not None and fd == trace.fd:
                    for line in trace.lines():
                        event = parse_trace_line(line)
                        summary.trace_lines += 1
                        if event is None:
                            self.printer.trace("", 0, line, line)
                        else:
                            self.printer.trace(event.task.strip(), event.pid, event.message, line)
                    continue
                name = by_fd[fd]
                _drain(readers[name], sinks[name])

    def _dump_maps(self, obj: Any) -> None:
        for name, live in obj.maps.items():
            spec = obj.spec.maps.get(name)
            if spec is None or name in self.inferred:
                continue
            if spec.origin not in (MapOrigin.USER, MapOrigin.BTF, MapOrigin.LEGACY):
                continue
            if live.type not in (
                MapType.HASH,
                MapType.ARRAY,
                MapType.PERCPU_HASH,
                MapType.PERCPU_ARRAY,
                MapType.LRU_HASH,
                MapType.LRU_PERCPU_HASH,
            ):
                continue
            try:
                entries = list(live.items())
            except Error as exc:
                self.printer.info(f"map {name}: cannot read ({exc})")
                continue
            dump_map(self.printer, name, live.type, live.key_size, live.value_size, live.max_entries, entries)


def run(
    path: Path | str,
    options: RunOptions | None = None,
    *,
    stream: TextIO | None = None,
    warnings: TextIO | None = None,
) -> RunSummary:
    """Run ``path`` (``*.bpf.c`` or ``*.bpf.o``) as ``pybpf run`` does; see :class:`RunOptions`.

    Warnings (no trace output, ...) go to ``warnings``, stderr by default.
    """
    return Session(path, options or RunOptions(), stream=stream, warnings=warnings).run()


__all__ = [
    "RunError",
    "RunOptions",
    "RunSummary",
    "Session",
    "TraceUnavailable",
    "build_cached",
    "object_path",
    "run",
    "uses_trace_printk",
]
