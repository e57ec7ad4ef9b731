"""The bpf_conformance plugin protocol: program hex on stdin or --program, memory hex argument."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pybpf.vm.conformance import assemble_case, load_case
from pybpf.vm.plugin import main, parse_hex

SUITE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def spaced_hex(data: bytes) -> str:
    """The runner's encoding: two hex digits and two spaces per byte."""
    return "".join(f"{byte:02x}  " for byte in data)


def test_plugin_process_runs_a_conformance_file_read_from_stdin() -> None:
    case = load_case(SUITE / "subnet.data")
    proc = subprocess.run(
        [sys.executable, "-m", "pybpf.vm.plugin", spaced_hex(case.memory), ""],
        input=spaced_hex(assemble_case(case)) + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (proc.returncode, int(proc.stdout, 16)) == (0, case.result)


@pytest.mark.parametrize("name", ["mem-len.data", "call_unwind_fail.data", "lddw.data"])
def test_plugin_prints_r0_in_hex_for_program_option(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    case = load_case(SUITE / name)
    assert main([spaced_hex(case.memory), "--program", assemble_case(case).hex()]) == 0
    assert int(capsys.readouterr().out, 16) == case.result


def test_plugin_reports_a_fault_on_stderr_with_nonzero_exit(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["", "--program", "6110000000000000" + "9500000000000000"])
    out, err = capsys.readouterr()
    assert (status, out) == (1, "")
    assert "past the end of 'memory'" in err


def test_plugin_rejects_malformed_hex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zz", "--program", "9500000000000000"]) == 1
    assert "invalid hex" in capsys.readouterr().err


def test_parse_hex_accepts_spaces_newlines_and_prefix() -> None:
    assert parse_hex("0x01 02\n0a  ") == b"\x01\x02\x0a"


@pytest.mark.parametrize(("engine", "jitted"), [("interpreter", 0), ("jit", 1), ("auto", 1), (None, 0)])
def test_plugin_engine_option_picks_the_engine_and_gives_the_same_r0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], engine: str | None, jitted: int
) -> None:
    from pybpf.vm.jit import available
    from pybpf.vm.jit import program as jit_program

    if not available():
        pytest.skip("llvmlite is not installed: no JIT engine")
    made: list[object] = []
    original = jit_program.Program

    class Recording(original):  # type: ignore[misc,valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(jit_program, "Program", Recording)
    case = load_case(SUITE / "subnet.data")
    options = ["--engine", engine] if engine is not None else []
    assert main([spaced_hex(case.memory), "--program", assemble_case(case).hex(), *options]) == 0
    assert (int(capsys.readouterr().out, 16), len(made)) == (case.result, jitted)
