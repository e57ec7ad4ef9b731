"""BPF_PROG_QUERY with the whole ``query`` attr, for attach points that write all of it.

tcx/netkit (and newer cgroup) queries write ``revision`` back, 56 bytes into the attr; a
shorter attr buffer lets the kernel write past its end into our heap.  This layout covers every
field up to ``revision`` so the kernel always writes inside memory we own.
"""

from __future__ import annotations

import ctypes
import errno as _errno

from pybpf._dataclasses import dataclass
from pybpf.kernel import FD, KernelError
from pybpf.kernel.syscall import Cmd, bpf


class _QueryAttr(ctypes.Structure):
    _fields_ = (
        ("target_fd", ctypes.c_uint32),
        ("attach_type", ctypes.c_uint32),
        ("query_flags", ctypes.c_uint32),
        ("attach_flags", ctypes.c_uint32),
        ("prog_ids", ctypes.c_uint64),
        ("count", ctypes.c_uint32),
        ("_pad", ctypes.c_uint32),
        ("prog_attach_flags", ctypes.c_uint64),
        ("link_ids", ctypes.c_uint64),
        ("link_attach_flags", ctypes.c_uint64),
        ("revision", ctypes.c_uint64),
    )


@dataclass(frozen=True)
class Query:
    """Programs at one attach point, with their link ids (0 where attached without a link)."""

    attach_flags: int
    prog_ids: list[int]
    link_ids: list[int]
    revision: int


def prog_query(target: int | FD, attach_type: int, query_flags: int = 0) -> Query:
    """The programs attached at ``target`` (an fd, or an ifindex for tcx) for ``attach_type``."""
    room = 64
    while True:
        progs = (ctypes.c_uint32 * room)()
        links = (ctypes.c_uint32 * room)()
        attr = _QueryAttr(
            target_fd=int(target),
            attach_type=attach_type,
            query_flags=query_flags,
            prog_ids=ctypes.addressof(progs),
            link_ids=ctypes.addressof(links),
            count=room,
        )
        try:
            bpf(Cmd.PROG_QUERY, attr)
        except KernelError as exc:
            if exc.errno == _errno.ENOSPC and attr.count > room:
                room = int(attr.count)
                continue
            raise
        n = min(int(attr.count), room)
        return Query(
            int(attr.attach_flags),
            [int(progs[i]) for i in range(n)],
            [int(links[i]) for i in range(n)],
            int(attr.revision),
        )


__all__ = ["Query", "prog_query"]
