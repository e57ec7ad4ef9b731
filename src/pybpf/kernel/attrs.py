"""``union bpf_attr`` and the ``bpf_*_info`` structures as ctypes layouts.

Facts from the kernel ABI (uapi ``linux/bpf.h``, checked against the running kernel's BTF in the
tests).  Each command group is its own Structure ending at the last field pybpf fills, so the
size passed to the kernel never covers fields an older kernel does not know.  Pointers travel as
``u64`` addresses; anonymous unions keep their first member's name (aliases noted).
"""

from __future__ import annotations

import ctypes
from ctypes import c_char, c_int32, c_uint8, c_uint32, c_uint64

OBJ_NAME_LEN = 16


class MapCreateAttr(ctypes.Structure):
    """BPF_MAP_CREATE."""

    _fields_ = (
        ("map_type", c_uint32),
        ("key_size", c_uint32),
        ("value_size", c_uint32),
        ("max_entries", c_uint32),
        ("map_flags", c_uint32),
        ("inner_map_fd", c_uint32),
        ("numa_node", c_uint32),
        ("map_name", c_char * OBJ_NAME_LEN),
        ("map_ifindex", c_uint32),
        ("btf_fd", c_uint32),
        ("btf_key_type_id", c_uint32),
        ("btf_value_type_id", c_uint32),
        ("btf_vmlinux_value_type_id", c_uint32),
        ("map_extra", c_uint64),
    )


class MapElemAttr(ctypes.Structure):
    """BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM, FREEZE.

    ``value`` doubles as ``next_key`` (a union in the kernel).
    """

    _fields_ = (
        ("map_fd", c_uint32),
        ("key", c_uint64),
        ("value", c_uint64),
        ("flags", c_uint64),
    )


class MapBatchAttr(ctypes.Structure):
    """BPF_MAP_*_BATCH."""

    _fields_ = (
        ("in_batch", c_uint64),
        ("out_batch", c_uint64),
        ("keys", c_uint64),
        ("values", c_uint64),
        ("count", c_uint32),
        ("map_fd", c_uint32),
        ("elem_flags", c_uint64),
        ("flags", c_uint64),
    )


class ProgLoadAttr(ctypes.Structure):
    """BPF_PROG_LOAD.  ``attach_prog_fd`` doubles as ``attach_btf_obj_fd``.

    Kernels before 6.4 do not know ``log_true_size``; they accept it because it is zero on input
    (the kernel only insists that bytes past its own layout are zero).
    """

    _fields_ = (
        ("prog_type", c_uint32),
        ("insn_cnt", c_uint32),
        ("insns", c_uint64),
        ("license", c_uint64),
        ("log_level", c_uint32),
        ("log_size", c_uint32),
        ("log_buf", c_uint64),
        ("kern_version", c_uint32),
        ("prog_flags", c_uint32),
        ("prog_name", c_char * OBJ_NAME_LEN),
        ("prog_ifindex", c_uint32),
        ("expected_attach_type", c_uint32),
        ("prog_btf_fd", c_uint32),
        ("func_info_rec_size", c_uint32),
        ("func_info", c_uint64),
        ("func_info_cnt", c_uint32),
        ("line_info_rec_size", c_uint32),
        ("line_info", c_uint64),
        ("line_info_cnt", c_uint32),
        ("attach_btf_id", c_uint32),
        ("attach_prog_fd", c_uint32),
        ("core_relo_cnt", c_uint32),
        ("fd_array", c_uint64),
        ("core_relos", c_uint64),
        ("core_relo_rec_size", c_uint32),
        ("log_true_size", c_uint32),
    )


class ObjPinAttr(ctypes.Structure):
    """BPF_OBJ_PIN / BPF_OBJ_GET."""

    _fields_ = (
        ("pathname", c_uint64),
        ("bpf_fd", c_uint32),
        ("file_flags", c_uint32),
    )


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


class GetIdAttr(ctypes.Structure):
    """BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID.  ``start_id`` doubles as prog/map/btf/link_id."""

    _fields_ = (
        ("start_id", c_uint32),
        ("next_id", c_uint32),
        ("open_flags", c_uint32),
    )


