"""Keys of the BTF index cache: the running kernel's BTF by boot, everything else by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.btf import BTF
from pybpf.btf.index import SUFFIX, VMLINUX, boot_key, cache_dir


@pytest.mark.parametrize("path", ["/sys/kernel/btf/nf_tables", "/tmp/vmlinux", "vmlinux", ""])
def test_files_other_than_the_kernels_own_btf_have_no_boot_key(path: str) -> None:
    assert boot_key(path, 123) is None


def test_boot_key_names_the_boot_and_the_size() -> None:
    try:
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        pytest.skip("no boot id in /proc")
    key = boot_key(VMLINUX, 5520359)
    assert key is not None
    assert boot_id in key
    assert "5520359" in key


def test_boot_key_of_a_different_size_differs() -> None:
    first, second = boot_key(VMLINUX, 1), boot_key(VMLINUX, 2)
    if first is None:
        pytest.skip("no boot id in /proc")
    assert first != second


@pytest.mark.kernel
def test_vmlinux_index_is_cached_under_the_boot_key_and_reused(
    vmlinux_btf_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = BTF.from_file(vmlinux_btf_path)
    key = boot_key(vmlinux_btf_path, len(first.data))
    if key is None:
        pytest.skip("no boot id in /proc")
    assert (cache_dir() / f"{key}{SUFFIX}").is_file()
    second = BTF.from_file(vmlinux_btf_path)
    assert second._offsets == first._offsets
    assert second.find("task_struct").id == first.find("task_struct").id
