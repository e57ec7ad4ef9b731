"""Pin paths outside bpffs, ``--json`` errors, and ``prog load`` cleaning up after a failure."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybpf.inspect import pinning
from pybpf.kernel.bpffs import is_bpffs
from testlib import require_kernel_feature

BPFFS = Path("/sys/fs/bpf")


def pybpf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pybpf", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def bpffs_path() -> Iterator[Path]:
    require_kernel_feature(is_bpffs(BPFFS), "no bpffs at /sys/fs/bpf")
    path = BPFFS / f"pybpf-test-pinning-{uuid.uuid4().hex[:12]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(
    ("mounts", "expected"),
    [
        ("bpf /sys/fs/bpf bpf rw,nosuid 0 0\nproc /proc proc rw 0 0\n", ["/sys/fs/bpf"]),
        ("bpf /a\\040b bpf rw 0 0\n", ["/a b"]),
        ("proc /proc proc rw 0 0\nbroken\n", []),
    ],
)
def test_bpffs_mount_points_come_from_the_mount_table(
    tmp_path: Path, mounts: str, expected: list[str]
) -> None:
    table = tmp_path / "mounts"
    table.write_text(mounts)
    assert pinning.bpffs_mounts(str(table)) == expected


def test_a_pin_path_outside_bpffs_is_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(pinning.NotOnBPFFS, match="not on a BPF filesystem"):
        pinning.check_pin_path(tmp_path / "deeper" / "pin")


def test_a_pin_path_in_bpffs_passes_the_check(bpffs_path: Path) -> None:
    pinning.check_pin_path(bpffs_path / "sub" / "pin")


@pytest.mark.kernel
def test_prog_pin_outside_bpffs_says_where_bpffs_is_mounted(tmp_path: Path) -> None:
    require_kernel_feature(is_bpffs(BPFFS), "no bpffs at /sys/fs/bpf")
    done = pybpf(
        "map", "create", str(tmp_path / "m"), "type", "array", "key", "4", "value", "4", "entries", "1"
    )
    assert done.returncode == 1
    assert "not on a BPF filesystem" in done.stderr and str(BPFFS) in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("prog", "show", "id", "4294967295", "--json"),
        ("map", "show", "id", "4294967295", "-j"),
        ("link", "show", "id", "4294967295", "--json"),
        ("btf", "show", "id", "4294967295", "--json"),
    ],
)
def test_errors_under_json_are_a_json_object_on_stdout(args: tuple[str, ...]) -> None:
    done = pybpf(*args)
    assert done.returncode == 1
    assert set(json.loads(done.stdout)) == {"error"}


def test_errors_without_json_stay_on_stderr() -> None:
    done = pybpf("prog", "show", "id", "4294967295")
    assert (done.returncode, done.stdout) == (1, "")
    assert "4294967295" in done.stderr


def test_prog_load_of_a_non_elf_file_removes_the_directories_it_created(
    tmp_path: Path, bpffs_path: Path
) -> None:
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"no ELF here")
    done = pybpf("prog", "load", str(junk), str(bpffs_path / "nested"))
    assert done.returncode == 1
    assert not bpffs_path.exists()


def test_prog_load_keeps_a_pin_directory_that_existed_before(tmp_path: Path, bpffs_path: Path) -> None:
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"no ELF here")
    bpffs_path.mkdir()
    assert pybpf("prog", "load", str(junk), str(bpffs_path)).returncode == 1
    assert bpffs_path.is_dir()
