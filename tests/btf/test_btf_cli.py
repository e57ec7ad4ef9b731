"""``pybpf btf dump``."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
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


@pytest.mark.parametrize(
    "words",
    [
        ("file", "{obj}"),
        ("{obj}", "format", "raw"),
        ("file", "{obj}", "format", "raw"),
        ("{obj}", "--format", "raw"),
    ],
)
def test_dump_takes_a_file_in_every_bpftool_spelling(
    bpf_objects: dict[str, Path], words: tuple[str, ...]
) -> None:
    obj = str(bpf_objects["kinds"])
    assert run("dump", *(w.format(obj=obj) for w in words)) == run("dump", obj)


def test_trailing_format_word_selects_the_format(bpf_objects: dict[str, Path]) -> None:
    code, out = run("dump", "file", str(bpf_objects["kinds"]), "format", "json")
    assert code == 0
    assert "types" in json.loads(out)


@pytest.mark.parametrize("words", [("id", "x"), ("id",), ("format", "raw"), ("file", "a", "b")])
def test_malformed_dump_sources_are_usage_errors(words: tuple[str, ...]) -> None:
    code, _out = run("dump", *words)
    assert code != 0


@pytest.fixture
def loaded_prog_btf(bpf_objects: dict[str, Path]) -> Iterator[str]:
    """The kernel BTF id of a loaded program (skips where programs cannot be loaded)."""
    from testlib import require_bpf

    require_bpf()
    from pybpf import build
    from pybpf.runtime import load
    from testlib import ROOT

    with tempfile.TemporaryDirectory() as tmp:
        obj = load(build(ROOT / "examples" / "xdp.bpf.c", Path(tmp) / "xdp.bpf.o"))
    with obj:
        yield str(next(iter(obj.programs.values())).id)


@pytest.mark.kernel
@pytest.mark.parametrize("fmt", ["raw", "c"])
def test_dump_of_a_loaded_programs_btf_matches_bpftool(loaded_prog_btf: str, fmt: str) -> None:
    from testlib import find_tool

    tool = find_tool("bpftool")
    if tool is None:
        pytest.skip("bpftool is not installed")
    theirs = subprocess.run(
        [tool, "btf", "dump", "prog", "id", loaded_prog_btf, "format", fmt],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    code, ours = run("dump", "prog", "id", loaded_prog_btf, "format", fmt)
    assert code == 0
    if fmt == "raw":
        assert ours == theirs
    else:
        assert _type_names(ours) == _type_names(theirs)


def _type_names(header: str) -> set[str]:
    return {
        line.split("{")[0].strip() for line in header.splitlines() if line.startswith(("struct ", "enum "))
    }


@pytest.mark.kernel
def test_dump_by_btf_id_equals_dump_by_program(loaded_prog_btf: str) -> None:
    from pybpf.kernel import ObjectKind, get_fd_by_id, prog_info

    with get_fd_by_id(ObjectKind.PROG, int(loaded_prog_btf)) as fd:
        btf_id = prog_info(fd).btf_id
    assert run("dump", "id", str(btf_id)) == run("dump", "prog", "id", loaded_prog_btf)


@pytest.mark.parametrize(
    ("name", "kernel", "split"),
    [("vmlinux", True, False), ("nf_tables", True, True), ("", False, False), ("prog_btf", False, False)],
)
def test_only_module_btf_is_read_on_top_of_vmlinux(name: str, kernel: bool, split: bool) -> None:
    from pybpf.inspect.btfsource import is_split
    from pybpf.kernel import BTFInfo

    assert is_split(BTFInfo(id=2, name=name, kernel_btf=kernel, size=0)) is split
