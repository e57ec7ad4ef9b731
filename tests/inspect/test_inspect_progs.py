"""``prog list|show`` against bpftool, field by field."""

from __future__ import annotations

from typing import Any

import pytest

from pybpf.inspect import progs
from pybpf.inspect.procfs import Owner
from pybpf.kernel import ProgInfo

# bpftool computes loaded_at from two clock readings of its own: allow one second of skew.
_CLOCK_FIELDS = {"loaded_at"}


def _prog_id(obj: Any, name: str) -> int:
    return int(obj.programs[name].id)


@pytest.mark.kernel
@pytest.mark.parametrize("name", ["insp_xdp", "insp_sock", "insp_long_program_name"])
def test_prog_show_json_matches_bpftool_field_by_field(
    loaded: Any, bpftool: Any, pybpf_cli: Any, name: str
) -> None:
    prog_id = _prog_id(loaded, name)
    ours = pybpf_cli("prog", "show", "id", str(prog_id), "--json").json()
    theirs = bpftool("prog", "show", "id", str(prog_id))
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        if key in _CLOCK_FIELDS:
            assert abs(ours[key] - theirs[key]) <= 1, key
        else:
            assert ours[key] == theirs[key], key


@pytest.mark.kernel
def test_prog_list_json_holds_every_program_bpftool_lists(loaded: Any, bpftool: Any, pybpf_cli: Any) -> None:
    ours = {p["id"] for p in pybpf_cli("prog", "list", "--json").json()}
    theirs = {p["id"] for p in bpftool("prog", "list")}
    mine = {_prog_id(loaded, "insp_xdp"), _prog_id(loaded, "insp_sock")}
    # Other tests load and unload programs concurrently: compare what is stable.
    assert mine <= ours
    assert mine <= theirs


@pytest.mark.kernel
@pytest.mark.parametrize("keyword", ["name", "tag"])
def test_prog_show_selects_by_name_and_tag(loaded: Any, pybpf_cli: Any, keyword: str) -> None:
    info = loaded.programs["insp_xdp"].info
    value = info.name if keyword == "name" else info.tag_hex
    shown = pybpf_cli("prog", "show", keyword, value, "--json").json()
    found = shown if isinstance(shown, list) else [shown]
    assert info.id in {p["id"] for p in found}


@pytest.mark.kernel
def test_prog_show_plain_has_bpftool_layout(loaded: Any, pybpf_cli: Any) -> None:
    info = loaded.programs["insp_xdp"].info
    text = pybpf_cli("prog", "show", "id", str(info.id)).output
    first, second, third = text.splitlines()[:3]
    assert first == f"{info.id}: xdp  name insp_xdp  tag {info.tag_hex}  gpl"
    assert second.startswith("\tloaded_at ") and second.endswith("  uid 0")
    assert third.startswith(f"\txlated {info.xlated_prog_len}B  jited ")
    assert f"map_ids {info.map_ids[0]}" in third


@pytest.mark.kernel
def test_prog_show_pinned_lists_the_pin_path(loaded: Any, pybpf_cli: Any, bpffs_dir: Any) -> None:
    pin = bpffs_dir / "xdp"
    loaded.programs["insp_xdp"].pin(pin)
    shown = pybpf_cli("prog", "show", "pinned", str(pin), "--json", "--pinned").json()
    assert shown["pinned"] == [str(pin)]


def _info(**changes: Any) -> ProgInfo:
    base: dict[str, Any] = dict(
        type=6,
        id=7,
        tag=bytes(range(8)),
        name="p",
        jited_prog_len=0,
        xlated_prog_len=16,
        load_time=0,
        created_by_uid=0,
        map_ids=[],
        ifindex=0,
        gpl_compatible=False,
        netns_dev=0,
        netns_ino=0,
        btf_id=0,
        nr_func_info=0,
        nr_line_info=0,
        run_time_ns=0,
        run_cnt=0,
        recursion_misses=0,
        verified_insns=0,
        attach_btf_obj_id=0,
        attach_btf_id=0,
    )
    base.update(changes)
    return ProgInfo(**base)


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"type": 999}, "type", 999),
        ({"jited_prog_len": 0}, "jited", False),
        ({"run_time_ns": 5, "run_cnt": 2}, "run_cnt", 2),
        ({"run_time_ns": 5, "run_cnt": 2}, "run_time_ns", 5),
        ({"map_ids": [3, 4]}, "map_ids", [3, 4]),
    ],
)
def test_prog_record_json_uses_bpftool_field_values(changes: dict[str, Any], key: str, expected: Any) -> None:
    assert progs.ProgRecord(_info(**changes), memlock=4096).json()[key] == expected


@pytest.mark.parametrize(
    ("changes", "absent"),
    [({}, "run_cnt"), ({}, "bytes_jited"), ({}, "loaded_at"), ({}, "btf_id"), ({"name": ""}, "name")],
)
def test_prog_record_json_omits_fields_bpftool_omits(changes: dict[str, Any], absent: str) -> None:
    assert absent not in progs.ProgRecord(_info(**changes), memlock=None).json()


def test_prog_record_plain_shows_not_jited_and_unknown_type() -> None:
    text = progs.ProgRecord(_info(type=999), memlock=None).plain()
    assert text.splitlines()[0].startswith("7: type 999  name p  tag 0001020304050607")
    assert "  not jited" in text


def test_prog_record_lists_owning_processes_like_bpftool() -> None:
    rec = progs.ProgRecord(_info(), memlock=None, pids=[Owner(12, "python")])
    assert rec.json()["pids"] == [{"pid": 12, "comm": "python"}]
    assert "\tpids python(12)" in rec.plain()


@pytest.mark.kernel
def test_prog_show_pinned_json_matches_bpftool_bpffs_walk(
    loaded: Any, bpftool: Any, pybpf_cli: Any, bpffs_dir: Any
) -> None:
    pin = bpffs_dir / "sock"
    loaded.programs["insp_sock"].pin(pin)
    prog_id = str(loaded.programs["insp_sock"].id)
    ours = pybpf_cli("prog", "show", "id", prog_id, "--json", "--pinned").json()
    theirs = bpftool("-f", "prog", "show", "id", prog_id)
    assert ours["pinned"] == theirs["pinned"]
