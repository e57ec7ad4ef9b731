"""The kernel's BTF mapped instead of read, parsed in place, with its index cache used where it lies."""

from __future__ import annotations

import gc
import mmap
import os
from pathlib import Path

import pytest

from pybpf.btf import BTF, BTFError, Kind
from pybpf.btf.encode import build
from pybpf.btf.index import _HEAD, cache_dir, cached_open
from pybpf.btf.spec import read_blob
from pybpf.btf.types import Int, IntEncoding, Member, Struct, Typedef

pytestmark = pytest.mark.kernel


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_kernel_btf_is_mapped_and_answers_as_the_bytes_do(vmlinux_btf_path: Path, vmlinux_bytes: bytes) -> None:
    blob = read_blob(vmlinux_btf_path)
    if not isinstance(blob, mmap.mmap):
        pytest.skip("this kernel does not map /sys/kernel/btf files")
    mapped, read = BTF.from_bytes(blob), BTF.from_bytes(vmlinux_bytes)
    assert mapped.data == vmlinux_bytes
    assert mapped.raw_strings == read.raw_strings
    assert mapped.strings_size == read.strings_size
    for name in ("task_struct", "sk_buff", "pid_t", "no_such_type_anywhere"):
        assert mapped.find_ids(name) == read.find_ids(name)
    task = mapped.find("task_struct", Kind.STRUCT)
    assert task == read.find("task_struct", Kind.STRUCT)
    assert mapped.type_record(task.id) == read.type_record(task.id)


def test_files_outside_sysfs_are_read(tmp_path: Path, vmlinux_bytes: bytes) -> None:
    path = tmp_path / "vmlinux"
    path.write_bytes(vmlinux_bytes[:4096])
    assert isinstance(read_blob(path), bytes)
    with pytest.raises(BTFError, match="cannot read"):
        read_blob(tmp_path / "missing")


def test_opening_and_dropping_kernel_btf_leaves_no_descriptor(
    vmlinux_btf_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    BTF.from_file(vmlinux_btf_path).find("task_struct")  # writes the index cache
    gc.collect()
    before = _fds()
    for _ in range(20):
        BTF.from_file(vmlinux_btf_path).find("task_struct")
    gc.collect()
    assert _fds() == before


def test_cached_index_gives_what_a_scan_gives(
    vmlinux_btf_path: Path, vmlinux_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    scanned = BTF.from_bytes(vmlinux_bytes)
    BTF.from_file(vmlinux_btf_path)
    cached = BTF.from_file(vmlinux_btf_path)
    assert cached._by_name is not None, "the second open should use the cache"
    assert cached._offsets == scanned._offsets
    for name in ("task_struct", "int", "list_head", "bpf_attr", "file", "no_such_type_anywhere"):
        assert cached.find_ids(name) == scanned.find_ids(name)
    assert cached._unique_strings == scanned.strings_unique()


def test_damaged_index_of_the_right_size_is_rejected_or_harmless(vmlinux_bytes: bytes, written_index: Path) -> None:
    reference = BTF.from_bytes(vmlinux_bytes)
    raw = bytearray(written_index.read_bytes())
    raw[-4 * 100 :] = b"\xff" * 400  # type indexes past the last type
    written_index.write_bytes(bytes(raw))
    damaged = cached_open(vmlinux_bytes)
    assert all(i < len(damaged) for name in ("task_struct", "int") for i in damaged.find_ids(name))
    raw[_HEAD.size + 4 * (len(reference) - 2)] ^= 0x10  # the last record's offset
    written_index.write_bytes(bytes(raw))
    again = cached_open(vmlinux_bytes)
    assert again._offsets == reference._offsets


def test_strings_are_found_in_place_with_a_prefix_or_a_flavour() -> None:
    u32 = Int(0, "u32", 4, IntEncoding.NONE, 0, 32)
    btf = build(
        [
            u32,
            Struct(0, "task___a", 4, (Member("x___y", 1, 0),)),
            Struct(0, "task___b", 4, (Member("y", 1, 0),)),
            Struct(0, "___lead", 4, (Member("z", 1, 0),)),
            Typedef(0, "task", 1),
        ]
    )
    assert sorted(btf.strings_with_prefix("task___")) == ["task___a", "task___b"]
    assert btf.strings_with_prefix("nothing") == []
    assert btf.strings_unique()
    assert sorted(btf.flavoured_strings()) == ["___lead", "task___a", "task___b", "x___y"]
    assert build([u32]).flavoured_strings() == []


def test_flavoured_strings_are_kept_by_the_index_and_match_a_full_split(
    vmlinux_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    scanned = BTF.from_bytes(vmlinux_bytes)
    expected = sorted(p.decode() for p in scanned.raw_strings.split(b"\0") if b"___" in p)
    assert sorted(scanned.flavoured_strings()) == expected
    cached_open(vmlinux_bytes)  # writes the index
    cached = cached_open(vmlinux_bytes)
    assert cached._flavoured_offsets is not None  # came from the file
    assert sorted(cached.flavoured_strings()) == expected
    (index_file,) = cache_dir().glob("*.idx")
    raw = bytearray(index_file.read_bytes())
    raw[-4:] = (1).to_bytes(4, "little")  # the last flavoured offset now points into a string
    index_file.write_bytes(bytes(raw))
    damaged = cached_open(vmlinux_bytes)
    assert sorted(damaged.flavoured_strings()) == expected
