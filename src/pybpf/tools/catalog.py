"""The tools: their columns, and for the map-reading ones, how the maps become a report.

Rows are plain functions of the decoded event (a dict of the C struct's members), so the text
form stays next to the struct it shows; ``--json`` prints the dict itself.
"""

from __future__ import annotations

import ipaddress
import json
import struct
from collections.abc import Callable
from typing import Any, TextIO

from ..events import format_log2_hist
from .runner import EventTool, Filters, loaded, sleep_for
from .syscalls import syscall_name


def _exec_row(e: dict[str, Any]) -> list[str]:
    return [e["comm"], str(e["pid"]), str(e["ppid"]), str(e["uid"]), e["filename"]]


def _open_row(e: dict[str, Any]) -> list[str]:
    ret = int(e["ret"])
    fd, err = (str(ret), "0") if ret >= 0 else ("-1", str(-ret))
    return [str(e["pid"]), e["comm"], fd, err, e["fname"]]


def _exit_row(e: dict[str, Any]) -> list[str]:
    code = f"signal {e['sig']}" if e["sig"] else f"code {e['exit_code']}"
    return [e["comm"], str(e["pid"]), str(e["ppid"]), f"{int(e['age_ns']) / 1e9:.2f}", code]


def address(family: int, raw: list[int] | str) -> str:
    """The text form of an address held as four u32 words (IPv4 in the first for AF_INET)."""
    if isinstance(raw, str):
        return raw  # already converted
    data = struct.pack("<4I", *[*raw, 0, 0, 0, 0][:4])
    if family == 2:
        return str(ipaddress.IPv4Address(data[:4]))
    return str(ipaddress.IPv6Address(data[:16].ljust(16, b"\0")))


def _tcp_row(e: dict[str, Any]) -> list[str]:
    family = int(e["family"])
    return [
        str(e["pid"]),
        e["comm"],
        "4" if family == 2 else "6",
        address(family, e["saddr"]),
        address(family, e["daddr"]),
        str(e["dport"]),
    ]


def _tcp_plain(e: dict[str, Any]) -> bool:
    # The JSON form gets readable addresses too; done in place before printing.
    e["saddr"] = address(int(e["family"]), e["saddr"])
    e["daddr"] = address(int(e["family"]), e["daddr"])
    return True


EVENT_TOOLS: dict[str, EventTool] = {
    "execsnoop": EventTool(
        "execsnoop", ["PCOMM", "PID", "PPID", "UID", "FILENAME"], _exec_row, [16, 7, 7, 6]
    ),
    "opensnoop": EventTool("opensnoop", ["PID", "COMM", "FD", "ERR", "PATH"], _open_row, [7, 16, 4, 4]),
    "exitsnoop": EventTool("exitsnoop", ["PCOMM", "PID", "PPID", "AGE(s)", "EXIT"], _exit_row, [16, 7, 7, 8]),
    "tcpconnect": EventTool(
        "tcpconnect", ["PID", "COMM", "IP", "SADDR", "DADDR", "DPORT"], _tcp_row, [7, 16, 2, 16, 16]
    ),
}

#: Extra per-event filters of some tools (applied after decoding).
EVENT_FILTERS: dict[str, Callable[[dict[str, Any]], bool]] = {"tcpconnect": _tcp_plain}


def _map_tool_rodata(filters: Filters) -> dict[str, Any]:
    """Filters the map-reading tools apply in the kernel (they have no events to drop later)."""
    comm = filters.comm.encode()[:15]
    return {"targ_pid": filters.pid, "targ_comm": comm}


def syscount(
    filters: Filters,
    stream: TextIO,
    *,
    latency: bool = False,
    top: int = 10,
    on_ready: Callable[[], object] | None = None,
) -> dict[int, dict[str, int]]:
    """Count syscalls (and their total latency with ``latency``) for the duration; print the top."""
    with loaded("syscount", _map_tool_rodata(filters)) as (obj, _report):
        sleep_for(filters.duration, on_ready)
        counts = {
            int(k): {"count": int(v.count), "total_ns": int(v.total_ns)}
            for k, v in obj.maps["counts"].items()
        }
    ranked = sorted(counts.items(), key=lambda kv: -kv[1]["count"])[:top]
    if filters.json_lines:
        for nr, value in ranked:
            row: dict[str, Any] = {"syscall": syscall_name(nr), "nr": nr, "count": value["count"]}
            if latency:
                row["total_us"] = value["total_ns"] / 1000
            stream.write(json.dumps(row) + "\n")
    else:
        stream.write(f"{'SYSCALL':<22} {'COUNT':>10}" + (f" {'TIME(us)':>14}" if latency else "") + "\n")
        for nr, value in ranked:
            line = f"{syscall_name(nr):<22} {value['count']:>10}"
            if latency:
                line += f" {value['total_ns'] / 1000:>14.3f}"
            stream.write(line + "\n")
    stream.flush()
    return counts


def syslat(
    filters: Filters,
    stream: TextIO,
    *,
    syscall: int = -1,
    on_ready: Callable[[], object] | None = None,
) -> dict[int, int]:
    """A log2 histogram of syscall latency (microseconds) over raw_syscalls sys_enter/sys_exit."""
    with loaded("syscount", {**_map_tool_rodata(filters), "targ_syscall": syscall}) as (obj, _report):
        sleep_for(filters.duration, on_ready)
        buckets = {int(k): int(v) for k, v in obj.maps["hist"].items()}
    if filters.json_lines:
        stream.write(
            json.dumps({"unit": "usecs", "buckets": {str(k): v for k, v in buckets.items() if v}}) + "\n"
        )
    else:
        stream.write(format_log2_hist(buckets, "usecs") + "\n")
    stream.flush()
    return buckets


__all__ = ["EVENT_FILTERS", "EVENT_TOOLS", "address", "syscount", "syslat"]
