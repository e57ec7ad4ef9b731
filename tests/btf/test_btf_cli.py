"""``pybpf btf dump``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pybpf.btf import BTF
from pybpf.btf.rawdump import dump_raw
from pybpf.cli.btf_cmd import btf as btf_group


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(btf_group, list(args))
    return result.exit_code, result.output


def test_dump_of_an_object_prints_its_btf_section_raw(
    bpf_objects: dict[str, Path], btf_sections: dict[str, bytes]
) -> None:
    code, out = run("dump", str(bpf_objects["kinds"]))
    assert code == 0
    assert out == dump_raw(BTF.from_bytes(btf_sections["kinds"]))


def test_dump_of_a_raw_btf_file_works_like_the_object(
    bpf_objects: dict[str, Path], btf_sections: dict[str, bytes], tmp_path: Path
) -> None:
    raw = tmp_path / "kinds.btf"
    raw.write_bytes(btf_sections["kinds"])
    assert run("dump", str(raw)) == run("dump", str(bpf_objects["kinds"]))


@pytest.mark.parametrize(("selector", "first_line"), [("bits", "STRUCT 'bits'"), ("2", "[2] INT 'int'")])
def test_type_filter_selects_by_name_or_id(
    bpf_objects: dict[str, Path], selector: str, first_line: str
) -> None:
    code, out = run("dump", str(bpf_objects["kinds"]), "--type", selector)
    assert code == 0
    assert first_line in out.splitlines()[0]
    assert sum(1 for line in out.splitlines() if line.startswith("[")) == 1


def test_json_format_is_a_types_document(bpf_objects: dict[str, Path]) -> None:
    code, out = run("dump", str(bpf_objects["kinds"]), "--format", "json", "-t", "color")
    assert code == 0
    assert json.loads(out)["types"][0]["values"][2] == {"name": "BLUE", "val": -3}


def test_unknown_type_name_is_an_error(bpf_objects: dict[str, Path]) -> None:
    code, _ = run("dump", str(bpf_objects["kinds"]), "-t", "no_such_type")
    assert code != 0


def test_object_without_btf_is_reported(tmp_path: Path) -> None:
    from pybpf.cli.main import main

    bogus = tmp_path / "bad.btf"
    bogus.write_bytes(b"not btf at all")
    with pytest.raises(SystemExit) as exit_info:
        main(["btf", "dump", str(bogus)])
    assert exit_info.value.code == 1
