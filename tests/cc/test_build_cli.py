"""``pybpf build``: the command-line face of the driver."""

from __future__ import annotations

from pathlib import Path

import pytest
from cc_helpers import PRELUDE

from pybpf.cli.main import main

SOURCE = PRELUDE + '#include <bpf/bpf_helpers.h>\nSEC("xdp") int prog(void *ctx) { return VALUE; }\n'


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "prog.bpf.c"
    path.write_text(SOURCE)
    return path


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_build_writes_the_object_and_prints_its_path(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bpf_cc: None
) -> None:
    out = tmp_path / "out.o"
    assert run(["build", str(source), "-o", str(out), "-D", "VALUE=2"]) == 0
    assert out.read_bytes()[:4] == b"\x7fELF" and capsys.readouterr().out.strip() == str(out)


def test_build_reports_compile_errors_with_the_compiler_output_and_exit_1(
    source: Path, capsys: pytest.CaptureFixture[str], bpf_cc: None
) -> None:
    assert run(["build", str(source)]) == 1
    assert "VALUE" in capsys.readouterr().err


def test_dry_run_prints_the_command_without_compiling(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.o"
    assert run(["build", str(source), "-o", str(out), "-n", "-I", str(tmp_path), "-X", "-Wall"]) == 0
    printed = capsys.readouterr().out
    assert not out.exists()
    assert all(part in printed for part in ("-target", "-Wall", f"-I {tmp_path}", f"-o {out}"))


def test_print_command_prints_then_compiles(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bpf_cc: None
) -> None:
    out = tmp_path / "both.o"
    assert run(["build", str(source), "-o", str(out), "-D", "VALUE=1", "--print-command"]) == 0
    assert "-DVALUE=1" in capsys.readouterr().out and out.is_file()


def test_cc_option_pointing_nowhere_fails_with_the_install_hint(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["build", str(source), "--cc", "/nonexistent/clang"]) == 1
    assert "pybpf[cc]" in capsys.readouterr().err


def test_vmlinux_h_option_writes_the_generated_header(tmp_path: Path, vmlinux_btf_path: Path) -> None:
    out = tmp_path / "vmlinux.h"
    assert run(["build", "--vmlinux-h", str(out)]) == 0
    assert "struct task_struct {" in out.read_text()


def test_build_without_source_or_vmlinux_h_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["build"]) == 2
    assert "SOURCE" in capsys.readouterr().err
