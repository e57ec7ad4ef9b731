"""``pybpf disasm``: the programs of an object as the kernel (or llvm-objdump) would print them.

Each program is shown *linked*, exactly as it would be loaded: the entry function first, then its
subprograms, with references named (maps, globals, externs, callees) from the spec's
relocations rather than shown as the zeros the compiler left in the immediates.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..isa import Instruction, Resolver, disassemble
from ..spec import ProgramSpec, Relocation, RelocationKind


class _SpecResolver(Resolver):
    """Names from a program's relocations."""

    def __init__(self, prog: ProgramSpec) -> None:
        self.relocations = prog.relocations

    def _reloc(self, slot: int) -> Relocation | None:
        return self.relocations.get(slot)

    def kfunc(self, insn: Instruction, slot: int) -> str | None:
        reloc = self._reloc(slot)
        return reloc.target if reloc is not None and reloc.kind is RelocationKind.KFUNC else None

    def subprog(self, insn: Instruction, slot: int) -> str | None:
        reloc = self._reloc(slot)
        if reloc is not None and reloc.kind in (RelocationKind.SUBPROGRAM, RelocationKind.FUNC_ADDR):
            return reloc.target
        return None

    def imm64(self, insn: Instruction, slot: int) -> str | None:
        reloc = self._reloc(slot)
        if reloc is None or reloc.kind in (RelocationKind.SUBPROGRAM, RelocationKind.FUNC_ADDR):
            return None
        if reloc.kind is RelocationKind.MAP:
            return f"map[id:{reloc.target}]"
        if reloc.kind in (RelocationKind.MAP_VALUE, RelocationKind.KCONFIG):
            where = reloc.target if reloc.kind is RelocationKind.MAP_VALUE else f".kconfig:{reloc.target}"
            return f"map[id:{where}][0]+{reloc.offset}"
        return f"{reloc.kind.value}:{reloc.target}"


def program_listing(prog: ProgramSpec, *, syntax: str = "kernel", linum: bool = False, opcodes: bool = False) -> list[str]:
    """Header line plus one line per instruction (and source/label lines) for one program."""
    attach = f", attach {prog.expected_attach_type.name.lower()}" if prog.expected_attach_type is not None else ""
    header = f"{prog.name}: section {prog.section!r}, type {prog.type.name.lower()}{attach}"
    line_info: dict[int, str] = {}
    previous = None
    for li in sorted(prog.line_info, key=lambda li: li.insn):
        text = li.text.strip()
        if linum:
            text = f"{text} [{os.path.basename(li.file)}:{li.line}:{li.column}]"
        elif (li.file, li.line) == previous:
            continue  # clang emits one record per column; show each source line once
        previous = (li.file, li.line)
        line_info.setdefault(li.insn, text)
    symbols = {slot: name for name, slot in prog.subprograms.items()}
    if syntax == "llvm":
        symbols[0] = prog.name
    lines = disassemble(
        prog.instructions,
        syntax=syntax,  # type: ignore[arg-type]
        opcodes=opcodes,
        line_info=line_info,
        symbols=symbols,
        resolver=_SpecResolver(prog),
    )
    return [header, *lines]


@click.command("disasm")
@click.argument("obj", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--section", "-s", "section", help="Only programs of this ELF section.")
@click.option("--program", "-p", "program", help="Only this program.")
@click.option("--linum", is_flag=True, help="Add file:line:column to source lines.")
@click.option("--syntax", type=click.Choice(["kernel", "llvm"]), default="kernel", show_default=True)
@click.option("--opcodes", is_flag=True, help="Show the raw bytes of each instruction.")
def disasm(obj: Path, section: str | None, program: str | None, linum: bool, syntax: str, opcodes: bool) -> None:
    """Disassemble the programs of a BPF object, one line per instruction."""
    from ..elf import parse_object
    from ..errors import Error

    try:
        data = obj.read_bytes()
    except OSError as exc:
        raise Error(f"cannot read {obj}: {exc.strerror or exc}") from exc
    spec = parse_object(data, path=str(obj), unknown_sections="unspec")
    programs = [
        p
        for p in spec.programs.values()
        if (section is None or p.section == section) and (program is None or p.name == program)
    ]
    if not programs:
        what = f"section {section!r}" if section else f"program {program!r}" if program else "the object"
        raise Error(f"no programs in {what} (have: {', '.join(sorted({p.section for p in spec.programs.values()}))})")
    for index, prog in enumerate(programs):
        if index:
            click.echo()
        click.echo("\n".join(program_listing(prog, syntax=syntax, linum=linum, opcodes=opcodes)))
