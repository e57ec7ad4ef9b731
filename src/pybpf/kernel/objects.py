"""Finding BPF objects system-wide: ids, fds by id, and pinning in bpffs.

These are how tools like ``pybpf prog list`` see objects other processes created; each id walk
opens nothing, and each fd returned is owned by an :class:`FD`.
"""

from __future__ import annotations

import errno as _errno
import os
from collections.abc import Iterator

from .._enum import ConstantEnum, KernelIntFlag
from . import attrs
from ._buffers import address, c_string
from .errors import KernelError
from .fd import FD, fd_number
from .syscall import Cmd, bpf

FdLike = FD | int


class ObjectKind(ConstantEnum):
    """The four kinds of BPF object that have system-wide ids."""

    PROG = "prog"
    MAP = "map"
    LINK = "link"
    BTF = "btf"


_NEXT_ID = {
    ObjectKind.PROG: Cmd.PROG_GET_NEXT_ID,
    ObjectKind.MAP: Cmd.MAP_GET_NEXT_ID,
    ObjectKind.LINK: Cmd.LINK_GET_NEXT_ID,
    ObjectKind.BTF: Cmd.BTF_GET_NEXT_ID,
}
_FD_BY_ID = {
    ObjectKind.PROG: Cmd.PROG_GET_FD_BY_ID,
    ObjectKind.MAP: Cmd.MAP_GET_FD_BY_ID,
    ObjectKind.LINK: Cmd.LINK_GET_FD_BY_ID,
    ObjectKind.BTF: Cmd.BTF_GET_FD_BY_ID,
}


class OpenFlags(KernelIntFlag):
    """``open_flags`` of BPF_MAP_GET_FD_BY_ID and ``file_flags`` of BPF_OBJ_GET."""

    RDWR = 0
    RDONLY = 1 << 3
    WRONLY = 1 << 4


def get_next_id(kind: ObjectKind, start_id: int = 0) -> int | None:
    """The smallest id of ``kind`` above ``start_id``; ``None`` when there is none."""
    attr = attrs.GetIdAttr(start_id=start_id)
    try:
        bpf(_NEXT_ID[kind], attr)
    except KernelError as exc:
        if exc.errno == _errno.ENOENT:
            return None
        raise
    return int(attr.next_id)


def ids(kind: ObjectKind) -> Iterator[int]:
    """Every id of ``kind`` alive now, in increasing order."""
    current = get_next_id(kind, 0)
    while current is not None:
        yield current
        current = get_next_id(kind, current)


def get_fd_by_id(kind: ObjectKind, object_id: int, open_flags: int = 0) -> FD:
    """An owned fd for the object with ``object_id``; raises :class:`ObjectNotFound`."""
    attr = attrs.GetIdAttr(start_id=object_id, open_flags=open_flags)
    raw = bpf(_FD_BY_ID[kind], attr, detail=f"{kind.value} id {object_id}")
    return FD(raw, kind.value)


def prog_get_next_id(start_id: int = 0) -> int | None:
    return get_next_id(ObjectKind.PROG, start_id)


def map_get_next_id(start_id: int = 0) -> int | None:
    return get_next_id(ObjectKind.MAP, start_id)


def link_get_next_id(start_id: int = 0) -> int | None:
    return get_next_id(ObjectKind.LINK, start_id)


def btf_get_next_id(start_id: int = 0) -> int | None:
    return get_next_id(ObjectKind.BTF, start_id)


def prog_get_fd_by_id(prog_id: int) -> FD:
    return get_fd_by_id(ObjectKind.PROG, prog_id)


def map_get_fd_by_id(map_id: int, open_flags: int = 0) -> FD:
    return get_fd_by_id(ObjectKind.MAP, map_id, open_flags)


def link_get_fd_by_id(link_id: int) -> FD:
    return get_fd_by_id(ObjectKind.LINK, link_id)


def btf_get_fd_by_id(btf_id: int) -> FD:
    return get_fd_by_id(ObjectKind.BTF, btf_id)


def obj_pin(fd: FdLike, path: str | os.PathLike[str]) -> None:
    """Pin the object behind ``fd`` at ``path`` (inside a bpffs mount) so it outlives the fd."""
    name = c_string(os.fsencode(path))
    attr = attrs.ObjPinAttr(pathname=address(name), bpf_fd=fd_number(fd))
    bpf(Cmd.OBJ_PIN, attr, detail=os.fsdecode(path))


def obj_get(path: str | os.PathLike[str], file_flags: int = 0) -> FD:
    """An owned fd for the object pinned at ``path``."""
    name = c_string(os.fsencode(path))
    attr = attrs.ObjPinAttr(pathname=address(name), file_flags=file_flags)
    return FD(bpf(Cmd.OBJ_GET, attr, detail=os.fsdecode(path)), "pinned")


__all__ = [
    "ObjectKind",
    "OpenFlags",
    "btf_get_fd_by_id",
    "btf_get_next_id",
    "get_fd_by_id",
    "get_next_id",
    "ids",
    "link_get_fd_by_id",
    "link_get_next_id",
    "map_get_fd_by_id",
    "map_get_next_id",
    "obj_get",
    "obj_pin",
    "prog_get_fd_by_id",
    "prog_get_next_id",
]
