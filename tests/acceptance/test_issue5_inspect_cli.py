"""Issue 5 acceptance: the bpftool-like commands on an object loaded and pinned by ``pybpf prog load``.

Each test runs the installed command line (``python -m pybpf``) as a user would, and where bpftool
is present compares with it.  Known gaps are ``xfail(strict=True)``: they start failing (XPASS)
the moment the gap is closed, so the marker cannot outlive the fix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testlib import ROOT, find_tool, require_kernel_feature

pytestmark = pytest.mark.kernel

BPFFS = Path("/sys/fs/bpf")
#: bpftool 7.1 predates the kernel's per-CPU address move and prints it as a plain ``rX = rX``.
PERCPU_MOVE = re.compile(r"&\(void __percpu \*\)\((r\d+)\)")


def pybpf_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pybpf", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def xdp_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    require_kernel_feature(BPFFS.is_dir(), "no bpffs at /sys/fs/bpf")
    out = tmp_path_factory.mktemp("issue5") / "xdp.bpf.o"
    return pybpf.build(ROOT / "examples" / "xdp.bpf.c", out)


@pytest.fixture
def pin_dir() -> Iterator[Path]:
    path = BPFFS / f"pybpf-acceptance-{uuid.uuid4().hex[:12]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pinned_prog(xdp_object: Path, pin_dir: Path) -> Path:
    done = pybpf_cli("prog", "load", str(xdp_object), str(pin_dir))
    assert done.returncode == 0, done.stderr
    return pin_dir / "xdp_count"


def _prog_json(*selector: str) -> dict[str, object]:
    done = pybpf_cli("prog", "show", *selector, "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    return record[0] if isinstance(record, list) else record


def test_prog_load_pins_a_program_prog_show_finds_by_pin_path(pinned_prog: Path) -> None:
    record = _prog_json("pinned", str(pinned_prog))
    assert (record["type"], record["name"]) == ("xdp", "xdp_count")


def test_prog_show_pinned_json_agrees_with_bpftool_on_every_bpftool_field(pinned_prog: Path) -> None:
    bpftool = find_tool("bpftool")
    if bpftool is None:
        pytest.skip("bpftool is not installed")
    ours = _prog_json("pinned", str(pinned_prog))
    theirs = json.loads(
        subprocess.run(
            [bpftool, "prog", "show", "pinned", str(pinned_prog), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert {key: ours.get(key) for key in theirs} == theirs


def test_prog_run_of_the_pinned_xdp_program_on_a_short_packet_passes_it(
    pinned_prog: Path, tmp_path: Path
) -> None:
    data = tmp_path / "packet"
    data.write_bytes(bytes(64))
    done = pybpf_cli(
        "prog", "run", "pinned", str(pinned_prog), "--data-in", str(data), "--repeat", "3", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["retval"] == 2  # XDP_PASS


def test_dump_xlated_matches_bpftool_instruction_by_instruction(pinned_prog: Path) -> None:
    bpftool = find_tool("bpftool")
    if bpftool is None:
        pytest.skip("bpftool is not installed")
    ours = pybpf_cli("prog", "dump", "xlated", "pinned", str(pinned_prog), "--json")
    theirs = subprocess.run(
        [bpftool, "prog", "dump", "xlated", "pinned", str(pinned_prog), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    ours_text = [PERCPU_MOVE.sub(r"\1", i["disasm"]) for i in json.loads(ours.stdout)]
    assert ours_text == [i["disasm"] for i in json.loads(theirs.stdout)]


@pytest.mark.parametrize(
    "args",
    [
        ("prog", "show", "id", "4294967295"),
        ("prog", "dump", "xlated", "pinned", "/sys/fs/bpf/pybpf-acceptance-nothing-here"),
        ("map", "lookup", "id", "4294967295", "key", "0", "0", "0", "0"),
        ("link", "detach", "id", "4294967295"),
        ("btf", "show", "id", "4294967295"),
    ],
)
def test_missing_objects_give_one_line_errors_and_a_nonzero_exit(
    xdp_object: Path, args: tuple[str, ...]
) -> None:
    done = pybpf_cli(*args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_map_update_with_a_value_of_the_wrong_size_is_a_one_line_error(pinned_prog: Path) -> None:
    map_id = _prog_json("pinned", str(pinned_prog))["map_ids"][0]  # type: ignore[index]
    done = pybpf_cli("map", "update", "id", str(map_id), "key", "0", "0", "0", "0", "value", "1", "2", "3")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_prog_load_of_a_file_that_is_not_elf_leaves_no_pin_directory(tmp_path: Path, pin_dir: Path) -> None:
    require_kernel_feature(BPFFS.is_dir(), "no bpffs at /sys/fs/bpf")
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"not an object file at all")
    done = pybpf_cli("prog", "load", str(junk), str(pin_dir))
    assert done.returncode != 0
    assert not pin_dir.exists()


def test_btf_dump_accepts_a_btf_id(pinned_prog: Path) -> None:
    btf_id = _prog_json("pinned", str(pinned_prog))["btf_id"]
    done = pybpf_cli("btf", "dump", "id", str(btf_id), "--format", "c")
    assert done.returncode == 0, done.stderr
    assert "xdp_count" in done.stdout or "struct" in done.stdout


def test_dump_jited_interleaves_source_lines(pinned_prog: Path) -> None:
    done = pybpf_cli("prog", "dump", "jited", "pinned", str(pinned_prog))
    if done.returncode != 0 and "install" in done.stderr:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("; ") and "data_end" in line for line in done.stdout.splitlines())
