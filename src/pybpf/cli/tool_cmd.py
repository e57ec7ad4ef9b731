"""``pybpf tool NAME``: the ready-made tracing tools, with bcc/libbpf-tools style options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ..tools import EVENT_TOOLS, Filters, syscount, syslat
from ..tools.catalog import EVENT_FILTERS

_HELP = {
    "execsnoop": "Trace exec() calls: who ran what.",
    "opensnoop": "Trace openat() calls with their result.",
    "exitsnoop": "Trace process exits with exit code, signal and age.",
    "tcpconnect": "Trace active TCP connections (sockets entering SYN_SENT).",
}


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-p", "--pid", type=int, default=0, help="Only this process id."),
        click.option("-c", "--comm", default="", help="Only processes with this command name."),
        click.option("-T", "--timestamp", "timestamps", is_flag=True, help="Include a time column."),
        click.option("--json", "json_lines", is_flag=True, help="One JSON object per line."),
        click.option("-d", "--duration", type=float, default=None, help="Stop after S seconds."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(pid: int, comm: str, timestamps: bool, json_lines: bool, duration: float | None) -> Filters:
    return Filters(pid=pid, comm=comm, timestamps=timestamps, json_lines=json_lines, duration=duration)


def _event_command(name: str) -> click.Command:
    @click.command(name, help=_HELP[name])
    @_common
    def command(pid: int, comm: str, timestamps: bool, json_lines: bool, duration: float | None) -> None:
        EVENT_TOOLS[name].run(
            _filters(pid, comm, timestamps, json_lines, duration), sys.stdout, keep=EVENT_FILTERS.get(name)
        )

    return command


@click.command("syscount")
@_common
@click.option("-L", "--latency", is_flag=True, help="Also show the total time spent in each syscall.")
@click.option("-n", "--top", type=int, default=10, show_default=True, help="How many syscalls to show.")
def syscount_command(
    pid: int, comm: str, timestamps: bool, json_lines: bool, duration: float | None, latency: bool, top: int
) -> None:
    """Count syscalls by number (and their latency with -L) until Ctrl-C or the duration."""
    syscount(_filters(pid, comm, timestamps, json_lines, duration), sys.stdout, latency=latency, top=top)


@click.command("syslat")
@_common
@click.option("-s", "--syscall", type=int, default=-1, help="Only this syscall number.")
def syslat_command(
    pid: int, comm: str, timestamps: bool, json_lines: bool, duration: float | None, syscall: int
) -> None:
    """A log2 histogram of syscall latency in microseconds (raw_syscalls sys_enter/sys_exit)."""
    syslat(_filters(pid, comm, timestamps, json_lines, duration), sys.stdout, syscall=syscall)


@click.group("tool")
def tool() -> None:
    """Ready-made tracing tools built on pybpf (execsnoop, opensnoop, syscount, ...)."""


for _name in EVENT_TOOLS:
    tool.add_command(_event_command(_name))
tool.add_command(syscount_command)
tool.add_command(syslat_command)

__all__ = ["tool"]
