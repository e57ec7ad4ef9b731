"""``pybpf vm run`` (the ``vm`` click group, tested directly)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pybpf.cli.vm_cmd import vm
from pybpf.vm import VMFault

SUITE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def test_conformance_file_runs_and_is_checked_against_its_result() -> None:
    result = CliRunner().invoke(vm, ["run", str(SUITE / "subnet.data")])
    assert result.exit_code == 0
    assert "r0 = 0x1 (1)" in result.output
    assert "matches the expected value" in result.output


def test_mem_option_sets_the_memory(tmp_path: Path) -> None:
    source = tmp_path / "len.s"
    source.write_text("mov %r0, %r2\nexit\n")
    result = CliRunner().invoke(vm, ["run", str(source), "--mem", "01 02 03", "--json"])
    assert json.loads(result.output) == {"r0": 3, "instructions": 2}


def test_show_memory_prints_what_the_program_wrote(tmp_path: Path) -> None:
    source = tmp_path / "store.s"
    source.write_text("stb [%r1+1], 0xab\nmov %r0, 0\nexit\n")
    result = CliRunner().invoke(vm, ["run", str(source), "--mem", "0000", "--json", "--show-memory"])
    assert json.loads(result.output)["memory"] == "00ab"


def test_raw_bin_file_runs(tmp_path: Path) -> None:
    binary = tmp_path / "prog.bin"
    binary.write_bytes(bytes.fromhex("b7000000070000009500000000000000"))
    result = CliRunner().invoke(vm, ["run", str(binary), "--json"])
    assert json.loads(result.output)["r0"] == 7


def test_fault_is_raised_as_a_pybpf_error_for_the_main_handler(tmp_path: Path) -> None:
    source = tmp_path / "bad.s"
    source.write_text("ldxw %r0, [%r1+0]\nexit\n")
    result = CliRunner().invoke(vm, ["run", str(source)])
    assert isinstance(result.exception, VMFault)


def test_trace_prints_each_executed_instruction_with_its_effect(tmp_path: Path) -> None:
    source = tmp_path / "t.s"
    source.write_text("mov %r0, 5\nadd %r0, 2\nexit\n")
    result = CliRunner().invoke(vm, ["run", str(source), "--trace"])
    lines = result.output.splitlines()
    assert lines[:3] == ["    0: (b7) r0 = 5  ; r0=0x5", "    1: (07) r0 += 2  ; r0=0x7", "    2: (95) exit"]


def _jit_programs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every JIT program prepared from now on (skips without llvmlite)."""
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
    return made


@pytest.mark.parametrize(("engine", "jitted"), [("interpreter", 0), ("jit", 1), ("auto", 1), (None, 0)])
def test_engine_option_picks_the_engine_and_gives_the_same_r0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str | None, jitted: int
) -> None:
    made = _jit_programs(monkeypatch)
    source = tmp_path / "len.s"
    source.write_text("mov %r0, %r2\nadd %r0, 40\nexit\n")
    options = ["--engine", engine] if engine is not None else []
    result = CliRunner().invoke(vm, ["run", str(source), "--mem", "01 02", "--json", *options])
    assert (json.loads(result.output)["r0"], len(made)) == (42, jitted)


def test_trace_on_the_jit_engine_is_refused(tmp_path: Path) -> None:
    from pybpf.errors import NotSupported
    from pybpf.vm.jit import available

    if not available():
        pytest.skip("llvmlite is not installed: no JIT engine")
    source = tmp_path / "t.s"
    source.write_text("mov %r0, 5\nexit\n")
    result = CliRunner().invoke(vm, ["run", str(source), "--trace", "--engine", "jit"])
    assert isinstance(result.exception, NotSupported)
