"""Attaching programs: links (fd-owned attachments), legacy attach/detach, queries, iterators.

A link detaches when its last fd closes (unless pinned), which is why link creators here return
an owned :class:`FD`; the legacy BPF_PROG_ATTACH stays attached until explicitly detached.
"""

from __future__ import annotations

import ctypes
import errno as _errno

from pybpf._dataclasses import dataclass

from .._enum import KernelIntEnum, KernelIntFlag
from . import attrs
from ._buffers import address, c_string, in_buffer
from .errors import KernelError
from .fd import FD, fd_number
from .syscall import Cmd, bpf

FdLike = FD | int


class AttachFlags(KernelIntFlag):
    """``attach_flags`` of BPF_PROG_ATTACH and link/mprog flags (uapi ``BPF_F_*``)."""

    ALLOW_OVERRIDE = 1 << 0
    ALLOW_MULTI = 1 << 1
    REPLACE = 1 << 2
    BEFORE = 1 << 3
    AFTER = 1 << 4
    ID = 1 << 5
    LINK = 1 << 13


def link_create(
    prog_fd: FdLike,
    target_fd: int | FD,
    attach_type: int,
    flags: int = 0,
    *,
    target_btf_id: int = 0,
    iter_info: bytes | None = None,
    bpf_cookie: int | None = None,
    relative_fd: int = 0,
    expected_revision: int = 0,
) -> FD:
    """Create a link attaching ``prog_fd`` to ``target_fd`` (an fd, or an ifindex for XDP/tcx).

    Only one of the type-specific parts is used: ``target_btf_id`` (tracing/freplace),
    ``iter_info`` (iterators), ``bpf_cookie`` (perf events), ``relative_fd``/``expected_revision``
    (tcx, netkit, cgroup mprog).
    """
    info_buf = None
    attr: ctypes.Structure
    head = {
        "prog_fd": fd_number(prog_fd),
        "target_fd": int(target_fd),
        "attach_type": attach_type,
        "flags": flags,
    }
    if iter_info:
        info_buf, info_addr = in_buffer(iter_info)
        full = attrs.LinkCreateAttr(**head)
        full.variant.iter.iter_info = info_addr
        full.variant.iter.iter_info_len = len(iter_info)
        attr = full
    elif bpf_cookie is not None:
        full = attrs.LinkCreateAttr(**head)
        full.variant.perf_event.bpf_cookie = bpf_cookie
        attr = full
    elif target_btf_id:
        full = attrs.LinkCreateAttr(**head)
        full.variant.target_btf_id = target_btf_id
        attr = full
    elif relative_fd or expected_revision:
        full = attrs.LinkCreateAttr(**head)
        full.variant.relative.relative_fd = relative_fd
        full.variant.relative.expected_revision = expected_revision
        attr = full
    else:
        attr = attrs.LinkCreateHead(**head)
    try:
        raw = bpf(Cmd.LINK_CREATE, attr, detail=f"attach type {attach_type}")
    except KernelError as exc:
        from .features import refine_unknown  # only when the kernel refused

        raise refine_unknown(exc, [("bpf_attach_type", attach_type, f"attach type {attach_type}")]) from None
    del info_buf
    return FD(raw, "link")


def link_update(link_fd: FdLike, new_prog_fd: FdLike, *, old_prog_fd: FdLike | None = None) -> None:
    """Swap the link's program (atomically; with ``old_prog_fd`` only if that one is attached)."""
    flags = AttachFlags.REPLACE if old_prog_fd is not None else 0
    attr = attrs.LinkUpdateAttr(
        link_fd=fd_number(link_fd),
        new_prog_fd=fd_number(new_prog_fd),
        flags=flags,
        old_prog_fd=fd_number(old_prog_fd),
    )
    bpf(Cmd.LINK_UPDATE, attr)


def link_detach(link_fd: FdLike) -> None:
    """Detach the link now; the fd stays valid (a defunct link) until closed."""
    bpf(Cmd.LINK_DETACH, attrs.LinkDetachAttr(link_fd=fd_number(link_fd)))


def raw_tracepoint_open(name: str | None, prog_fd: FdLike) -> FD:
    """Attach a raw tracepoint (or, with ``name=None``, a tracing/LSM program) and own the link."""
    name_buf = c_string(name) if name is not None else None
    attr = attrs.RawTracepointAttr(name=address(name_buf), prog_fd=fd_number(prog_fd))
    return FD(bpf(Cmd.RAW_TRACEPOINT_OPEN, attr, detail=name or ""), "link")


def iter_create(link_fd: FdLike, flags: int = 0) -> FD:
    """Open an iterator instance from an iterator link; read the fd to run the program."""
    return FD(bpf(Cmd.ITER_CREATE, attrs.IterCreateAttr(link_fd=fd_number(link_fd), flags=flags)), "iter")


