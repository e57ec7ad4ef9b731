"""Engine selection: ``engine="auto" | "interpreter" | "jit"`` for the VM's prepare/run.

Kept here, beside the JIT, so :mod:`pybpf.vm` can offer the choice with a one-line delegation
and never import llvmlite itself.  ``"auto"`` takes the JIT when llvmlite is installed and the
program is within what the JIT supports, and the interpreter otherwise; ``"jit"`` insists and
raises :class:`~pybpf.errors.NotSupported` (naming ``pip install 'pybpf[jit]'`` when llvmlite is
missing); ``"interpreter"`` never compiles native code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from ...errors import NotSupported
from ...isa.instruction import Instruction
from .. import interpreter
from ..interpreter import DEFAULT_BUDGET, Helper, RunResult
from . import program as jit_program

Engine = Literal["auto", "interpreter", "jit"]
ENGINES: tuple[Engine, ...] = ("auto", "interpreter", "jit")


def prepare(
    program: bytes | bytearray | Iterable[Instruction],
    *,
    engine: Engine = "auto",
    helpers: Mapping[int, Helper] | None = None,
    budget: int = DEFAULT_BUDGET,
    strict_alignment: bool = False,
    trace: bool = False,
) -> interpreter.Program | jit_program.Program:
    """Prepare ``program`` on the chosen engine; both results have the same ``run()``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown VM engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if isinstance(program, Iterable) and not isinstance(program, bytes | bytearray):
        program = list(program)  # may be consumed twice when "auto" falls back
    if engine == "jit" or (engine == "auto" and not trace):
        try:
            return jit_program.Program(
                program, helpers=helpers, budget=budget, strict_alignment=strict_alignment, trace=trace
            )
        except NotSupported:
            if engine == "jit":
                raise
    return interpreter.Program(
        program, helpers=helpers, budget=budget, strict_alignment=strict_alignment, trace=trace
    )


def run(
    program: bytes | bytearray | Iterable[Instruction],
    *,
    engine: Engine = "auto",
    memory: bytes | bytearray = b"",
    ctx: bytes | bytearray | None = None,
    packet: bytes | bytearray | None = None,
    helpers: Mapping[int, Helper] | None = None,
    budget: int = DEFAULT_BUDGET,
    strict_alignment: bool = False,
    ctx_writable: bool = True,
) -> RunResult:
    """Prepare and run once on the chosen engine (``"auto"`` falls back at run time too)."""
    if isinstance(program, Iterable) and not isinstance(program, bytes | bytearray):
        program = list(program)
    prepared = prepare(
        program, engine=engine, helpers=helpers, budget=budget, strict_alignment=strict_alignment
    )
    try:
        return prepared.run(memory, ctx=ctx, packet=packet, ctx_writable=ctx_writable)
    except NotSupported:
        # Raised before any native code ran (a region the JIT cannot address): nothing to undo.
        if engine != "auto" or not isinstance(prepared, jit_program.Program):
            raise
    fallback = interpreter.Program(program, helpers=helpers, budget=budget, strict_alignment=strict_alignment)
    return fallback.run(memory, ctx=ctx, packet=packet, ctx_writable=ctx_writable)


__all__ = ["ENGINES", "Engine", "prepare", "run"]
