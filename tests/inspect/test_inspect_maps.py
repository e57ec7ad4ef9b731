"""``map`` commands against bpftool and on their own."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest

from pybpf import kernel
from pybpf.enums import MapType
from pybpf.inspect.errors import ValueFormatError
from pybpf.inspect.maps import parse_bytes


@pytest.fixture
def hash_map(bpf_ok: None) -> Iterator[kernel.FD]:
    with kernel.map_create(MapType.HASH, 4, 8, 16, name="insp_plain") as fd:
        for k in range(3):
            kernel.map_update(fd, struct.pack("<I", k), struct.pack("<Q", k * 100))
        yield fd


def _id(fd: kernel.FD) -> str:
    return str(kernel.map_info(fd).id)


@pytest.mark.kernel
def test_map_show_json_matches_bpftool_field_by_field(
    hash_map: kernel.FD, bpftool: Any, pybpf_cli: Any
) -> None:
    ours = pybpf_cli("map", "show", "id", _id(hash_map), "--json").json()
    assert ours == bpftool("map", "show", "id", _id(hash_map))


@pytest.mark.kernel
@pytest.mark.parametrize("name", ["insp_points", "insp_percpu"])
def test_btf_map_show_json_matches_bpftool(loaded: Any, bpftool: Any, pybpf_cli: Any, name: str) -> None:
    map_id = str(kernel.map_info(loaded.maps[name].fd).id)
    assert pybpf_cli("map", "show", "id", map_id, "--json").json() == bpftool("map", "show", "id", map_id)


@pytest.mark.kernel
def test_map_dump_json_matches_bpftool(hash_map: kernel.FD, bpftool: Any, pybpf_cli: Any) -> None:
    ours = pybpf_cli("map", "dump", "id", _id(hash_map), "--json").json()
    theirs = bpftool("map", "dump", "id", _id(hash_map))
    assert sorted(ours, key=str) == sorted(theirs, key=str)


@pytest.mark.kernel
def test_btf_map_dump_json_has_bpftool_formatted_values(loaded: Any, bpftool: Any, pybpf_cli: Any) -> None:
    fd = loaded.maps["insp_points"].fd
    kernel.map_update(fd, struct.pack("<I", 5), struct.pack("<IIQ8s", 7, 0, 9, b"ab"))
    map_id = str(kernel.map_info(fd).id)
    ours = pybpf_cli("map", "dump", "id", map_id, "--json").json()
    theirs = bpftool("map", "dump", "id", map_id)
    assert sorted(ours, key=str) == sorted(theirs, key=str)
    assert {"key": 5, "value": {"x": 7, "y": 9, "label": "ab"}} in [e["formatted"] for e in ours]


@pytest.mark.kernel
def test_percpu_map_lookup_json_matches_bpftool(loaded: Any, bpftool: Any, pybpf_cli: Any) -> None:
    map_id = str(kernel.map_info(loaded.maps["insp_percpu"].fd).id)
    args = ("map", "lookup", "id", map_id, "key", "1", "0", "0", "0")
    assert pybpf_cli(*args, "--json").json() == bpftool(*args)


@pytest.mark.kernel
def test_map_update_then_lookup_returns_the_value(hash_map: kernel.FD, pybpf_cli: Any) -> None:
    update = pybpf_cli(
        "map",
        "update",
        "id",
        _id(hash_map),
        "key",
        "hex",
        "09000000",
        "value",
        "0x2a",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
    )
    assert update.exit_code == 0
    assert kernel.map_lookup(hash_map, struct.pack("<I", 9), 8) == struct.pack("<Q", 42)


@pytest.mark.kernel
def test_map_update_noexist_of_present_key_fails(hash_map: kernel.FD, pybpf_cli: Any) -> None:
    result = pybpf_cli(
        "map",
        "update",
        "id",
        _id(hash_map),
        "key",
        "0",
        "0",
        "0",
        "0",
        "value",
        "hex",
        "0000000000000000",
        "noexist",
    )
    assert result.exit_code != 0


@pytest.mark.kernel
def test_map_delete_removes_the_key(hash_map: kernel.FD, pybpf_cli: Any) -> None:
    assert pybpf_cli("map", "delete", "id", _id(hash_map), "key", "1", "0", "0", "0").exit_code == 0
    with pytest.raises(kernel.KeyNotFound):
        kernel.map_lookup(hash_map, struct.pack("<I", 1), 8)


@pytest.mark.kernel
@pytest.mark.parametrize("from_first_key", [False, True])
def test_map_getnext_json_matches_bpftool(
    hash_map: kernel.FD, bpftool: Any, pybpf_cli: Any, from_first_key: bool
) -> None:
    args: tuple[str, ...] = ("map", "getnext", "id", _id(hash_map))
    if from_first_key:
        # Hash order is seeded per map: start from the first key so a next one always exists.
        first = kernel.map_get_next_key(hash_map, None, 4)
        assert first is not None
        args += ("key", "hex", *(f"{b:02x}" for b in first))
    assert pybpf_cli(*args, "--json").json() == bpftool(*args)


@pytest.mark.kernel
def test_map_dump_plain_counts_elements(hash_map: kernel.FD, pybpf_cli: Any) -> None:
    text = pybpf_cli("map", "dump", "id", _id(hash_map)).output
    assert "key: 02 00 00 00  value: c8 00 00 00 00 00 00 00" in text
    assert text.rstrip().endswith("Found 3 elements")


@pytest.mark.kernel
def test_map_create_pins_a_map_bpftool_sees(bpffs_dir: Any, bpftool: Any, pybpf_cli: Any) -> None:
    path = bpffs_dir / "made"
    result = pybpf_cli(
        "map",
        "create",
        str(path),
        "type",
        "hash",
        "key",
        "4",
        "value",
        "8",
        "entries",
        "32",
        "name",
        "insp_made",
        "flags",
        "1",
    )
    assert result.exit_code == 0, result.stderr
    shown = bpftool("map", "show", "pinned", str(path))
    assert (
        shown["type"],
        shown["name"],
        shown["bytes_key"],
        shown["bytes_value"],
        shown["max_entries"],
        shown["flags"],
    ) == ("hash", "insp_made", 4, 8, 32, 1)


@pytest.mark.kernel
def test_queue_push_peek_pop_round_trip(bpf_ok: None, pybpf_cli: Any) -> None:
    with kernel.map_create(MapType.QUEUE, 0, 4, 4, name="insp_q") as fd:
        ident = _id(fd)
        assert pybpf_cli("map", "push", "id", ident, "value", "1", "2", "3", "4").exit_code == 0
        assert pybpf_cli("map", "peek", "id", ident, "--json").json()["value"] == [
            "0x01",
            "0x02",
            "0x03",
            "0x04",
        ]
        assert pybpf_cli("map", "pop", "id", ident, "--json").json()["value"] == [
            "0x01",
            "0x02",
            "0x03",
            "0x04",
        ]
        assert pybpf_cli("map", "pop", "id", ident).exit_code != 0


@pytest.mark.kernel
def test_map_freeze_shows_frozen(bpf_ok: None, pybpf_cli: Any) -> None:
    with kernel.map_create(MapType.ARRAY, 4, 4, 1, name="insp_frz") as fd:
        assert pybpf_cli("map", "freeze", "id", _id(fd)).exit_code == 0
        assert pybpf_cli("map", "show", "id", _id(fd), "--json").json()["frozen"] == 1


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["0x01", "2", "030"], b"\x01\x02\x18"),
        (["hex", "01", "ff"], b"\x01\xff"),
        (["hex", "0a0b0c0d"], b"\x0a\x0b\x0c\x0d"),
        ([], b""),
    ],
)
def test_parse_bytes_reads_bpftool_byte_syntax(words: list[str], expected: bytes) -> None:
    assert parse_bytes(words, "key") == expected


@pytest.mark.parametrize("words", [["256"], ["zz"], ["hex", "0g"], ["-1"]])
def test_parse_bytes_rejects_what_is_not_a_byte(words: list[str]) -> None:
    with pytest.raises(ValueFormatError):
        parse_bytes(words, "key")


@pytest.mark.kernel
def test_map_pin_then_show_pinned_matches_bpftool(
    hash_map: kernel.FD, bpffs_dir: Any, bpftool: Any, pybpf_cli: Any
) -> None:
    path = bpffs_dir / "pinned_map"
    assert pybpf_cli("map", "pin", "id", _id(hash_map), str(path)).exit_code == 0
    ours = pybpf_cli("map", "show", "pinned", str(path), "--json", "--pinned").json()
    assert ours == bpftool("-f", "map", "show", "pinned", str(path))


@pytest.mark.kernel
def test_prog_array_update_by_program_id_stores_that_program(loaded: Any, pybpf_cli: Any) -> None:
    prog_id = loaded.programs["insp_sock"].id
    with kernel.map_create(MapType.PROG_ARRAY, 4, 4, 2, name="insp_jmp") as fd:
        result = pybpf_cli(
            "map", "update", "id", _id(fd), "key", "0", "0", "0", "0", "value", "id", str(prog_id)
        )
        assert result.exit_code == 0, result.stderr
        assert kernel.map_lookup(fd, bytes(4), 4) == struct.pack("<I", prog_id)


@pytest.mark.kernel
def test_map_show_lists_processes_holding_the_map(bpf_ok: None, pybpf_cli: Any) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pybpf import kernel; fd = kernel.map_create(2, 4, 4, 1);"
            "print(kernel.map_info(fd).id, flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        map_id = holder.stdout.readline().strip()
        shown = pybpf_cli("map", "show", "id", map_id, "--json").json()
        assert {"pid": holder.pid, "comm": "python"} in shown["pids"] or holder.pid in [
            p["pid"] for p in shown["pids"]
        ]
    finally:
        holder.communicate("")
