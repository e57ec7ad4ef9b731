"""tracefs: where the kernel publishes tracepoint ids and the ``bpf_printk`` output.

Tracepoint attachment needs the numeric id of ``events/<category>/<name>``, and ``bpf_printk``
writes to ``trace_pipe``; both live on tracefs, which minimal systems often leave unmounted.  This
module finds it, mounts it when allowed, and reads ``trace_pipe`` into parsed records.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import os
import re
import select
import time
from collections.abc import Iterator
from pathlib import Path

from pybpf._dataclasses import dataclass
from pybpf.errors import Error, NotSupported

CANDIDATES = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
TRACEFS_MAGIC = 0x74726163
DEBUGFS_MAGIC = 0x64626720


class TracefsError(Error):
    """tracefs is absent, cannot be mounted, or a tracing file could not be read."""


class TracepointNotFound(TracefsError, LookupError):
    """No tracepoint ``<category>/<name>`` exists on this kernel."""


def _mounted_tracefs() -> list[str]:
    """Mount points of tracefs listed in /proc/self/mountinfo (the fs type follows " - ")."""
    found: list[str] = []
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return found
    for line in text.splitlines():
        head, sep, tail = line.partition(" - ")
        fields = head.split()
        if sep and len(fields) >= 5 and tail.split()[:1] == ["tracefs"]:
            found.append(fields[4].replace("\\040", " "))
    return found


def _is_tracefs_dir(path: str) -> bool:
    # A populated tracefs has "events"; an empty mount point directory does not.
    return os.path.isdir(os.path.join(path, "events"))


def _mount(source: str, target: str, fstype: str) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    result = libc.mount(source.encode(), target.encode(), fstype.encode(), ctypes.c_ulong(0), None)
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


def find_tracefs(*, mount: bool = True) -> Path:
    """The tracefs directory; mounts it at /sys/kernel/tracing when absent and ``mount`` is true.

    Raises :class:`TracefsError` explaining what is missing (kernel support, privileges).
    """
    for path in [*_mounted_tracefs(), *CANDIDATES]:
        if _is_tracefs_dir(path):
            return Path(path)
    if not mount:
        raise TracefsError(
            "tracefs is not mounted (looked at /sys/kernel/tracing, /sys/kernel/debug/tracing)"
        )
    try:
        supported = "tracefs" in Path("/proc/filesystems").read_text(encoding="utf-8")
    except OSError:
        supported = True
    if not supported:
        raise NotSupportedTracefs("the kernel has no tracefs (CONFIG_TRACING / CONFIG_FTRACE off)")
    target = CANDIDATES[0]
    try:
        _mount("tracefs", target, "tracefs")
    except OSError as exc:
        hint = " (needs CAP_SYS_ADMIN)" if exc.errno in (_errno.EPERM, _errno.EACCES) else ""
        raise TracefsError(f"cannot mount tracefs at {target}: {exc.strerror}{hint}") from None
    if not _is_tracefs_dir(target):
        raise TracefsError(f"mounted tracefs at {target} but it has no events directory")
    return Path(target)


class NotSupportedTracefs(TracefsError, NotSupported):
    """The kernel was built without tracefs."""


def tracepoint_id(category: str, name: str, *, tracefs: Path | None = None) -> int:
    """The id of tracepoint ``category/name`` (what ``perf_event_attr.config`` takes)."""
    if not category or not name or "/" in category or "/" in name or ".." in (category, name):
        raise ValueError(f"invalid tracepoint name {category!r}/{name!r}")
    root = tracefs or find_tracefs()
    path = root / "events" / category / name / "id"
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise TracepointNotFound(f"no tracepoint {category}/{name} ({path} does not exist)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TracefsError(f"cannot read {path}: {exc}") from None
    try:
        return int(text.strip())
    except ValueError:
        raise TracefsError(f"{path} does not hold a number: {text.strip()!r}") from None


def tracepoint_exists(category: str, name: str, *, tracefs: Path | None = None) -> bool:
    """Whether ``category/name`` is a tracepoint of this kernel."""
    try:
        tracepoint_id(category, name, tracefs=tracefs)
    except TracepointNotFound:
        return False
    return True


@dataclass(frozen=True)
class TraceEvent:
    """One line of ``trace_pipe``; ``message`` is what follows the event name (bcc's ``msg``)."""

    task: str
    pid: int
    cpu: int
    flags: str
    timestamp: float
    function: str
    message: str
    line: str


# "<task>-<pid> [cpu] <flags> <secs>.<usecs>: <event>: <message>"; the task name may contain
# spaces and dashes, so the pid is the last "-digits" before the cpu field.  Some kernels print
# the tgid "( 1234)" between pid and cpu.
_LINE = re.compile(
    r"^\s*(?P<task>.*?)-(?P<pid>\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(?P<cpu>\d+)\]\s+"
    r"(?:(?P<flags>[^\s:]{4,6})\s+)?(?P<ts>\d+\.\d+):\s+(?:(?P<func>[\w.:\-]+):\s)?(?P<msg>.*)$"
)


def parse_trace_line(line: str) -> TraceEvent | None:
    """Parse one ``trace_pipe`` line; ``None`` for lines that are not events (``CPU:1 [LOST]``)."""
    match = _LINE.match(line.rstrip("\n"))
    if match is None:
        return None
    return TraceEvent(
        task=match["task"],
        pid=int(match["pid"]),
        cpu=int(match["cpu"]),
        flags=match["flags"] or "",
        timestamp=float(match["ts"]),
        function=match["func"] or "",
        message=match["msg"],
        line=line.rstrip("\n"),
    )


def open_trace_pipe(tracefs: Path | None = None) -> tuple[int, Path]:
    """A non-blocking fd on ``trace_pipe`` and its path.

    The kernel lets one process read the pipe at a time; a second gets ``EBUSY``, which the
    error says in words.
    """
    path = (tracefs or find_tracefs()) / "trace_pipe"
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), path
    except OSError as exc:
        hint = " (another process is reading it, e.g. bpftool prog tracelog)" if exc.errno == _errno.EBUSY else ""
        raise TracefsError(f"cannot open {path}: {exc.strerror}{hint}", errno=exc.errno) from None


def trace_pipe(timeout: float | None = None, *, tracefs: Path | None = None) -> Iterator[TraceEvent]:
    """Parsed events from ``trace_pipe`` (which consumes them) until ``timeout`` seconds pass.

    ``timeout=None`` reads forever; the caller stops by breaking out of the loop.
    """
    fd, path = open_trace_pipe(tracefs)
    deadline = None if timeout is None else time.monotonic() + timeout
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    pending = b""
    try:
        while True:
            wait_ms = None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                wait_ms = max(1, int(left * 1000))
            if not poller.poll(wait_ms):
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise TracefsError(f"reading {path}: {exc.strerror}") from None
            if not chunk:
                time.sleep(0.01)
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                event = parse_trace_line(raw.decode("utf-8", errors="replace"))
                if event is not None:
                    yield event
    finally:
        os.close(fd)


__all__ = [
    "NotSupportedTracefs",
    "TraceEvent",
    "TracefsError",
    "TracepointNotFound",
    "find_tracefs",
    "open_trace_pipe",
    "parse_trace_line",
    "trace_pipe",
    "tracepoint_exists",
    "tracepoint_id",
]