class InfoAttr(ctypes.Structure):
    """BPF_OBJ_GET_INFO_BY_FD."""

    _fields_ = (
        ("bpf_fd", c_uint32),
        ("info_len", c_uint32),
        ("info", c_uint64),
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


class BTFLoadAttr(ctypes.Structure):
    """BPF_BTF_LOAD (``btf_log_true_size``, 6.4+, is written by the kernel; older ones see zero)."""

    _fields_ = (
        ("btf", c_uint64),
        ("btf_log_buf", c_uint64),
        ("btf_size", c_uint32),
        ("btf_log_size", c_uint32),
        ("btf_log_level", c_uint32),
        ("btf_log_true_size", c_uint32),
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


# --- the info structures filled by BPF_OBJ_GET_INFO_BY_FD -------------------------------------


class ProgInfoStruct(ctypes.Structure):
    """``struct bpf_prog_info``."""

    _fields_ = (
        ("type", c_uint32),
        ("id", c_uint32),
        ("tag", c_uint8 * 8),
        ("jited_prog_len", c_uint32),
        ("xlated_prog_len", c_uint32),
        ("jited_prog_insns", c_uint64),
        ("xlated_prog_insns", c_uint64),
        ("load_time", c_uint64),
        ("created_by_uid", c_uint32),
        ("nr_map_ids", c_uint32),
        ("map_ids", c_uint64),
        ("name", c_char * OBJ_NAME_LEN),
        ("ifindex", c_uint32),
        ("gpl_compatible", c_uint32, 1),
        ("netns_dev", c_uint64),
        ("netns_ino", c_uint64),
        ("nr_jited_ksyms", c_uint32),
        ("nr_jited_func_lens", c_uint32),
        ("jited_ksyms", c_uint64),
        ("jited_func_lens", c_uint64),
        ("btf_id", c_uint32),
        ("func_info_rec_size", c_uint32),
        ("func_info", c_uint64),
        ("nr_func_info", c_uint32),
        ("nr_line_info", c_uint32),
        ("line_info", c_uint64),
        ("jited_line_info", c_uint64),
        ("nr_jited_line_info", c_uint32),
        ("line_info_rec_size", c_uint32),
        ("jited_line_info_rec_size", c_uint32),
        ("nr_prog_tags", c_uint32),
        ("prog_tags", c_uint64),
        ("run_time_ns", c_uint64),
        ("run_cnt", c_uint64),
        ("recursion_misses", c_uint64),
        ("verified_insns", c_uint32),
        ("attach_btf_obj_id", c_uint32),
        ("attach_btf_id", c_uint32),
    )


class MapInfoStruct(ctypes.Structure):
    """``struct bpf_map_info``."""

    _fields_ = (
        ("type", c_uint32),
        ("id", c_uint32),
        ("key_size", c_uint32),
        ("value_size", c_uint32),
        ("max_entries", c_uint32),
        ("map_flags", c_uint32),
        ("name", c_char * OBJ_NAME_LEN),
        ("ifindex", c_uint32),
        ("btf_vmlinux_value_type_id", c_uint32),
        ("netns_dev", c_uint64),
        ("netns_ino", c_uint64),
        ("btf_id", c_uint32),
        ("btf_key_type_id", c_uint32),
        ("btf_value_type_id", c_uint32),
        ("btf_vmlinux_id", c_uint32),
        ("map_extra", c_uint64),
    )


class BTFInfoStruct(ctypes.Structure):
    """``struct bpf_btf_info``."""

    _fields_ = (
        ("btf", c_uint64),
        ("btf_size", c_uint32),
        ("id", c_uint32),
        ("name", c_uint64),
        ("name_len", c_uint32),
        ("kernel_btf", c_uint32),
    )


class LinkInfoStruct(ctypes.Structure):
    """``struct bpf_link_info``: the type-specific union is kept as raw bytes, decoded in info.py."""

    _fields_ = (
        ("type", c_uint32),
        ("id", c_uint32),
        ("prog_id", c_uint32),
        ("_pad", c_uint32),
        ("union", c_uint8 * 64),
    )


__all__ = [
    "OBJ_NAME_LEN",
    "BTFInfoStruct",
    "BTFLoadAttr",
    "EnableStatsAttr",
    "GetIdAttr",
    "InfoAttr",
    "IterCreateAttr",
    "LinkCreateAttr",
    "LinkCreateHead",
    "LinkDetachAttr",
    "LinkInfoStruct",
    "LinkUpdateAttr",
    "MapBatchAttr",
    "MapCreateAttr",
    "MapElemAttr",
    "MapInfoStruct",
    "ObjPinAttr",
    "ProgAttachAttr",
    "ProgBindMapAttr",
    "ProgInfoStruct",
    "ProgLoadAttr",
    "ProgQueryAttr",
    "RawTracepointAttr",
    "TaskFDQueryAttr",
    "TestRunAttr",
]
