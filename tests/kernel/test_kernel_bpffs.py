"""bpffs helpers: detection, mounting as root, a clear error otherwise."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest
from kernel_testlib import require_kernel_feature

from pybpf import kernel


def test_ensure_bpffs_without_root_explains_how_to_mount(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(kernel.PermissionDenied, match="mount -t bpf bpf"):
        kernel.ensure_bpffs(tmp_path)


@pytest.mark.kernel
def test_ensure_bpffs_as_root_mounts_a_bpffs_where_there_was_none(tmp_path: Path) -> None:
    require_kernel_feature(os.geteuid() == 0, "mounting bpffs needs root")
    target = tmp_path / "bpffs"
    assert not kernel.is_bpffs(tmp_path)
    try:
        assert kernel.ensure_bpffs(target) == str(target)
        assert kernel.is_bpffs(target)
    finally:
        ctypes.CDLL(None, use_errno=True).umount(os.fsencode(target))
    assert not kernel.is_bpffs(target)


@pytest.mark.kernel
def test_ensure_bpffs_leaves_an_existing_mount_alone(bpffs_dir: Path) -> None:
    assert kernel.ensure_bpffs(bpffs_dir.parent) == str(bpffs_dir.parent)
    assert bpffs_dir.exists()
