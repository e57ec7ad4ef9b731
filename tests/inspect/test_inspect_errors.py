"""Every failure prints one line and exits non-zero, never a traceback."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from pybpf import kernel
from pybpf.enums import MapType

_MISSING_ID = "4000000000"


def _assert_one_line_error(result: Any) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pybpf: error: ")


@pytest.mark.kernel
@pytest.mark.parametrize(
    "args",
    [
        ("prog", "show", "id", _MISSING_ID),
        ("map", "show", "id", _MISSING_ID),
        ("map", "dump", "id", _MISSING_ID),
        ("prog", "show", "pinned", "/sys/fs/bpf/pybpf-no-such-pin"),
        ("map", "lookup", "pinned", "/sys/fs/bpf/pybpf-no-such-pin", "key", "0"),
        ("prog", "show", "name", "pybpf_no_such_prog"),
    ],
)
def test_missing_object_is_a_one_line_error(bpf_ok: None, pybpf_cli: Any, args: tuple[str, ...]) -> None:
    _assert_one_line_error(pybpf_cli(*args))


@pytest.mark.kernel
@pytest.mark.parametrize(
    "tail",
    [
        ("lookup", "key", "1", "0", "0"),
        ("update", "key", "1", "0", "0", "0", "value", "1"),
        ("update", "key", "1", "0", "0", "0", "value", "hex", "00" * 9),
        ("lookup", "key", "7", "0", "0", "0"),
        ("lookup", "key", "300", "0", "0", "0"),
        ("lookup", "kee", "1"),
    ],
)
def test_bad_key_or_value_is_a_one_line_error(bpf_ok: None, pybpf_cli: Any, tail: tuple[str, ...]) -> None:
    with kernel.map_create(MapType.HASH, 4, 8, 4) as fd:
        kernel.map_update(fd, struct.pack("<I", 1), bytes(8))
        ident = str(kernel.map_info(fd).id)
        _assert_one_line_error(pybpf_cli("map", tail[0], "id", ident, *tail[1:]))


@pytest.mark.parametrize(
    "args",
    [("prog", "show", "id", "abc"), ("prog", "show", "tag", "xyz"), ("map", "show", "label", "x")],
)
def test_malformed_selector_is_a_one_line_error(pybpf_cli: Any, args: tuple[str, ...]) -> None:
    _assert_one_line_error(pybpf_cli(*args))


@pytest.mark.kernel
def test_prog_selector_on_a_pinned_map_is_a_one_line_error(bpffs_dir: Any, pybpf_cli: Any) -> None:
    with kernel.map_create(MapType.ARRAY, 4, 4, 1) as fd:
        kernel.obj_pin(fd, bpffs_dir / "m")
    _assert_one_line_error(pybpf_cli("prog", "show", "pinned", str(bpffs_dir / "m")))
