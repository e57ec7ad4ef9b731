"""``union bpf_attr`` and the ``bpf_*_info`` structures as ctypes layouts.

The layouts of the object commands (map, program and BTF creation, elements, pins, ids) are here;
those of the commands on loaded programs (:mod:`.progattrs`) and the info records
(:mod:`.infostructs`) are importable from here by name too.  Facts from the kernel ABI (uapi ``linux/bpf.h``, checked against the running kernel's BTF in the
tests).  Each command group is its own Structure ending at the last field pybpf fills, so the
size passed to the kernel never covers fields an older kernel does not know.  Pointers travel as
``u64`` addresses; anonymous unions keep their first member's name (aliases noted).
"""

from __future__ import annotations

import ctypes
from ctypes import c_char, c_uint32, c_uint64

from pybpf._typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .infostructs import BTFInfoStruct, LinkInfoStruct, MapInfoStruct, ProgInfoStruct
    from .progattrs import (
        EnableStatsAttr,
        IterCreateAttr,
        LinkCreateAttr,
        LinkCreateHead,
        LinkDetachAttr,
        LinkUpdateAttr,
        ProgAttachAttr,
        ProgBindMapAttr,
        ProgQueryAttr,
        RawTracepointAttr,
        TaskFDQueryAttr,
        TestRunAttr,
    )

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


# The layouts of commands on loaded programs and of the info records live in their own modules:
# a load builds only the few above, and each ctypes layout costs its class creation.
__getattr__ = lazy_attributes(
    __name__,
    {
        "EnableStatsAttr": ("pybpf.kernel.progattrs", "EnableStatsAttr"),
        "IterCreateAttr": ("pybpf.kernel.progattrs", "IterCreateAttr"),
        "LinkCreateAttr": ("pybpf.kernel.progattrs", "LinkCreateAttr"),
        "LinkCreateHead": ("pybpf.kernel.progattrs", "LinkCreateHead"),
        "LinkDetachAttr": ("pybpf.kernel.progattrs", "LinkDetachAttr"),
        "LinkUpdateAttr": ("pybpf.kernel.progattrs", "LinkUpdateAttr"),
        "ProgAttachAttr": ("pybpf.kernel.progattrs", "ProgAttachAttr"),
        "ProgBindMapAttr": ("pybpf.kernel.progattrs", "ProgBindMapAttr"),
        "ProgQueryAttr": ("pybpf.kernel.progattrs", "ProgQueryAttr"),
        "RawTracepointAttr": ("pybpf.kernel.progattrs", "RawTracepointAttr"),
        "TaskFDQueryAttr": ("pybpf.kernel.progattrs", "TaskFDQueryAttr"),
        "TestRunAttr": ("pybpf.kernel.progattrs", "TestRunAttr"),
        "BTFInfoStruct": ("pybpf.kernel.infostructs", "BTFInfoStruct"),
        "LinkInfoStruct": ("pybpf.kernel.infostructs", "LinkInfoStruct"),
        "MapInfoStruct": ("pybpf.kernel.infostructs", "MapInfoStruct"),
        "ProgInfoStruct": ("pybpf.kernel.infostructs", "ProgInfoStruct"),
    },
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
