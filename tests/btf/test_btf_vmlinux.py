"""The running kernel's BTF: lazy opening, the index cache, kernel struct layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.btf import BTF, Kind, Struct
from pybpf.btf.index import cache_dir, cached_open


@pytest.fixture(scope="module")
def vmlinux(vmlinux_btf_path: Path) -> BTF:
    return BTF.from_file(vmlinux_btf_path)


@pytest.mark.kernel
def test_finding_task_struct_decodes_only_what_was_asked_for(vmlinux_bytes: bytes) -> None:
    btf = BTF.from_bytes(vmlinux_bytes)
    task = btf.find("task_struct", Kind.STRUCT)
    assert isinstance(task, Struct)
    assert len(btf._cache) == 1
    assert len(btf) > 10_000


@pytest.mark.kernel
def test_task_struct_member_offsets_are_consistent_with_its_size(vmlinux: BTF) -> None:
    task = vmlinux.find("task_struct", Kind.STRUCT)
    assert isinstance(task, Struct)
    ends = [m.bit_offset + (m.bitfield_size or 8 * vmlinux.size_of(m.type_id)) for m in task.members]
    assert max(ends) <= 8 * task.size
    assert vmlinux.size_of(task.id) == task.size


@pytest.mark.kernel
def test_member_path_through_a_pointer_records_the_dereference(vmlinux: BTF) -> None:
    task = vmlinux.find("task_struct", Kind.STRUCT)
    loc = vmlinux.field(task.id, "real_parent->tgid")
    real_parent = vmlinux.field(task.id, "real_parent")
    tgid = vmlinux.field(task.id, "tgid")
    assert loc.derefs == (real_parent.byte_offset,)
    assert loc.bit_offset == tgid.bit_offset
    assert vmlinux.type_name(real_parent.type_id) == "struct task_struct *"


@pytest.mark.kernel
def test_vmlinux_is_parsed_once_per_process(vmlinux_btf_path: Path) -> None:
    assert BTF.vmlinux(vmlinux_btf_path) is BTF.vmlinux(vmlinux_btf_path)


@pytest.mark.kernel
def test_index_cache_is_written_then_reused_with_identical_results(
    vmlinux_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = cached_open(vmlinux_bytes)
    files = list(cache_dir().glob("*.idx"))
    assert len(files) == 1
    second = cached_open(vmlinux_bytes)
    assert second._offsets == first._offsets
    assert second.find("task_struct").id == first.find("task_struct").id


@pytest.mark.kernel
def test_corrupt_index_cache_is_ignored_and_rewritten(vmlinux_bytes: bytes, written_index: Path) -> None:
    reference = BTF.from_bytes(vmlinux_bytes)
    written_index.write_bytes(written_index.read_bytes()[:100])
    again = cached_open(vmlinux_bytes)
    assert again._offsets == reference._offsets
    assert written_index.stat().st_size > 100


@pytest.mark.kernel
def test_big_and_small_scans_index_the_same_records(vmlinux_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big type sections are scanned into arrays, small ones through lists: the words agree."""
    from pybpf.btf import spec

    with_arrays = BTF.from_bytes(vmlinux_bytes)
    monkeypatch.setattr(spec, "ARRAY_SCAN_BYTES", 1 << 40)
    with_lists = BTF.from_bytes(vmlinux_bytes)
    assert with_arrays._offsets.format == with_lists._offsets.format == "I"
    assert with_arrays._offsets.tobytes() == with_lists._offsets.tobytes()
    assert with_arrays._name_offs is not None and with_lists._name_offs is not None
    assert with_arrays._name_offs.tobytes() == with_lists._name_offs.tobytes()
    assert with_arrays.find("task_struct", Kind.STRUCT) == with_lists.find("task_struct", Kind.STRUCT)
