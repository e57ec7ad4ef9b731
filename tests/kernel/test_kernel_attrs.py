"""Our ctypes attr and info layouts against the running kernel's own BTF, as bpftool dumps it.

Hand-written layouts drift silently (one misplaced u32 shifts every later field); comparing each
field's offset with the kernel's ``union bpf_attr`` and ``struct bpf_*_info`` catches that.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from functools import cache

import pytest
from kernel_testlib import find_tool, require_kernel_feature

from pybpf.kernel import attrs

pytestmark = pytest.mark.tool

VMLINUX = "/sys/kernel/btf/vmlinux"
_TYPE = re.compile(r"^\[(\d+)\] (\w+) '([^']*)'(.*)$")
_MEMBER = re.compile(r"^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)")


@cache
def kernel_types() -> dict[int, tuple[str, str, str, list[tuple[str, int, int]]]]:
    """id -> (kind, name, rest of the line, members) from ``bpftool btf dump`` (raw format)."""
    tool = find_tool("bpftool")
    if tool is None:
        pytest.skip("bpftool not installed")
    import os

    require_kernel_feature(os.access(VMLINUX, os.R_OK), f"{VMLINUX} unreadable")
    text = subprocess.run(
        [tool, "btf", "dump", "file", VMLINUX], capture_output=True, text=True, check=True
    ).stdout
    types: dict[int, tuple[str, str, str, list[tuple[str, int, int]]]] = {}
    members: list[tuple[str, int, int]] = []
    for line in text.splitlines():
        head = _TYPE.match(line)
        if head:
            members = []
            types[int(head.group(1))] = (head.group(2), head.group(3), head.group(4), members)
            continue
        member = _MEMBER.match(line)
        if member:
            members.append((member.group(1), int(member.group(2)), int(member.group(3))))
    return types


def flatten_kernel(type_id: int, prefix: str = "", base: int = 0) -> dict[str, int]:
    """Member path -> byte offset; anonymous struct/union members are merged into their parent."""
    types = kernel_types()
    out: dict[str, int] = {}
    for name, member_type, bits in types[type_id][3]:
        offset = base + bits // 8
        kind = types[member_type][0]
        if name == "(anon)":
            out.update(flatten_kernel(member_type, prefix, offset))
            continue
        out[prefix + name] = offset
        if kind in ("STRUCT", "UNION"):
            out.update(flatten_kernel(member_type, f"{prefix}{name}.", offset))
    return out


def kernel_type_id(kind: str, name: str) -> int:
    return next(i for i, (k, n, _, _) in kernel_types().items() if k == kind and n == name)


# Our names for nesting the kernel leaves anonymous (LinkCreateAttr's variant union).
RENAME = {"variant.": "", "iter.": "", "relative.": "tcx."}


def flatten_ours(
    cls: type[ctypes.Structure | ctypes.Union], prefix: str = "", base: int = 0
) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in cls._fields_:
        name, ctype = entry[0], entry[1]
        if name.startswith("_") or name == "union":
            continue
        offset = base + getattr(cls, name).offset
        if isinstance(ctype, type) and issubclass(ctype, (ctypes.Structure, ctypes.Union)):
            nested = RENAME.get(f"{name}.", f"{name}.")
            out.update(flatten_ours(ctype, prefix + nested, offset))
        else:
            out[prefix + name] = offset
    return out


def attr_group(member: str) -> int:
    """The type id of the ``union bpf_attr`` member that is named, or contains, ``member``."""
    union = kernel_type_id("UNION", "bpf_attr")
    for name, member_type, _ in kernel_types()[union][3]:
        if name == member or (name == "(anon)" and member in flatten_kernel(member_type)):
            return member_type
    raise AssertionError(f"no bpf_attr group with {member}")


ATTR_GROUPS = [
    (attrs.MapCreateAttr, "map_type"),
    (attrs.MapElemAttr, "next_key"),
    (attrs.MapBatchAttr, "batch"),
    (attrs.ProgLoadAttr, "prog_type"),
    (attrs.ObjPinAttr, "pathname"),
    (attrs.ProgAttachAttr, "attach_bpf_fd"),
    (attrs.TestRunAttr, "test"),
    (attrs.GetIdAttr, "start_id"),
    (attrs.InfoAttr, "info"),
    (attrs.ProgQueryAttr, "query"),
    (attrs.RawTracepointAttr, "raw_tracepoint"),
    (attrs.BTFLoadAttr, "btf_log_buf"),
    (attrs.TaskFDQueryAttr, "task_fd_query"),
    (attrs.LinkCreateAttr, "link_create"),
    (attrs.LinkCreateHead, "link_create"),
    (attrs.LinkUpdateAttr, "link_update"),
    (attrs.LinkDetachAttr, "link_detach"),
    (attrs.EnableStatsAttr, "enable_stats"),
    (attrs.IterCreateAttr, "iter_create"),
    (attrs.ProgBindMapAttr, "prog_bind_map"),
]


@pytest.mark.parametrize(("ours", "member"), ATTR_GROUPS, ids=[cls.__name__ for cls, _ in ATTR_GROUPS])
def test_attr_group_fields_sit_where_the_kernel_puts_them(ours: type[ctypes.Structure], member: str) -> None:
    theirs = flatten_kernel(attr_group(member))
    mine = flatten_ours(ours)
    assert {name: theirs.get(name) for name in mine} == mine


@pytest.mark.parametrize(("ours", "member"), ATTR_GROUPS, ids=[cls.__name__ for cls, _ in ATTR_GROUPS])
def test_attr_group_fits_in_the_kernels_bpf_attr(ours: type[ctypes.Structure], member: str) -> None:
    union = kernel_type_id("UNION", "bpf_attr")
    size = int(re.search(r"size=(\d+)", kernel_types()[union][2]).group(1))  # type: ignore[union-attr]
    assert ctypes.sizeof(ours) <= size


INFO_STRUCTS = [
    (attrs.ProgInfoStruct, "bpf_prog_info"),
    (attrs.MapInfoStruct, "bpf_map_info"),
    (attrs.BTFInfoStruct, "bpf_btf_info"),
    (attrs.LinkInfoStruct, "bpf_link_info"),
]


@pytest.mark.parametrize(("ours", "name"), INFO_STRUCTS, ids=[n for _, n in INFO_STRUCTS])
def test_info_struct_fields_sit_where_the_kernel_puts_them(ours: type[ctypes.Structure], name: str) -> None:
    theirs = flatten_kernel(kernel_type_id("STRUCT", name))
    mine = flatten_ours(ours)
    assert {field: theirs.get(field) for field in mine} == mine


def test_link_info_union_starts_where_the_kernel_puts_it() -> None:
    theirs = flatten_kernel(kernel_type_id("STRUCT", "bpf_link_info"))
    assert attrs.LinkInfoStruct.union.offset == theirs["raw_tracepoint"]
