"""Issue 2 acceptance: the libbpf-bootstrap style examples, end to end through the command line.

Every example is compiled by ``pybpf build`` (a fresh process, as a user runs it, on a machine
with no libbpf headers), parsed into an ``ObjectSpec``, and its programs' text in the llvm syntax
compared line by line with ``llvm-objdump -d`` of the same object; ``pybpf disasm`` prints one
line per instruction, led by its slot.  Bad input to the commands is a one-line error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pybpf.isa import disassemble
from pybpf.spec import ObjectSpec, RelocationKind
from testlib import ROOT, find_tool

EXAMPLES = ROOT / "examples"
NAMES = sorted(p.name.removesuffix(".bpf.c") for p in EXAMPLES.glob("*.bpf.c"))
LIBBPF_STYLE = {"minimal", "bootstrap", "uprobe", "tc", "sockfilter", "task_iter"}
LLVM_OBJDUMP = find_tool("llvm-objdump", "llvm-objdump-14")
# Instructions whose immediate the parser rewrites when it links subprograms.
REWRITTEN = {RelocationKind.SUBPROGRAM, RelocationKind.FUNC_ADDR, RelocationKind.KFUNC}


def pybpf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pybpf", *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("issue2_examples")
    objects: dict[str, Path] = {}
    for name in NAMES:
        obj = out / f"{name}.bpf.o"
        done = pybpf("build", str(EXAMPLES / f"{name}.bpf.c"), "-o", str(obj))
        assert done.returncode == 0, done.stderr
        objects[name] = obj
    return objects


@dataclass
class Function:
    name: str
    lines: dict[int, str] = field(default_factory=dict)  # slot -> instruction text


def objdump_functions(path: Path) -> dict[str, Function]:
    assert LLVM_OBJDUMP is not None
    out = subprocess.run(
        [LLVM_OBJDUMP, "-d", "--no-show-raw-insn", "--mattr=+alu32", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    functions: dict[str, Function] = {}
    current: Function | None = None
    for line in out.splitlines():
        if m := re.match(r"^[0-9a-f]{16} <(.+)>:$", line):
            current = functions.setdefault(m.group(1), Function(m.group(1)))
        elif (m := re.match(r"^\s*(\d+):\t(.*)$", line)) and current is not None:
            current.lines[int(m.group(1))] = m.group(2).rstrip()
    return functions


def our_lines(spec: ObjectSpec, program: str) -> dict[int, str]:
    lines: dict[int, str] = {}
    for line in disassemble(
        spec.programs[program].instructions, syntax="llvm", alu32=True, symbols={0: program}
    ):
        if m := re.match(r"^\s*(\d+):\t(.*)$", line):
            lines[int(m.group(1))] = m.group(2).rstrip()
    return lines


def test_the_examples_include_every_libbpf_bootstrap_style_program() -> None:
    assert set(NAMES) >= LIBBPF_STYLE


def test_no_libbpf_headers_are_installed_on_the_system_the_examples_build_on() -> None:
    # The claim "builds with no libbpf headers" is only checked where there are none to find.
    if Path("/usr/include/bpf/bpf_helpers.h").exists():
        pytest.skip("libbpf headers are installed here")
    assert not Path("/usr/local/include/bpf/bpf_helpers.h").exists()


@pytest.mark.parametrize("name", NAMES)
def test_pybpf_build_of_the_example_gives_an_object_spec_with_programs_and_license(
    built: dict[str, Path], name: str
) -> None:
    spec = ObjectSpec.from_file(built[name])
    assert spec.programs
    assert spec.license


@pytest.mark.tool
@pytest.mark.parametrize("name", NAMES)
def test_example_program_text_matches_llvm_objdump_line_by_line(built: dict[str, Path], name: str) -> None:
    if LLVM_OBJDUMP is None:
        pytest.skip("llvm-objdump is not installed")
    spec = ObjectSpec.from_file(built[name])
    reference = objdump_functions(built[name])
    for prog in spec.programs.values():
        want = reference[prog.name].lines
        mine = our_lines(spec, prog.name)
        assert want, prog.name
        if not prog.subprograms:
            assert mine.keys() == want.keys(), prog.name
        entry = {slot: text for slot, text in mine.items() if slot in want}
        skipped = {
            slot for slot, reloc in prog.relocations.items() if reloc.kind in REWRITTEN and slot in want
        }
        assert {s: t for s, t in entry.items() if s not in skipped} == {
            s: t for s, t in want.items() if s not in skipped
        }, prog.name


@pytest.mark.parametrize("name", NAMES)
def test_pybpf_disasm_prints_one_line_per_instruction_led_by_its_slot(
    built: dict[str, Path], name: str
) -> None:
    spec = ObjectSpec.from_file(built[name])
    done = pybpf("disasm", str(built[name]))
    assert done.returncode == 0, done.stderr
    slots = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+): ", done.stdout, re.M)]
    expected = [slot for prog in spec.programs.values() for slot in prog.slots()]
    assert slots == expected


@pytest.mark.parametrize(
    ("command", "content"),
    [
        (("disasm", "{}"), b"not an object\n"),
        (("disasm", "{}"), b"\x7fELF\x02\x01\x01" + bytes(40)),
        (("btf", "dump", "{}"), b"\x9f\xeb\x01\x00\x18\x00\x00\x00"),
        (("btf", "dump", "{}"), b"\x7fELF\x02\x01\x01" + bytes(40)),
        (("btf", "dump", "{}", "--format", "c"), b"garbage" * 10),
    ],
    ids=["disasm-text", "disasm-truncated-elf", "btf-truncated-header", "btf-truncated-elf", "btf-c-garbage"],
)
def test_malformed_input_to_a_command_is_a_one_line_error_without_traceback(
    tmp_path: Path, command: tuple[str, ...], content: bytes
) -> None:
    bad = tmp_path / "bad.o"
    bad.write_bytes(content)
    done = pybpf(*(str(bad) if arg == "{}" else arg for arg in command))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("pybpf: error:")


@pytest.mark.parametrize("cut", [64, 1000, 4000])
def test_truncated_example_object_is_a_one_line_disasm_error(
    built: dict[str, Path], tmp_path: Path, cut: int
) -> None:
    bad = tmp_path / "cut.o"
    bad.write_bytes(built["minimal"].read_bytes()[:cut])
    done = pybpf("disasm", str(bad))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_compile_error_shows_the_compilers_message(tmp_path: Path) -> None:
    source = tmp_path / "broken.bpf.c"
    source.write_text("int f(void) { return undeclared_thing; }\n")
    done = pybpf("build", str(source), "-o", str(tmp_path / "broken.o"))
    assert done.returncode == 1
    assert "undeclared_thing" in done.stderr
    assert "Traceback" not in done.stderr
