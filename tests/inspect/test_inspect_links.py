"""``link``, ``btf``, ``cgroup`` and ``perf`` listings against bpftool."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pybpf import kernel
from pybpf.enums import AttachType, ProgramType
from pybpf.inspect import cgroups
from testlib import find_tool

_RETURN_0 = bytes.fromhex("b7000000000000009500000000000000")
_RETURN_1 = bytes.fromhex("b7000000010000009500000000000000")


@pytest.fixture
def raw_tp_link(bpf_ok: None) -> Iterator[tuple[kernel.FD, kernel.FD]]:
    """A raw tracepoint program attached to sys_enter (it returns 0 and does nothing)."""
    with kernel.prog_load(ProgramType.RAW_TRACEPOINT, _RETURN_0, name="insp_rtp") as prog:
        with kernel.raw_tracepoint_open("sys_enter", prog) as link:
            yield prog, link


@pytest.fixture
def cgroup_link(cgroup_dir: Path) -> Iterator[tuple[Path, kernel.FD]]:
    """A cgroup_skb egress program (allow everything) linked to a scratch cgroup."""
    egress = AttachType.CGROUP_INET_EGRESS
    with kernel.prog_load(
        ProgramType.CGROUP_SKB, _RETURN_1, name="insp_cg", expected_attach_type=egress
    ) as prog:
        fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            with kernel.link_create(prog, fd, egress) as link:
                yield cgroup_dir, link
        finally:
            os.close(fd)


def _link_id(fd: kernel.FD) -> str:
    return str(kernel.link_info(fd).id)


@pytest.mark.kernel
def test_raw_tracepoint_link_show_json_matches_bpftool(
    raw_tp_link: Any, bpftool: Any, pybpf_cli: Any
) -> None:
    ident = _link_id(raw_tp_link[1])
    ours = pybpf_cli("link", "show", "id", ident, "--json").json()
    assert ours == bpftool("link", "show", "id", ident)
    assert ours["tp_name"] == "sys_enter"


@pytest.mark.kernel
def test_cgroup_link_show_json_matches_bpftool(cgroup_link: Any, bpftool: Any, pybpf_cli: Any) -> None:
    ident = _link_id(cgroup_link[1])
    assert pybpf_cli("link", "show", "id", ident, "--json").json() == bpftool("link", "show", "id", ident)


@pytest.mark.kernel
def test_link_show_plain_has_bpftool_layout(raw_tp_link: Any, pybpf_cli: Any) -> None:
    info = kernel.link_info(raw_tp_link[1])
    text = pybpf_cli("link", "show", "id", str(info.id)).output
    assert text.splitlines()[:2] == [
        f"{info.id}: raw_tracepoint  prog {info.prog_id}  ",
        "\ttp 'sys_enter'  ",
    ]


@pytest.mark.kernel
def test_link_pin_then_detach_empties_the_cgroup(cgroup_link: Any, bpffs_dir: Path, pybpf_cli: Any) -> None:
    path = bpffs_dir / "link"
    ident = _link_id(cgroup_link[1])
    assert pybpf_cli("link", "pin", "id", ident, str(path)).exit_code == 0
    assert pybpf_cli("link", "detach", "pinned", str(path)).exit_code == 0
    assert cgroups.attached(str(cgroup_link[0])) == []


@pytest.mark.kernel
def test_detach_of_a_link_type_without_detach_is_a_one_line_error(raw_tp_link: Any, pybpf_cli: Any) -> None:
    result = pybpf_cli("link", "detach", "id", _link_id(raw_tp_link[1]))
    assert result.exit_code != 0 and result.stderr.startswith("pybpf: error: ")


@pytest.mark.kernel
def test_cgroup_list_json_matches_bpftool_cgroup_show(cgroup_link: Any, bpftool: Any, pybpf_cli: Any) -> None:
    path = str(cgroup_link[0])
    ours = pybpf_cli("cgroup", "list", path, "--json").json()
    assert ours == bpftool("cgroup", "show", path)
    assert [entry["name"] for entry in ours] == ["insp_cg"]


@pytest.mark.kernel
def test_cgroup_tree_json_matches_bpftool(cgroup_link: Any, bpftool: Any, pybpf_cli: Any) -> None:
    root = str(cgroup_link[0].parent)
    ours = {
        entry["cgroup"]: entry["programs"] for entry in pybpf_cli("cgroup", "tree", root, "--json").json()
    }
    theirs = {entry["cgroup"]: entry["programs"] for entry in bpftool("cgroup", "tree", root)}
    assert ours[str(cgroup_link[0])] == theirs[str(cgroup_link[0])]


@pytest.mark.kernel
def test_cgroup_list_of_missing_path_is_an_error(bpf_ok: None, pybpf_cli: Any) -> None:
    assert pybpf_cli("cgroup", "list", "/sys/fs/cgroup/pybpf-no-such-cgroup").exit_code != 0


@pytest.mark.kernel
def test_btf_show_json_matches_bpftool(loaded: Any, bpftool: Any, pybpf_cli: Any) -> None:
    btf_id = str(loaded.programs["insp_xdp"].info.btf_id)
    ours = pybpf_cli("btf", "show", "id", btf_id, "--json").json()
    theirs = bpftool("btf", "show", "id", btf_id)
    # bpftool lists the ids in its hash table's order, we in increasing order.
    for entry in (ours, theirs):
        entry["prog_ids"].sort()
        entry["map_ids"].sort()
    assert ours == theirs
    assert loaded.programs["insp_xdp"].id in ours["prog_ids"]


@pytest.mark.kernel
def test_btf_list_includes_vmlinux_like_bpftool(bpf_ok: None, bpftool: Any, pybpf_cli: Any) -> None:
    ours = {e["id"]: e for e in pybpf_cli("btf", "list", "--json").json()}
    theirs = {e["id"]: e for e in bpftool("btf", "list")}
    vmlinux = [ident for ident, e in theirs.items() if e.get("name") == "vmlinux"]
    assert vmlinux
    assert ours[vmlinux[0]] == theirs[vmlinux[0]]


@pytest.mark.kernel
def test_perf_list_json_finds_a_raw_tracepoint_like_bpftool(
    raw_tp_link: Any, bpftool: Any, pybpf_cli: Any
) -> None:
    prog_id = kernel.prog_info(raw_tp_link[0]).id
    ours = [e for e in pybpf_cli("perf", "list", "--json").json() if e["prog_id"] == prog_id]
    theirs = [e for e in bpftool("perf", "list") if e["prog_id"] == prog_id]
    assert ours == theirs
    assert ours and ours[0]["tracepoint"] == "sys_enter"


@pytest.mark.kernel
def test_btf_list_plain_matches_bpftool_for_vmlinux(bpf_ok: None, pybpf_cli: Any) -> None:
    tool = find_tool("bpftool")
    if tool is None:
        pytest.skip("bpftool is not installed")
    import subprocess

    theirs = subprocess.run(
        [tool, "btf", "show", "id", "1"], capture_output=True, text=True, check=True
    ).stdout
    assert pybpf_cli("btf", "show", "id", "1").output.splitlines()[0] == theirs.splitlines()[0]


@pytest.mark.kernel
def test_prog_show_reports_run_statistics_while_enabled(
    raw_tp_link: Any, bpftool: Any, pybpf_cli: Any
) -> None:
    prog_id = str(kernel.prog_info(raw_tp_link[0]).id)
    with kernel.enable_stats():
        for _ in range(3):
            os.getppid()  # a syscall: sys_enter runs the program
        ours = pybpf_cli("prog", "show", "id", prog_id, "--json").json()
        theirs = bpftool("prog", "show", "id", prog_id)
    assert ours["run_cnt"] >= 3
    assert theirs["run_cnt"] >= ours["run_cnt"]
    assert "run_time_ns" in ours and "run_time_ns" in theirs
