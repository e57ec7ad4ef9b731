"""Ids, fds by id, pinning, BTF loading and object info against the running kernel."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from kernel_testlib import MAP_ARRAY, MAP_HASH, PROG_XDP, ret

from pybpf import kernel
from pybpf.kernel import ObjectKind

pytestmark = pytest.mark.kernel


def tiny_btf() -> bytes:
    """BTF with one type, ``int`` (id 1): header, types, strings, encoded by hand."""
    strings = b"\0int\0"
    # btf_type {name_off, info (kind INT = 1 << 24), size}, then the INT encoding word:
    # signed (1 << 24), offset 0, 32 bits.
    types = struct.pack("=III", 1, 1 << 24, 4) + struct.pack("=I", (1 << 24) | 32)
    header = struct.pack("=HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return header + types + strings


def test_next_id_walk_finds_a_new_map(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as fd:
        assert kernel.map_info(fd).id in set(kernel.ids(ObjectKind.MAP))


def test_next_id_past_the_last_is_none(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as fd:
        last = max(kernel.ids(ObjectKind.MAP))
        assert last >= kernel.map_info(fd).id
        assert kernel.map_get_next_id(last) is None


@pytest.mark.parametrize("kind", [ObjectKind.MAP, ObjectKind.PROG])
def test_fd_by_id_opens_the_same_object(bpf_ok: None, kind: ObjectKind) -> None:
    if kind is ObjectKind.MAP:
        obj = kernel.map_create(MAP_HASH, 4, 4, 1, name="by_id")
        info_of = kernel.map_info
    else:
        obj = kernel.prog_load(PROG_XDP, ret(2), name="by_id")
        info_of = kernel.prog_info  # type: ignore[assignment]
    with obj:
        object_id = info_of(obj).id
        with kernel.get_fd_by_id(kind, object_id) as again:
            assert (info_of(again).id, info_of(again).name) == (object_id, "by_id")


def test_fd_by_id_of_a_missing_id_raises_object_not_found(bpf_ok: None) -> None:
    with pytest.raises(kernel.ObjectNotFound):
        kernel.prog_get_fd_by_id(0xFFFFFFF0)


def test_closing_the_last_fd_frees_the_object(bpf_ok: None) -> None:
    fd = kernel.map_create(MAP_ARRAY, 4, 4, 1)
    map_id = kernel.map_info(fd).id
    fd.close()
    with pytest.raises(kernel.ObjectNotFound):
        # Freed asynchronously (RCU): retry briefly until it has gone.
        for _ in range(2000):
            kernel.map_get_fd_by_id(map_id).close()
            os.sched_yield()


def test_pinned_map_is_reopened_by_path(bpffs_dir: Path) -> None:
    path = bpffs_dir / "counts"
    with kernel.map_create(MAP_HASH, 4, 4, 4) as fd:
        kernel.map_update(fd, b"\1\0\0\0", b"\2\0\0\0")
        kernel.obj_pin(fd, path)
    assert kernel.is_bpffs(path)
    with kernel.obj_get(path) as again:
        assert kernel.map_lookup(again, b"\1\0\0\0", 4) == b"\2\0\0\0"


def test_pinned_program_keeps_its_identity(bpffs_dir: Path) -> None:
    path = bpffs_dir / "prog"
    with kernel.prog_load(PROG_XDP, ret(1), name="pinned") as fd:
        kernel.obj_pin(fd, path)
        prog_id = kernel.prog_info(fd).id
    with kernel.obj_get(path) as again:
        assert kernel.prog_info(again).id == prog_id


def test_read_only_obj_get_refuses_updates(bpffs_dir: Path) -> None:
    path = bpffs_dir / "ro"
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as fd:
        kernel.obj_pin(fd, path)
    with kernel.obj_get(path, kernel.OpenFlags.RDONLY) as again, pytest.raises(kernel.PermissionDenied):
        kernel.map_update(again, b"\0" * 4, b"\0" * 4)


def test_is_bpffs_tells_bpffs_from_other_filesystems(bpffs_dir: Path, tmp_path: Path) -> None:
    assert (kernel.is_bpffs(bpffs_dir), kernel.is_bpffs(tmp_path)) == (True, False)


def test_obj_get_of_a_missing_path_raises_object_not_found(bpffs_dir: Path) -> None:
    with pytest.raises(kernel.ObjectNotFound):
        kernel.obj_get(bpffs_dir / "nothing")


def test_pin_outside_bpffs_is_refused(bpf_ok: None, tmp_path: Path) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as fd, pytest.raises(kernel.KernelError):
        kernel.obj_pin(fd, tmp_path / "x")


def test_hand_encoded_btf_loads_and_its_info_round_trips(bpf_ok: None) -> None:
    data = tiny_btf()
    with kernel.btf_load(data) as fd:
        info = kernel.btf_info(fd, data=True)
        assert info.id in set(kernel.ids(ObjectKind.BTF))
        with kernel.btf_get_fd_by_id(info.id) as again:
            assert kernel.btf_info(again).id == info.id
    assert (info.data, info.kernel_btf, info.size) == (data, False, len(data))


def test_kernel_btf_is_listed_as_kernel_btf(bpf_ok: None) -> None:
    first = kernel.btf_get_next_id(0)
    assert first is not None
    with kernel.btf_get_fd_by_id(first) as fd:
        info = kernel.btf_info(fd)
    assert (info.kernel_btf, info.name) == (True, "vmlinux")


def test_malformed_btf_raises_btf_load_error_with_the_log(bpf_ok: None) -> None:
    data = bytearray(tiny_btf())
    data[24 + 4 : 24 + 8] = struct.pack("=I", 99 << 24)  # unknown kind
    with pytest.raises(kernel.BTFLoadError) as caught:
        kernel.btf_load(bytes(data))
    assert "Invalid btf_info" in caught.value.log


# sk/task/inode/cgroup storage maps need BTF for their value: use the hand-encoded int.
@pytest.mark.parametrize(
    "map_type",
    [
        pytest.param(24, id="sk_storage"),
        pytest.param(28, id="inode_storage"),
        pytest.param(29, id="task_storage"),
        pytest.param(32, id="cgrp_storage"),
    ],
)
def test_local_storage_map_is_created_with_btf(bpf_ok: None, map_type: int) -> None:
    with (
        kernel.btf_load(tiny_btf()) as btf,
        kernel.map_create(
            map_type,
            4,
            4,
            0,
            kernel.MapCreateFlags.NO_PREALLOC,
            btf_fd=btf,
            btf_key_type_id=1,
            btf_value_type_id=1,
        ) as fd,
    ):
        info = kernel.map_info(fd)
    assert (info.type, info.btf_key_type_id, info.btf_value_type_id) == (map_type, 1, 1)


def test_map_info_reports_btf_ids(bpf_ok: None) -> None:
    with (
        kernel.btf_load(tiny_btf()) as btf,
        kernel.map_create(MAP_HASH, 4, 4, 1, btf_fd=btf, btf_key_type_id=1, btf_value_type_id=1) as fd,
    ):
        assert kernel.map_info(fd).btf_id == kernel.btf_info(btf).id
