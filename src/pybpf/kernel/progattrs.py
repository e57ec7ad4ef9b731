"""``union bpf_attr`` layouts of the commands on loaded programs: attach, links, test runs, queries.

Facts from the kernel ABI, as in :mod:`pybpf.kernel.attrs` (which re-exports these by name); kept
apart so that loading an object, which needs none of them, does not build them.
"""

from __future__ import annotations

import ctypes
from ctypes import c_int32, c_uint32, c_uint64


class ProgAttachAttr(ctypes.Structure):
    """BPF_PROG_ATTACH / BPF_PROG_DETACH.  ``target_fd`` doubles as ``target_ifindex``."""

    _fields_ = (
        ("target_fd", c_uint32),
        ("attach_bpf_fd", c_uint32),
        ("attach_type", c_uint32),
        ("attach_flags", c_uint32),
        ("replace_bpf_fd", c_uint32),
    )


class TestRunAttr(ctypes.Structure):
    """BPF_PROG_TEST_RUN (a.k.a. BPF_PROG_RUN)."""

    __test__ = False  # not a pytest class despite the name

    _fields_ = (
        ("prog_fd", c_uint32),
        ("retval", c_uint32),
        ("data_size_in", c_uint32),
        ("data_size_out", c_uint32),
        ("data_in", c_uint64),
        ("data_out", c_uint64),
        ("repeat", c_uint32),
        ("duration", c_uint32),
        ("ctx_size_in", c_uint32),
        ("ctx_size_out", c_uint32),
        ("ctx_in", c_uint64),
        ("ctx_out", c_uint64),
        ("flags", c_uint32),
        ("cpu", c_uint32),
        ("batch_size", c_uint32),
    )


class ProgQueryAttr(ctypes.Structure):
    """BPF_PROG_QUERY.  ``prog_cnt`` doubles as ``count``; ``revision`` is 6.6+ (zero before)."""

    _fields_ = (
        ("target_fd", c_uint32),
        ("attach_type", c_uint32),
        ("query_flags", c_uint32),
        ("attach_flags", c_uint32),
        ("prog_ids", c_uint64),
        ("prog_cnt", c_uint32),
        ("prog_attach_flags", c_uint64),
        # tcx/netkit queries write ``revision`` back whatever size we pass, so the struct must
        # reach it or the kernel writes past our buffer.
        ("link_ids", c_uint64),
        ("link_attach_flags", c_uint64),
        ("revision", c_uint64),
    )


class RawTracepointAttr(ctypes.Structure):
    """BPF_RAW_TRACEPOINT_OPEN (the ``cookie`` field is 6.10+; leave it out)."""

    _fields_ = (
        ("name", c_uint64),
        ("prog_fd", c_uint32),
    )


class TaskFDQueryAttr(ctypes.Structure):
    """BPF_TASK_FD_QUERY."""

    _fields_ = (
        ("pid", c_uint32),
        ("fd", c_uint32),
        ("flags", c_uint32),
        ("buf_len", c_uint32),
        ("buf", c_uint64),
        ("prog_id", c_uint32),
        ("fd_type", c_uint32),
        ("probe_offset", c_uint64),
        ("probe_addr", c_uint64),
    )


class _LinkIter(ctypes.Structure):
    _fields_ = (("iter_info", c_uint64), ("iter_info_len", c_uint32))


class _LinkPerfEvent(ctypes.Structure):
    _fields_ = (("bpf_cookie", c_uint64),)


class _LinkTracing(ctypes.Structure):
    _fields_ = (("target_btf_id", c_uint32), ("cookie", c_uint64))


class _LinkRelative(ctypes.Structure):
    """The tcx / netkit / cgroup variant: position relative to another program or link."""

    _fields_ = (("relative_fd", c_uint32), ("expected_revision", c_uint64))


class _LinkKprobeMulti(ctypes.Structure):
    _fields_ = (
        ("flags", c_uint32),
        ("cnt", c_uint32),
        ("syms", c_uint64),
        ("addrs", c_uint64),
        ("cookies", c_uint64),
    )


class _LinkUprobeMulti(ctypes.Structure):
    _fields_ = (
        ("path", c_uint64),
        ("offsets", c_uint64),
        ("ref_ctr_offsets", c_uint64),
        ("cookies", c_uint64),
        ("cnt", c_uint32),
        ("flags", c_uint32),
        ("pid", c_uint32),
    )


class _LinkNetfilter(ctypes.Structure):
    _fields_ = (("pf", c_uint32), ("hooknum", c_uint32), ("priority", c_int32), ("flags", c_uint32))


class _LinkVariant(ctypes.Union):
    _fields_ = (
        ("target_btf_id", c_uint32),
        ("iter", _LinkIter),
        ("perf_event", _LinkPerfEvent),
        ("kprobe_multi", _LinkKprobeMulti),
        ("tracing", _LinkTracing),
        ("netfilter", _LinkNetfilter),
        ("relative", _LinkRelative),
        ("uprobe_multi", _LinkUprobeMulti),
    )


class LinkCreateHead(ctypes.Structure):
    """BPF_LINK_CREATE without a type-specific part (XDP, plain cgroup, sockmap...)."""

    _fields_ = (
        ("prog_fd", c_uint32),
        ("target_fd", c_uint32),
        ("attach_type", c_uint32),
        ("flags", c_uint32),
    )


class LinkCreateAttr(ctypes.Structure):
    """BPF_LINK_CREATE.  ``prog_fd`` doubles as ``map_fd``, ``target_fd`` as ``target_ifindex``."""

    _fields_ = (*LinkCreateHead._fields_, ("variant", _LinkVariant))


class LinkUpdateAttr(ctypes.Structure):
    """BPF_LINK_UPDATE."""

    _fields_ = (
        ("link_fd", c_uint32),
        ("new_prog_fd", c_uint32),
        ("flags", c_uint32),
        ("old_prog_fd", c_uint32),
    )


class LinkDetachAttr(ctypes.Structure):
    """BPF_LINK_DETACH."""

    _fields_ = (("link_fd", c_uint32),)


class EnableStatsAttr(ctypes.Structure):
    """BPF_ENABLE_STATS."""

    _fields_ = (("type", c_uint32),)


class IterCreateAttr(ctypes.Structure):
    """BPF_ITER_CREATE."""

    _fields_ = (("link_fd", c_uint32), ("flags", c_uint32))


class ProgBindMapAttr(ctypes.Structure):
    """BPF_PROG_BIND_MAP."""

    _fields_ = (("prog_fd", c_uint32), ("map_fd", c_uint32), ("flags", c_uint32))


__all__ = [
    "EnableStatsAttr",
    "IterCreateAttr",
    "LinkCreateAttr",
    "LinkCreateHead",
    "LinkDetachAttr",
    "LinkUpdateAttr",
    "ProgAttachAttr",
    "ProgBindMapAttr",
    "ProgQueryAttr",
    "RawTracepointAttr",
    "TaskFDQueryAttr",
    "TestRunAttr",
]
