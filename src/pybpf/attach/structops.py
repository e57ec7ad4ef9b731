"""Registering a filled ``STRUCT_OPS`` map with the kernel subsystem it implements.

There are two kinds of struct_ops map.  A ``SEC(".struct_ops.link")`` map is created with
BPF_F_LINK: filling its value only makes it ready, and BPF_LINK_CREATE on the map registers it
(unregistered when the link closes, like any other link).  A legacy ``SEC(".struct_ops")`` map
registers the moment its value is written (BPF_MAP_UPDATE_ELEM, done by the loader) and stays
registered until its element is deleted; the link for it does that delete on close.
"""

from __future__ import annotations

import os
import struct

from pybpf.enums import AttachType, MapFlags, MapType
from pybpf.kernel.fd import FD
from pybpf.kernel.info import map_info
from pybpf.kernel.links import link_create
from pybpf.kernel.maps import map_delete, map_lookup

from .._enum import KernelIntEnum
from .link import AttachError, FdSource, Link, fd_of

_KEY = bytes(4)


class StructOpsState(KernelIntEnum):
    """``enum bpf_struct_ops_state``, the second u32 of a struct_ops map's value."""

    INIT = 0
    INUSE = 1
    TOBEFREE = 2
    READY = 3


def struct_ops_state(map_fd: FdSource) -> StructOpsState:
    """Where a struct_ops map is in its life (read from the kernel's copy of the value)."""
    fd = fd_of(map_fd)
    info = map_info(fd)
    raw = map_lookup(fd, _KEY, info.value_size)
    if len(raw) < 8:
        raise AttachError(f"struct_ops map {info.name!r} has a {len(raw)}-byte value")
    state = struct.unpack_from("=I", raw, 4)[0]
    try:
        return StructOpsState(state)
    except ValueError:
        raise AttachError(f"struct_ops map {info.name!r} is in unknown state {state}") from None


def attach_struct_ops(ops_map: FdSource) -> Link:
    """Register a loaded (filled) struct_ops map; ``close()`` unregisters it."""
    fd = fd_of(ops_map)
    info = map_info(fd)
    if info.type != MapType.STRUCT_OPS:
        raise AttachError(f"map {info.name!r} is not a struct_ops map (type {info.type})")
    state = struct_ops_state(fd)
    if info.map_flags & MapFlags.LINK:
        if state is not StructOpsState.READY:
            raise AttachError(f"struct_ops map {info.name!r} is {state.name}, not READY: was it filled?")
        # BPF_LINK_CREATE takes the map fd in the slot of the program fd for struct_ops.
        link = link_create(fd, 0, AttachType.STRUCT_OPS)
        return Link(f"struct_ops {info.name}", bpf_links=[link])
    if state is not StructOpsState.INUSE:
        raise AttachError(
            f"legacy struct_ops map {info.name!r} is {state.name}: it registers when the loader writes its value"
        )
    kept = FD(os.dup(fd), "map")

    def undo() -> None:
        map_delete(kept, _KEY)

    return Link(f"struct_ops {info.name} (legacy)", fds=[kept], undo=undo)


__all__ = ["StructOpsState", "attach_struct_ops", "struct_ops_state"]
