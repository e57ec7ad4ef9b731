"""The JIT's packaging: the optional dependency, refusals, the native repeat loop."""

from __future__ import annotations

import sys

import pytest
from jit_support import require_llvmlite
from vm_builders import returning

from pybpf.errors import NotSupported
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AluOp, JmpOp, Size
from pybpf.vm import ProgramRejected
from pybpf.vm.jit import engine

require_llvmlite()

from pybpf.vm import jit  # noqa: E402

SUM = [
    c.mov64_imm(0, 0),
    c.mov64_imm(1, 100),
    c.alu64_reg(AluOp.ADD, 0, 1),
    c.alu64_imm(AluOp.SUB, 1, 1),
    c.jmp_imm(JmpOp.JNE, 1, 0, -3),
    c.exit(),
]


def test_jit_is_available_with_llvmlite_installed() -> None:
    assert jit.available()


def test_missing_llvmlite_raises_not_supported_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_state", {})
    monkeypatch.setitem(sys.modules, "llvmlite.binding", None)
    with pytest.raises(NotSupported, match=r"pip install 'pybpf\[jit\]'"):
        jit.prepare(SUM)


def test_availability_is_false_without_llvmlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_state", {})
    monkeypatch.setitem(sys.modules, "llvmlite.binding", None)
    assert not jit.available()


def test_tracing_is_refused_with_a_pointer_to_the_interpreter() -> None:
    with pytest.raises(NotSupported, match="interpreter"):
        jit.prepare(SUM, trace=True)


@pytest.mark.parametrize("budget", [0, -5])
def test_non_positive_budget_is_rejected(budget: int) -> None:
    with pytest.raises(ProgramRejected, match="budget"):
        jit.prepare(SUM, budget=budget)


def test_repeated_native_runs_give_the_single_run_result() -> None:
    program = jit.prepare(SUM)
    result, _ = program.time_runs(repeat=50)
    assert result == program.run()


def test_repeated_runs_keep_memory_between_iterations_like_prog_test_run() -> None:
    # *(u8 *)mem += 1, fifty times over the same buffer
    program = jit.prepare(
        returning(c.ldx_mem(Size.B, 2, 1, 0), c.alu64_imm(AluOp.ADD, 2, 1), c.stx_mem(Size.B, 1, 2, 0))
    )
    result, _ = program.time_runs(bytes(1), repeat=50)
    assert result.memory == bytes([50])


def test_repeat_must_be_positive() -> None:
    with pytest.raises(ValueError):
        jit.prepare(SUM).time_runs(repeat=0)


def test_compiled_program_keeps_its_llvm_ir_and_instructions() -> None:
    program = jit.prepare(SUM)
    assert "define i64 @pybpf_entry" in program.llvm_ir
    assert program.instructions == SUM
