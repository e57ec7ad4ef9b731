"""``pybpf vm run``: run a program in the userspace VM and print r0.

The program can be assembly text (any dialect the assembler reads), a bpf_conformance ``.data``
file (its memory is used unless ``--mem`` overrides it, and its expected result is checked), or
raw instruction bytes (``.bin``/``.o``-free byte dumps).  With the conformance suite's helper
table, so files that call the "unwind" helper run as the suite expects.  ``--engine`` picks
the interpreter (the default), the JIT or ``auto``; ``--trace`` needs the interpreter.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import Error
from ..isa.instruction import Instruction


def _load_program(path: Path, dialect: str | None) -> tuple[bytes, bytes | None, int | None]:
    """(program bytes, memory from the file or None, expected r0 or None)."""
    from ..isa import assemble, encode
    from ..vm.conformance import assemble_case, parse_case

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from exc
    if path.suffix == ".data":
        case = parse_case(data.decode("utf-8", errors="replace"), path.name)
        return assemble_case(case), case.memory, case.result
    if path.suffix in (".bin", ".raw"):
        return data, None, None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Error(f"{path} is neither assembly text nor a .bin file of raw instructions") from exc
    return bytes(encode(assemble(text, dialect=dialect))), None, None  # type: ignore[arg-type]


class _TracePrinter:
    """Prints each executed instruction with the registers it changed.

    A tracer sees the registers *before* an instruction, so a line is printed when the next
    instruction starts: that is when the effect of this one is known.
    """

    def __init__(self, slots: list[tuple[int, Instruction]]) -> None:
        from ..isa import format_kernel

        self.text = {slot: format_kernel(insn, slot=slot) for slot, insn in slots}
        self.previous: tuple[int, ...] | None = None
        self.pending: int | None = None

    def __call__(self, slot: int, registers: tuple[int, ...]) -> None:
        self._emit(registers)
        self.pending, self.previous = slot, registers

    def _emit(self, registers: tuple[int, ...] | None) -> None:
        if self.pending is None:
            return
        changes = ""
        if registers is not None and self.previous is not None:
            changed = [
                f"r{i}={new:#x}"
                for i, (old, new) in enumerate(zip(self.previous, registers, strict=True))
                if old != new
            ]
            changes = f"  ; {' '.join(changed)}" if changed else ""
        click.echo(f"{self.pending:5}: {self.text[self.pending]}{changes}")

    def flush(self) -> None:
        self._emit(None)
        self.pending = None


@click.group()
def vm() -> None:
    """Run BPF programs in the userspace VM."""


@vm.command("run")
@click.argument("program", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mem", "mem_hex", help="Initial memory as hex bytes (r1 points at it, r2 is its length).")
@click.option("--dialect", type=click.Choice(["kernel", "llvm", "conformance"]), help="Assembly dialect.")
@click.option("--budget", type=int, default=None, help="Instruction budget (default 1,000,000).")
@click.option("--show-memory", is_flag=True, help="Print the memory as the program left it.")
@click.option("--trace", is_flag=True, help="Print every executed instruction and the registers it changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--engine",
    type=click.Choice(["interpreter", "jit", "auto"]),
    default="interpreter",
    show_default=True,
    help="Execution engine: the Python interpreter, the LLVM JIT (needs llvmlite), or the JIT when available.",
)
def run_command(
    program: Path,
    mem_hex: str | None,
    dialect: str | None,
    budget: int | None,
    show_memory: bool,
    trace: bool,
    as_json: bool,
    engine: str,
) -> None:
    """Run PROGRAM (assembly, conformance .data file or raw .bin) and print r0."""
    from ..vm import DEFAULT_BUDGET
    from ..vm.conformance import conformance_helpers
    from ..vm.jit.select import prepare
    from ..vm.plugin import parse_hex

    code, file_memory, expected = _load_program(program, dialect)
    memory = parse_hex(mem_hex) if mem_hex is not None else (file_memory or b"")
    prepared = prepare(
        code,
        engine=engine,  # type: ignore[arg-type]
        helpers=conformance_helpers(),
        budget=budget if budget is not None else DEFAULT_BUDGET,
        trace=trace,
    )
    printer = _TracePrinter(prepared.slots) if trace else None
    try:
        result = prepared.run(memory, tracer=printer)
    finally:
        if printer is not None:
            printer.flush()
    matches = None if expected is None or mem_hex is not None else result.r0 == expected
    if as_json:
        record: dict[str, object] = {"r0": result.r0, "instructions": result.instructions}
        if show_memory:
            record["memory"] = result.memory.hex()
        if matches is not None:
            record["expected"] = expected
            record["matches"] = matches
        click.echo(json.dumps(record))
    else:
        click.echo(f"r0 = {result.r0:#x} ({result.r0})")
        click.echo(f"instructions executed: {result.instructions}")
        if show_memory:
            click.echo(f"memory: {result.memory.hex(' ')}")
        if matches is not None:
            click.echo("result matches the expected value" if matches else f"expected {expected:#x}")
    if matches is False:
        raise SystemExit(1)
