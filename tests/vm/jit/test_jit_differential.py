"""Property tests: on random programs the JIT and the interpreter agree on everything observable.

r0, the memory as left, the instruction count, and for faults the reason, instruction, address,
size and region.  The one documented difference is which blocks test the budget (backward-jump
targets on the JIT, region heads on the interpreter), so a budget fault on one side only
requires the other to have run past the budget too.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jit_support import is_budget_fault, outcome, require_llvmlite
from vm_builders import binop_program, operands

from pybpf.isa.instruction import Instruction
from pybpf.isa.opcodes import AluOp
from pybpf.vm import Machine, prepare, run

require_llvmlite()

from test_vm_fuzz import program as random_program  # noqa: E402
from test_vm_properties import SHAPES, interesting  # noqa: E402

from pybpf.vm import jit  # noqa: E402

BUDGET = 300


def _helper(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
    return (r1 * 3 + r2) ^ r5


HELPERS = {0: _helper}


def _past_budget(result: tuple[Any, ...]) -> bool:
    """A run one engine may have taken past the budget the other stopped it at."""
    return result[0] == "fault" or (result[0] == "ok" and result[3] > BUDGET)


def _agree(interpreted: tuple[Any, ...], compiled: tuple[Any, ...]) -> None:
    """Equal outcomes, except where the engines test the budget at different blocks.

    Both test it only at some blocks (loop heads), so when one stops a run on the budget the
    other may have gone on past it, to its end or to another fault, but never stayed within it.
    """
    if is_budget_fault(interpreted) and not is_budget_fault(compiled):
        assert _past_budget(compiled)
    elif is_budget_fault(compiled) and not is_budget_fault(interpreted):
        assert _past_budget(interpreted)
    elif not is_budget_fault(compiled):
        assert compiled == interpreted


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_program, st.binary(max_size=48))
def test_random_program_gives_the_same_outcome_on_jit_and_interpreter(
    insns: list[Instruction], memory: bytes
) -> None:
    kwargs: dict[str, Any] = {"memory": memory, "budget": BUDGET, "helpers": HELPERS}
    _agree(outcome(run, insns, **kwargs), outcome(jit.run, insns, **kwargs))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_program, st.binary(min_size=1, max_size=32), st.binary(max_size=24), st.booleans())
def test_random_program_with_ctx_and_packet_agrees_on_both_engines(
    insns: list[Instruction], ctx: bytes, packet: bytes, writable: bool
) -> None:
    kwargs: dict[str, Any] = {
        "memory": bytes(8),
        "ctx": ctx,
        "packet": packet,
        "ctx_writable": writable,
        "budget": BUDGET,
        "helpers": HELPERS,
    }
    _agree(outcome(run, insns, **kwargs), outcome(jit.run, insns, **kwargs))


_PREPARED: dict[tuple[AluOp, bool, bool], tuple[Any, Any]] = {}


def _both(op: AluOp, wide: bool, signed: bool) -> tuple[Any, Any]:
    key = (op, wide, signed)
    if key not in _PREPARED:
        insns = binop_program(op, wide=wide, signed=signed)
        _PREPARED[key] = (prepare(insns), jit.prepare(insns))
    return _PREPARED[key]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SHAPES), st.booleans(), interesting, interesting)
def test_alu_operation_agrees_on_jit_and_interpreter_for_corner_operands(
    shape: tuple[AluOp, bool], wide: bool, a: int, b: int
) -> None:
    interpreter, compiled = _both(shape[0], wide, shape[1])
    memory = operands(a, b)
    assert compiled.run(memory).r0 == interpreter.run(memory).r0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_arbitrary_bytes_give_the_same_outcome_on_jit_and_interpreter(code: bytes) -> None:
    kwargs: dict[str, Any] = {"memory": bytes(8), "budget": BUDGET}
    _agree(outcome(run, code, **kwargs), outcome(jit.run, code, **kwargs))