def prog_attach(
    prog_fd: FdLike,
    target_fd: int | FD,
    attach_type: int,
    flags: int = 0,
    *,
    replace_prog_fd: FdLike | None = None,
) -> None:
    """Legacy attach (cgroup, sockmap, flow dissector...): stays until :func:`prog_detach`."""
    if replace_prog_fd is not None:
        flags |= AttachFlags.REPLACE
    attr = attrs.ProgAttachAttr(
        target_fd=int(target_fd),
        attach_bpf_fd=fd_number(prog_fd),
        attach_type=attach_type,
        attach_flags=flags,
        replace_bpf_fd=fd_number(replace_prog_fd),
    )
    try:
        bpf(Cmd.PROG_ATTACH, attr, detail=f"attach type {attach_type}")
    except KernelError as exc:
        from .features import refine_unknown  # only when the kernel refused

        raise refine_unknown(exc, [("bpf_attach_type", attach_type, f"attach type {attach_type}")]) from None


def prog_detach(target_fd: int | FD, attach_type: int, prog_fd: FdLike | None = None) -> None:
    """Undo :func:`prog_attach` (``prog_fd`` picks one program of a multi-attach point)."""
    attr = attrs.ProgAttachAttr(
        target_fd=int(target_fd), attach_bpf_fd=fd_number(prog_fd), attach_type=attach_type
    )
    bpf(Cmd.PROG_DETACH, attr, detail=f"attach type {attach_type}")


@dataclass(frozen=True)
class QueryResult:
    """Programs attached at one attach point."""

    attach_flags: int
    prog_ids: list[int]


def prog_query(
    target_fd: int | FD, attach_type: int, query_flags: int = 0, *, max_progs: int = 64
) -> QueryResult:
    """Ids of the programs attached to ``target_fd`` for ``attach_type``."""
    while True:
        ids = (ctypes.c_uint32 * max_progs)()
        attr = attrs.ProgQueryAttr(
            target_fd=int(target_fd),
            attach_type=attach_type,
            query_flags=query_flags,
            prog_ids=ctypes.addressof(ids),
            prog_cnt=max_progs,
        )
        try:
            bpf(Cmd.PROG_QUERY, attr)
        except KernelError as exc:
            # ENOSPC: more programs than room; prog_cnt tells how many there are.
            if exc.errno == _errno.ENOSPC and attr.prog_cnt > max_progs:
                max_progs = int(attr.prog_cnt)
                continue
            raise
        count = min(int(attr.prog_cnt), max_progs)
        return QueryResult(attach_flags=int(attr.attach_flags), prog_ids=[int(ids[i]) for i in range(count)])


class FDType(KernelIntEnum):
    """``enum bpf_task_fd_type``: what kind of attachment an fd of a task is."""

    RAW_TRACEPOINT = 0
    TRACEPOINT = 1
    KPROBE = 2
    KRETPROBE = 3
    UPROBE = 4
    URETPROBE = 5


@dataclass(frozen=True)
class TaskFDInfo:
    """What BPF_TASK_FD_QUERY says about one fd of a task."""

    prog_id: int
    fd_type: int
    name: str
    probe_offset: int
    probe_addr: int


def task_fd_query(pid: int, fd: int | FD, flags: int = 0) -> TaskFDInfo:
    """The program attached through ``fd`` of process ``pid`` (a perf event or raw tracepoint fd)."""
    size = 256
    while True:
        buf = ctypes.create_string_buffer(size)
        attr = attrs.TaskFDQueryAttr(
            pid=pid, fd=int(fd), flags=flags, buf_len=size, buf=ctypes.addressof(buf)
        )
        try:
            bpf(Cmd.TASK_FD_QUERY, attr)
        except KernelError as exc:
            if exc.errno == _errno.ENOSPC and attr.buf_len >= size:
                size = int(attr.buf_len) + 1
                continue
            raise
        return TaskFDInfo(
            prog_id=int(attr.prog_id),
            fd_type=int(attr.fd_type),
            name=buf.value.decode("utf-8", errors="replace"),
            probe_offset=int(attr.probe_offset),
            probe_addr=int(attr.probe_addr),
        )


class StatsType(KernelIntEnum):
    """``enum bpf_stats_type``."""

    RUN_TIME = 0


def enable_stats(stats_type: int = StatsType.RUN_TIME) -> FD:
    """Turn on run-time statistics (run_cnt, run_time_ns) for as long as the fd stays open."""
    return FD(bpf(Cmd.ENABLE_STATS, attrs.EnableStatsAttr(type=stats_type)), "stats")


__all__ = [
    "AttachFlags",
    "FDType",
    "QueryResult",
    "StatsType",
    "TaskFDInfo",
    "enable_stats",
    "iter_create",
    "link_create",
    "link_detach",
    "link_update",
    "prog_attach",
    "prog_detach",
    "prog_query",
    "raw_tracepoint_open",
    "task_fd_query",
]
