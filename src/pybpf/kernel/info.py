"""BPF_OBJ_GET_INFO_BY_FD as dataclasses.

The kernel fills as much of the info structure as both sides know and writes back the length it
used, so one layout works on older and newer kernels.  Arrays (map ids, translated and JITed
instructions) need a second call: the first tells their lengths, the second supplies buffers.
"""

from __future__ import annotations

import ctypes
import struct
from typing import TypeVar

from pybpf._dataclasses import dataclass, field

from ..enums import LinkType
from . import attrs
from ._buffers import out_buffer
from .fd import FD, fd_number
from .syscall import Cmd, bpf

FdLike = FD | int
S = TypeVar("S", bound=ctypes.Structure)


def obj_get_info_by_fd(fd: FdLike, info: S) -> tuple[S, int]:
    """Fill ``info`` for ``fd``; returns it and the number of bytes the kernel wrote."""
    attr = attrs.InfoAttr(bpf_fd=fd_number(fd), info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
    bpf(Cmd.OBJ_GET_INFO_BY_FD, attr)
    return info, int(attr.info_len)


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class ProgInfo:
    """``struct bpf_prog_info``, with the arrays that were asked for."""

    type: int
    id: int
    tag: bytes
    name: str
    jited_prog_len: int
    xlated_prog_len: int
    load_time: int
    created_by_uid: int
    map_ids: list[int]
    ifindex: int
    gpl_compatible: bool
    netns_dev: int
    netns_ino: int
    btf_id: int
    nr_func_info: int
    nr_line_info: int
    run_time_ns: int
    run_cnt: int
    recursion_misses: int
    verified_insns: int
    attach_btf_obj_id: int
    attach_btf_id: int
    xlated_insns: bytes | None = None
    jited_insns: bytes | None = None

    @property
    def tag_hex(self) -> str:
        """The tag as bpftool prints it."""
        return self.tag.hex()


def prog_info(fd: FdLike, *, xlated: bool = False, jited: bool = False) -> ProgInfo:
    """Info about a loaded program; map ids always, instructions when asked."""
    first, _ = obj_get_info_by_fd(fd, attrs.ProgInfoStruct())
    info = first
    nr_maps = int(first.nr_map_ids)
    map_ids = (ctypes.c_uint32 * max(nr_maps, 1))()
    xbuf = jbuf = None
    if nr_maps or xlated or jited:
        second = attrs.ProgInfoStruct()
        if nr_maps:
            second.nr_map_ids = nr_maps
            second.map_ids = ctypes.addressof(map_ids)
        if xlated and first.xlated_prog_len:
            xbuf, second.xlated_prog_insns = out_buffer(first.xlated_prog_len)
            second.xlated_prog_len = first.xlated_prog_len
        if jited and first.jited_prog_len:
            jbuf, second.jited_prog_insns = out_buffer(first.jited_prog_len)
            second.jited_prog_len = first.jited_prog_len
        info, _ = obj_get_info_by_fd(fd, second)
        nr_maps = min(nr_maps, int(info.nr_map_ids))
    return ProgInfo(
        type=int(info.type),
        id=int(info.id),
        tag=bytes(info.tag),
        name=_name(info.name),
        jited_prog_len=int(first.jited_prog_len),
        xlated_prog_len=int(first.xlated_prog_len),
        load_time=int(info.load_time),
        created_by_uid=int(info.created_by_uid),
        map_ids=[int(map_ids[i]) for i in range(nr_maps)],
        ifindex=int(info.ifindex),
        gpl_compatible=bool(info.gpl_compatible),
        netns_dev=int(info.netns_dev),
        netns_ino=int(info.netns_ino),
        btf_id=int(info.btf_id),
        nr_func_info=int(info.nr_func_info),
        nr_line_info=int(info.nr_line_info),
        run_time_ns=int(info.run_time_ns),
        run_cnt=int(info.run_cnt),
        recursion_misses=int(info.recursion_misses),
        verified_insns=int(info.verified_insns),
        attach_btf_obj_id=int(info.attach_btf_obj_id),
        attach_btf_id=int(info.attach_btf_id),
        xlated_insns=xbuf.raw[: info.xlated_prog_len] if xbuf is not None else None,
        jited_insns=jbuf.raw[: info.jited_prog_len] if jbuf is not None else None,
    )


@dataclass(frozen=True)
class MapInfo:
    """``struct bpf_map_info``."""

    type: int
    id: int
    key_size: int
    value_size: int
    max_entries: int
    map_flags: int
    name: str
    ifindex: int
    btf_vmlinux_value_type_id: int
    netns_dev: int
    netns_ino: int
    btf_id: int
    btf_key_type_id: int
    btf_value_type_id: int
    btf_vmlinux_id: int
    map_extra: int


def map_info(fd: FdLike) -> MapInfo:
    """Info about a map (its definition and BTF ids)."""
    info, _ = obj_get_info_by_fd(fd, attrs.MapInfoStruct())
    return MapInfo(
        type=int(info.type),
        id=int(info.id),
        key_size=int(info.key_size),
        value_size=int(info.value_size),
        max_entries=int(info.max_entries),
        map_flags=int(info.map_flags),
        name=_name(info.name),
        ifindex=int(info.ifindex),
        btf_vmlinux_value_type_id=int(info.btf_vmlinux_value_type_id),
        netns_dev=int(info.netns_dev),
        netns_ino=int(info.netns_ino),
        btf_id=int(info.btf_id),
        btf_key_type_id=int(info.btf_key_type_id),
        btf_value_type_id=int(info.btf_value_type_id),
        btf_vmlinux_id=int(info.btf_vmlinux_id),
        map_extra=int(info.map_extra),
    )


@dataclass(frozen=True)
class BTFInfo:
    """``struct bpf_btf_info``; ``data`` is the raw BTF when asked for."""

    id: int
    name: str
    kernel_btf: bool
    size: int
    data: bytes | None = None


def btf_info(fd: FdLike, *, data: bool = False) -> BTFInfo:
    """Info about a BTF object; ``data=True`` also fetches its raw bytes."""
    name_buf, name_addr = out_buffer(256)
    first_struct = attrs.BTFInfoStruct(name=name_addr, name_len=256)
    info, _ = obj_get_info_by_fd(fd, first_struct)
    raw: bytes | None = None
    if data:
        size = int(info.btf_size)
        buf, addr = out_buffer(size)
        again = attrs.BTFInfoStruct(btf=addr, btf_size=size, name=name_addr, name_len=256)
        info, _ = obj_get_info_by_fd(fd, again)
        raw = buf.raw[: min(size, int(info.btf_size))]
    return BTFInfo(
        id=int(info.id),
        name=_name(name_buf.raw),
        kernel_btf=bool(info.kernel_btf),
        size=int(info.btf_size),
        data=raw,
    )


@dataclass(frozen=True)
class LinkInfo:
    """``struct bpf_link_info``: the common part, plus the type-specific fields we decode."""

    type: int
    id: int
    prog_id: int
    details: dict[str, int | str] = field(default_factory=dict)
    raw: bytes = b""


def link_info(fd: FdLike) -> LinkInfo:
    """Info about a link; names (tracepoint, iterator target) are fetched in a second call."""
    info, _ = obj_get_info_by_fd(fd, attrs.LinkInfoStruct())
    kind = int(info.type)
    union = bytes(info.union)
    details: dict[str, int | str] = {}
    if kind in (LinkType.RAW_TRACEPOINT, LinkType.ITER):
        # Both start with (u64 name pointer, u32 name length): ask again with a buffer.
        length = struct.unpack_from("=I", union, 8)[0]
        if length:
            name_buf, addr = out_buffer(length)
            again = attrs.LinkInfoStruct()
            struct.pack_into("=QI", again.union, 0, addr, length)
            info, _ = obj_get_info_by_fd(fd, again)
            union = bytes(info.union)
            key = "tp_name" if kind == LinkType.RAW_TRACEPOINT else "target_name"
            details[key] = _name(name_buf.raw)
        if kind == LinkType.ITER:
            details["map_id"] = struct.unpack_from("=I", union, 12)[0]
    elif kind == LinkType.TRACING:
        attach_type, obj_id, btf_id = struct.unpack_from("=III", union, 0)
        details.update(attach_type=attach_type, target_obj_id=obj_id, target_btf_id=btf_id)
    elif kind == LinkType.CGROUP:
        cgroup_id, attach_type = struct.unpack_from("=QI", union, 0)
        details.update(cgroup_id=cgroup_id, attach_type=attach_type)
    elif kind == LinkType.NETNS:
        netns_ino, attach_type = struct.unpack_from("=II", union, 0)
        details.update(netns_ino=netns_ino, attach_type=attach_type)
    elif kind == LinkType.XDP:
        details["ifindex"] = struct.unpack_from("=I", union, 0)[0]
    elif kind in (LinkType.TCX, LinkType.NETKIT):
        ifindex, attach_type = struct.unpack_from("=II", union, 0)
        details.update(ifindex=ifindex, attach_type=attach_type)
    return LinkInfo(type=kind, id=int(info.id), prog_id=int(info.prog_id), details=details, raw=union)


__all__ = [
    "BTFInfo",
    "LinkInfo",
    "MapInfo",
    "ProgInfo",
    "btf_info",
    "link_info",
    "map_info",
    "obj_get_info_by_fd",
    "prog_info",
]
