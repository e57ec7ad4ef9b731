"""Pinning with a useful error: a path outside bpffs is named as such, not blamed on capabilities.

The kernel answers a pin outside a BPF filesystem with EPERM (or EACCES), which reads like a
missing capability; checking the filesystem magic of the target's directory first lets us say
what is really wrong and where bpffs can be found.
"""

from __future__ import annotations

import os
from pathlib import Path

from pybpf.kernel import FD, obj_pin
from pybpf.kernel.bpffs import is_bpffs

from .errors import InspectError


class NotOnBPFFS(InspectError):
    """A pin path whose directory is not on a BPF filesystem."""


def bpffs_mounts(mounts: str = "/proc/self/mounts") -> list[str]:
    """Mount points of every BPF filesystem, in mount order."""
    try:
        text = Path(mounts).read_text(errors="replace")
    except OSError:
        return []
    found: list[str] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == "bpf":
            # /proc/self/mounts escapes spaces and tabs as octal sequences.
            found.append(fields[1].replace("\\040", " ").replace("\\011", "\t"))
    return found


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists: the directory a new pin or directory lands on."""
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_pin_path(path: str | os.PathLike[str]) -> None:
    """Raise :class:`NotOnBPFFS` when ``path`` would not be created on a BPF filesystem."""
    target = Path(path)
    where = nearest_existing(target if not target.exists() or target.is_dir() else target.parent)
    if where.is_file():
        where = where.parent
    if is_bpffs(where):
        return
    mounts = bpffs_mounts()
    hint = (
        f"bpffs is mounted at {', '.join(mounts)}"
        if mounts
        else "no bpffs is mounted (mount -t bpf bpf /sys/fs/bpf)"
    )
    raise NotOnBPFFS(f"{target} is not on a BPF filesystem: {hint}")


def pin_object(fd: FD, path: str | os.PathLike[str]) -> None:
    """Pin ``fd`` at ``path`` after making sure the path is on bpffs."""
    check_pin_path(path)
    obj_pin(fd, os.fspath(path))


__all__ = ["NotOnBPFFS", "bpffs_mounts", "check_pin_path", "nearest_existing", "pin_object"]
