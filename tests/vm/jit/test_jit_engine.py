"""The JIT's packaging: the optional dependency, refusals, the native repeat loop."""

from __future__ import annotations

import pytest
from jit_support import require_llvmlite
from vm_builders import returning

from pybpf.errors import NotSupported
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AluOp, JmpOp, Size
from pybpf.vm import Program as InterpretedProgram
from pybpf.vm import ProgramRejected

require_llvmlite()

from pybpf.vm import jit  # noqa: E402
from pybpf.vm.jit import select  # noqa: E402

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


def test_auto_engine_picks_the_jit() -> None:
    assert isinstance(select.prepare(SUM, engine="auto"), jit.Program)


def test_interpreter_engine_never_compiles() -> None:
    assert isinstance(select.prepare(SUM, engine="interpreter"), InterpretedProgram)


def test_auto_engine_traces_on_the_interpreter() -> None:
    assert isinstance(select.prepare(SUM, engine="auto", trace=True), InterpretedProgram)


def test_jit_engine_refuses_what_it_does_not_support() -> None:
    with pytest.raises(NotSupported, match="trace"):
        select.prepare(SUM, engine="jit", trace=True)


def test_unknown_engine_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown VM engine"):
        select.prepare(SUM, engine="fast")  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["auto", "interpreter", "jit"])
def test_every_engine_runs_to_the_same_result(engine: select.Engine) -> None:
    assert select.run(SUM, engine=engine).r0 == 5050
