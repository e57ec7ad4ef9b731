"""Syscall numbers to names, read from the system's ``asm/unistd*.h`` when it is installed.

The kernel exposes no number -> name table at run time (the tracepoint formats name the
syscall but not its number), so the C headers are the one reliable source; without them the
tools print numbers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pybpf._lazy import cache

_DEFINE = re.compile(r"^#define\s+__NR_(\w+)\s+(\d+)\s*$", re.MULTILINE)
_HEADERS = {
    "x86_64": ["x86_64-linux-gnu/asm/unistd_64.h", "asm/unistd_64.h"],
    "aarch64": ["aarch64-linux-gnu/asm/unistd.h", "asm-generic/unistd.h"],
}


def parse_unistd(text: str) -> dict[int, str]:
    """``#define __NR_read 0`` lines -> {0: "read"} (the first name of a number wins)."""
    names: dict[int, str] = {}
    for name, number in _DEFINE.findall(text):
        names.setdefault(int(number), name)
    return names


@cache
def syscall_names(include_dir: str = "/usr/include") -> dict[int, str]:
    """Names of this machine's syscalls, or {} when no header is installed."""
    for relative in _HEADERS.get(os.uname().machine, []):
        path = Path(include_dir) / relative
        try:
            return parse_unistd(path.read_text(errors="replace"))
        except OSError:
            continue
    return {}


def syscall_name(number: int) -> str:
    return syscall_names().get(number, str(number))


__all__ = ["parse_unistd", "syscall_name", "syscall_names"]
