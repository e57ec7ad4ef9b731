"""What ``/proc`` and bpffs say about BPF objects that ``bpf()`` itself does not.

The kernel reports memlock, frozen and the prog-array owner only in ``/proc/PID/fdinfo``; which
processes hold an object is only visible by walking every process's fds; and where an object is
pinned only by walking bpffs.  All of it is best effort: processes come and go while we look.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator

from pybpf._dataclasses import dataclass
from pybpf.errors import Error
from pybpf.kernel import FD, ObjectKind, obj_get

# The anon inode names the kernel gives each kind of BPF fd, and the fdinfo line holding its id.
_ANON_KIND = {
    "anon_inode:bpf-prog": (ObjectKind.PROG, "prog_id"),
    "anon_inode:bpf-map": (ObjectKind.MAP, "map_id"),
    "anon_inode:bpf_link": (ObjectKind.LINK, "link_id"),
    "anon_inode:bpf-link": (ObjectKind.LINK, "link_id"),
    "anon_inode:btf": (ObjectKind.BTF, "btf_id"),
}


def fdinfo(fd: FD | int | str, pid: int | str = "self") -> dict[str, str]:
    """The ``key: value`` lines of ``/proc/PID/fdinfo/FD`` (empty when unreadable)."""
    out: dict[str, str] = {}
    try:
        with open(
            f"/proc/{pid}/fdinfo/{fd if isinstance(fd, str) else int(fd)}", encoding="utf-8", errors="replace"
        ) as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep:
                    out[key.strip()] = value.strip()
    except OSError:
        pass
    return out


@dataclass(frozen=True)
class Owner:
    """A process holding an fd of a BPF object (bpftool's ``pids`` entries)."""

    pid: int
    comm: str

    def plain(self) -> str:
        return f"{self.comm}({self.pid})"

    def json(self) -> dict[str, int | str]:
        return {"pid": self.pid, "comm": self.comm}


def _comm(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return "?"


def owners(kind: ObjectKind) -> dict[int, list[Owner]]:
    """Object id -> the processes (other than this one) holding an fd of it, each once."""
    found: dict[int, list[Owner]] = defaultdict(list)
    me = str(os.getpid())
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]
    except OSError:
        return {}
    for pid in pids:
        seen: set[int] = set()
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        comm: str | None = None
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            entry = _ANON_KIND.get(target)
            if entry is None or entry[0] is not kind:
                continue
            value = fdinfo(fd, pid).get(entry[1], "")
            if not value.isdigit() or int(value) in seen:
                continue
            seen.add(int(value))
            comm = comm if comm is not None else _comm(pid)
            found[int(value)].append(Owner(int(pid), comm))
    return dict(found)


def _bpffs_files(root: str) -> Iterator[str]:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            yield os.path.join(dirpath, name)


def pinned_paths(kind: ObjectKind, root: str = "/sys/fs/bpf") -> dict[int, list[str]]:
    """Object id -> bpffs paths where an object of ``kind`` is pinned (bpftool's ``-f``)."""
    found: dict[int, list[str]] = defaultdict(list)
    for path in _bpffs_files(root):
        try:
            fd = obj_get(path)
        except Error:
            continue
        with fd:
            ident = _kind_of_pin(fd, kind)
        if ident is not None:
            found[ident].append(path)
    return dict(found)


def _kind_of_pin(fd: FD, kind: ObjectKind) -> int | None:
    target = os.readlink(f"/proc/self/fd/{int(fd)}")
    expected = _ANON_KIND.get(target)
    if expected is None or expected[0] is not kind:
        return None
    value = fdinfo(fd).get(expected[1], "")
    return int(value) if value.isdigit() else None


def boot_to_wallclock(boot_ns: int) -> int:
    """Seconds since the epoch of a CLOCK_BOOTTIME timestamp (``load_time``), truncated like bpftool."""
    real = time.clock_gettime_ns(time.CLOCK_REALTIME)
    boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    return (real - boot + boot_ns) // 1_000_000_000


def format_wallclock(seconds: int) -> str:
    """``2026-12-01T20:39:57+0000``: bpftool's plain ``loaded_at`` (local time)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(seconds))


__all__ = ["Owner", "boot_to_wallclock", "fdinfo", "format_wallclock", "owners", "pinned_paths"]
