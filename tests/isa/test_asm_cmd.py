"""The ``pybpf asm`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from isa_testlib import CONFORMANCE

from pybpf.cli.main import cli, main

PROGRAM = "mov32 %r0, 1\nexit\n"
HEX = "b4000000010000009500000000000000"


def test_asm_writes_raw_bytes_to_the_output_file(tmp_path: Path) -> None:
    source = tmp_path / "p.s"
    source.write_text(PROGRAM)
    result = CliRunner().invoke(cli, ["asm", str(source), "-o", str(tmp_path / "p.bin")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p.bin").read_bytes() == bytes.fromhex(HEX)


def test_asm_hex_prints_the_bytes_as_text(tmp_path: Path) -> None:
    source = tmp_path / "p.s"
    source.write_text(PROGRAM)
    result = CliRunner().invoke(cli, ["asm", str(source), "--hex"])
    assert result.stdout == HEX + "\n"


def test_asm_reads_standard_input() -> None:
    result = CliRunner().invoke(cli, ["asm", "-", "--hex", "--dialect", "llvm"], input="w0 = 1\nexit\n")
    assert result.stdout == HEX + "\n"


def test_asm_takes_the_asm_section_of_a_conformance_file() -> None:
    result = CliRunner().invoke(cli, ["asm", str(CONFORMANCE / "lddw.data"), "--hex"])
    assert result.stdout == "18000000887766550000000044332211" + "9500000000000000\n"


def test_asm_reports_bad_input_as_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.s"
    source.write_text("r0 = 1\nr0 ?= 2\n")
    with pytest.raises(SystemExit) as exited:
        main(["asm", str(source), "--hex"])
    assert exited.value.code == 1
    assert capsys.readouterr().err.strip() == "pybpf: error: line 2: unrecognised instruction in 'r0 ?= 2'"


def test_asm_rejects_binary_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bin.s"
    source.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SystemExit):
        main(["asm", str(source), "--hex"])
    assert "not UTF-8" in capsys.readouterr().err
