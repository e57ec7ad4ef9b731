"""``pybpf disasm``, and the program split checked against ``llvm-objdump -d``."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from pybpf.cli.main import cli
from pybpf.elf import read_object
from pybpf.errors import Error
from pybpf.spec import ProgramSpec, RelocationKind

# Instructions whose immediate or src the parser rewrites: everything else must be byte-identical.
REWRITTEN = {RelocationKind.SUBPROGRAM, RelocationKind.FUNC_ADDR, RelocationKind.KFUNC}


@dataclass
class ObjdumpFunction:
    section: str
    name: str
    start: int
    insns: dict[int, bytes] = field(default_factory=dict)  # section slot → bytes
    relocs: dict[int, tuple[str, str]] = field(default_factory=dict)  # section slot → (type, symbol)


def objdump(tool: str, path: Path) -> dict[str, ObjdumpFunction]:
    out = subprocess.run([tool, "-dr", str(path)], capture_output=True, text=True, check=True).stdout
    functions: dict[str, ObjdumpFunction] = {}
    section = ""
    current: ObjdumpFunction | None = None
    last_slot = 0
    for line in out.splitlines():
        if m := re.match(r"^Disassembly of section (.+):$", line):
            section = m.group(1)
        elif m := re.match(r"^([0-9a-f]{16}) <(.+)>:$", line):
            current = ObjdumpFunction(section, m.group(2), int(m.group(1), 16) // 8)
            functions[current.name] = current
        elif (m := re.match(r"^\s*(\d+):\t([0-9a-f ]+?)\t", line)) and current is not None:
            last_slot = int(m.group(1))
            current.insns[last_slot] = bytes.fromhex(m.group(2))
        elif (m := re.match(r"^\s+[0-9a-f]+:\s+(R_BPF_\w+)\s+(\S+)", line)) and current is not None:
            current.relocs[last_slot] = (m.group(1), m.group(2))
    return functions


def placed_copies(prog: ProgramSpec) -> list[tuple[str, int]]:
    """(function name, first slot in the linked program) of the entry and every subprogram."""
    return [(prog.name, 0), *prog.subprograms.items()]


OBJECTS = ["calls", "maps", "globals", "externs", "sections", "core", "struct_ops"]


@pytest.mark.tool
@pytest.mark.parametrize("name", OBJECTS)
def test_every_linked_function_matches_llvm_objdump_instruction_by_instruction(
    objects: dict[str, Path], llvm_objdump: str, name: str
) -> None:
    reference = objdump(llvm_objdump, objects[name])
    spec = read_object(objects[name])
    for prog in spec.programs.values():
        ours = dict(zip(prog.slots(), prog.instructions, strict=True))
        for fn_name, base in placed_copies(prog):
            fn = reference[fn_name]
            assert fn.insns, fn_name
            for slot, raw in fn.insns.items():
                insn = ours[base + slot - fn.start]
                reloc = prog.relocations.get(base + slot - fn.start)
                if reloc is not None and reloc.kind in REWRITTEN:
                    assert insn.opcode == raw[0] and insn.dst == raw[1] & 0xF, (prog.name, fn_name, slot)
                else:
                    assert insn.encode() == raw, (prog.name, fn_name, slot)


@pytest.mark.tool
@pytest.mark.parametrize("name", OBJECTS)
def test_linked_programs_end_where_their_last_function_ends(
    objects: dict[str, Path], llvm_objdump: str, name: str
) -> None:
    reference = objdump(llvm_objdump, objects[name])
    for prog in read_object(objects[name]).programs.values():
        expected = sum(len_in_slots(reference[fn]) for fn, _ in placed_copies(prog))
        assert prog.slot_count == expected


def len_in_slots(fn: ObjdumpFunction) -> int:
    last = max(fn.insns)
    return last + len(fn.insns[last]) // 8 - fn.start


@pytest.mark.tool
@pytest.mark.parametrize("name", OBJECTS)
def test_every_objdump_relocation_has_a_symbolic_relocation_at_the_same_slot(
    objects: dict[str, Path], llvm_objdump: str, name: str
) -> None:
    reference = objdump(llvm_objdump, objects[name])
    spec = read_object(objects[name])
    for prog in spec.programs.values():
        for fn_name, base in placed_copies(prog):
            fn = reference[fn_name]
            for slot, (_, symbol) in fn.relocs.items():
                reloc = prog.relocations.get(base + slot - fn.start)
                assert reloc is not None, (prog.name, fn_name, slot, symbol)
                if reloc.kind in (
                    RelocationKind.MAP,
                    RelocationKind.KCONFIG,
                    RelocationKind.KSYM,
                    RelocationKind.KFUNC,
                ):
                    assert reloc.target == symbol
                elif reloc.kind is RelocationKind.MAP_VALUE:
                    variables = spec.maps[reloc.target].variables
                    assert symbol == reloc.target or variables[symbol].offset == reloc.offset


# ----------------------------------------------------------------- the command


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["disasm", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_disasm_prints_a_header_per_program_with_section_and_type(objects: dict[str, Path]) -> None:
    out = run(str(objects["calls"]))
    headers = [
        line
        for line in out.splitlines()
        if line
        and not line[0].isspace()
        and not line.startswith(";")
        and line.endswith(("xdp", "sched_cls", "raw_tracepoint"))
    ]
    assert headers == [
        "xdp_first: section 'xdp', type xdp, attach xdp",
        "xdp_second: section 'xdp', type xdp, attach xdp",
        "tc_prog: section 'tc', type sched_cls",
        "plain: section 'raw_tp/sys_enter', type raw_tracepoint",
    ]


def test_disasm_prints_one_line_per_instruction_led_by_its_slot(objects: dict[str, Path]) -> None:
    prog = read_object(objects["calls"]).programs["xdp_first"]
    out = run(str(objects["calls"]), "--program", "xdp_first")
    slots = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+): ", out, re.M)]
    assert slots == prog.slots()


def test_disasm_section_filter_keeps_only_that_section(objects: dict[str, Path]) -> None:
    out = run(str(objects["calls"]), "--section", "tc")
    assert "tc_prog: section 'tc'" in out and "xdp_first" not in out


def test_disasm_names_maps_callees_and_kfuncs(objects: dict[str, Path]) -> None:
    assert "map[id:values]" in run(str(objects["calls"]), "-p", "tc_prog")
    assert "#middle" in run(str(objects["calls"]), "-p", "xdp_first")
    assert "call bpf_task_acquire" in run(str(objects["externs"]))


def test_disasm_shows_source_lines(objects: dict[str, Path]) -> None:
    out = run(str(objects["calls"]), "-p", "plain")
    assert "; return 0;" in out


def test_disasm_linum_adds_file_and_line(objects: dict[str, Path]) -> None:
    out = run(str(objects["calls"]), "-p", "plain", "--linum")
    assert re.search(r"; return 0; \[calls\.bpf\.c:\d+:\d+\]", out)


def test_disasm_opcodes_shows_raw_bytes(objects: dict[str, Path]) -> None:
    out = run(str(objects["calls"]), "-p", "plain", "--opcodes")
    assert "95 00 00 00 00 00 00 00" in out


def test_disasm_llvm_syntax_labels_functions(objects: dict[str, Path]) -> None:
    out = run(str(objects["calls"]), "-p", "xdp_first", "--syntax", "llvm")
    assert "<xdp_first>:" in out and "<leaf>:" in out


def test_disasm_of_a_missing_section_is_a_pybpf_error(objects: dict[str, Path]) -> None:
    with pytest.raises(Error, match="no programs"):
        CliRunner().invoke(
            cli, ["disasm", str(objects["calls"]), "--section", "nope"], catch_exceptions=False
        )
