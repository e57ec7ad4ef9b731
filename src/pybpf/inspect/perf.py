"""``perf list``: programs attached through perf events and raw tracepoints, per process fd.

BPF_TASK_FD_QUERY answers for one (pid, fd); only fds that can carry such an attachment (perf
event and BPF link anon inodes) are asked, so the walk stays cheap.
"""

from __future__ import annotations

import os
from typing import Any

from pybpf._dataclasses import dataclass
from pybpf.kernel import FDType, KernelError, task_fd_query

_CANDIDATES = ("anon_inode:[perf_event]", "anon_inode:bpf_link", "anon_inode:bpf-link")
_NAMES = {
    FDType.RAW_TRACEPOINT: "raw_tracepoint",
    FDType.TRACEPOINT: "tracepoint",
    FDType.KPROBE: "kprobe",
    FDType.KRETPROBE: "kretprobe",
    FDType.UPROBE: "uprobe",
    FDType.URETPROBE: "uretprobe",
}


@dataclass(frozen=True)
class PerfAttachment:
    pid: int
    fd: int
    prog_id: int
    fd_type: int
    name: str
    probe_offset: int
    probe_addr: int

    @property
    def type_name(self) -> str:
        try:
            return _NAMES[FDType(self.fd_type)]
        except ValueError:
            return str(self.fd_type)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pid": self.pid,
            "fd": self.fd,
            "prog_id": self.prog_id,
            "fd_type": self.type_name,
        }
        if self.fd_type in (FDType.RAW_TRACEPOINT, FDType.TRACEPOINT):
            out["tracepoint"] = self.name
        elif self.fd_type in (FDType.KPROBE, FDType.KRETPROBE):
            if self.name:
                out["func"] = self.name
                out["offset"] = self.probe_offset
            else:
                out["addr"] = self.probe_addr
        else:
            out["filename"] = self.name
            out["offset"] = self.probe_offset
        return out

    def plain(self) -> str:
        head = f"pid {self.pid}  fd {self.fd}: prog_id {self.prog_id}  {self.type_name}  "
        if self.fd_type in (FDType.RAW_TRACEPOINT, FDType.TRACEPOINT):
            return head + self.name
        if self.fd_type in (FDType.KPROBE, FDType.KRETPROBE) and not self.name:
            return head + f"addr {self.probe_addr:#x}"
        return head + f"{self.name}+{self.probe_offset:#x}"


def attachments() -> list[PerfAttachment]:
    """Every perf-event / raw-tracepoint attachment of every process we may look at."""
    out: list[PerfAttachment] = []
    try:
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    except OSError:
        return out
    for pid in pids:
        try:
            fds = sorted(int(f) for f in os.listdir(f"/proc/{pid}/fd"))
        except (OSError, ValueError):
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") not in _CANDIDATES:
                    continue
                info = task_fd_query(pid, fd)
            except (OSError, KernelError):
                continue
            out.append(
                PerfAttachment(
                    pid, fd, info.prog_id, info.fd_type, info.name, info.probe_offset, info.probe_addr
                )
            )
    return out


__all__ = ["PerfAttachment", "attachments"]
