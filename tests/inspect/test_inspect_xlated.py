"""``prog dump xlated|jited`` and the program actions (pin, run, load)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from pybpf.inspect import cfg, xlated
from pybpf.inspect.xlated import Row
from pybpf.isa import Instruction
from testlib import find_tool

# bpftool 7.1 predates the per-CPU address move (``mov`` with off -1, which the kernel inlines
# into per-CPU array lookups) and prints it as a plain move; we print it as today's kernel does.
_PERCPU_MOVE = re.compile(r"&\(void __percpu \*\)\((r\d+)\)")


def _as_old_bpftool(text: str) -> str:
    return _PERCPU_MOVE.sub(r"\1", text)


def _bpftool_text(*args: str) -> str:
    tool = find_tool("bpftool")
    if tool is None:
        pytest.skip("bpftool is not installed")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.kernel
@pytest.mark.parametrize("name", ["insp_xdp", "insp_sock"])
@pytest.mark.parametrize("flags", [(), ("--opcodes",), ("--linum",)])
def test_dump_xlated_json_matches_bpftool_instruction_by_instruction(
    loaded: Any, bpftool: Any, pybpf_cli: Any, name: str, flags: tuple[str, ...]
) -> None:
    prog_id = str(loaded.programs[name].id)
    ours = pybpf_cli("prog", "dump", "xlated", "id", prog_id, "--json", *flags).json()
    theirs = bpftool("prog", "dump", "xlated", "id", prog_id, *(f.lstrip("-") for f in flags))
    assert len(ours) == len(theirs)
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        mine["disasm"] = _as_old_bpftool(mine["disasm"])
        assert mine == reference, index


@pytest.mark.kernel
@pytest.mark.parametrize("name", ["insp_xdp", "insp_sock"])
def test_dump_xlated_plain_matches_bpftool_text(loaded: Any, pybpf_cli: Any, name: str) -> None:
    prog_id = str(loaded.programs[name].id)
    ours = _as_old_bpftool(pybpf_cli("prog", "dump", "xlated", "id", prog_id).output)
    assert ours.splitlines() == _bpftool_text("prog", "dump", "xlated", "id", prog_id).splitlines()


@pytest.mark.kernel
def test_dump_xlated_names_the_subprogram_of_a_bpf_to_bpf_call(loaded: Any, pybpf_cli: Any) -> None:
    text = pybpf_cli("prog", "dump", "xlated", "id", str(loaded.programs["insp_sock"].id)).output
    assert "int twice(int v):" in text
    assert re.search(r"call pc\+\d+#bpf_prog_[0-9a-f]{16}_twice", text)


@pytest.mark.kernel
def test_dump_xlated_resolves_helpers_and_maps(loaded: Any, pybpf_cli: Any) -> None:
    program = loaded.programs["insp_xdp"]
    text = pybpf_cli("prog", "dump", "xlated", "id", str(program.id)).output
    assert f"map[id:{program.info.map_ids[0]}]" in text
    assert "call unknown" not in text


@pytest.mark.kernel
def test_dump_xlated_visual_matches_bpftool_graph(loaded: Any, pybpf_cli: Any) -> None:
    prog_id = str(loaded.programs["insp_xdp"].id)
    ours = pybpf_cli("prog", "dump", "xlated", "id", prog_id, "--visual").output
    assert ours.splitlines() == _bpftool_text("prog", "dump", "xlated", "id", prog_id, "visual").splitlines()


@pytest.mark.kernel
def test_dump_jited_disassembles_machine_code(loaded: Any, pybpf_cli: Any) -> None:
    if find_tool("llvm-objdump") is None:
        pytest.importorskip("capstone")
    prog_id = str(loaded.programs["insp_xdp"].id)
    lines = pybpf_cli("prog", "dump", "jited", "id", prog_id, "--json").json()
    info = loaded.programs["insp_xdp"].info
    assert (
        lines
        and sum(
            len(line["opcodes"])
            for line in pybpf_cli("prog", "dump", "jited", "id", prog_id, "--json", "--opcodes").json()
        )
        == info.jited_prog_len
    )


@pytest.mark.kernel
def test_prog_run_reports_the_return_value(loaded: Any, pybpf_cli: Any, tmp_path: Any) -> None:
    packet = tmp_path / "packet"
    packet.write_bytes(bytes(64))
    prog_id = str(loaded.programs["insp_xdp"].id)
    result = pybpf_cli("prog", "run", "id", prog_id, "--data-in", str(packet), "--repeat", "3", "--json")
    assert result.json()["retval"] == 2  # XDP_PASS


@pytest.mark.kernel
def test_prog_load_pins_every_program_bpftool_can_open(
    inspect_object_path: Any, bpffs_dir: Any, bpftool: Any, pybpf_cli: Any
) -> None:
    result = pybpf_cli("prog", "load", str(inspect_object_path), str(bpffs_dir / "obj"), "--json")
    assert result.exit_code == 0, result.stderr
    loaded = {entry["name"]: entry for entry in result.json()}
    assert set(loaded) == {"insp_xdp", "insp_sock", "insp_long_program_name"}
    for name, entry in loaded.items():
        assert bpftool("prog", "show", "pinned", entry["pinned"])["name"] == name


@pytest.mark.kernel
def test_prog_pin_creates_a_pin_of_that_program(loaded: Any, bpffs_dir: Any, pybpf_cli: Any) -> None:
    prog_id = loaded.programs["insp_sock"].id
    path = bpffs_dir / "pinned_sock"
    assert pybpf_cli("prog", "pin", "id", str(prog_id), str(path)).exit_code == 0
    assert pybpf_cli("prog", "show", "pinned", str(path), "--json").json()["id"] == prog_id


def _rows(*insns: Instruction) -> list[Row]:
    out, slot = [], 0
    for insn in insns:
        out.append(Row(slot, insn, f"({insn.opcode:02x})", None, None))
        slot += insn.slots
    return out


@pytest.mark.parametrize(
    ("insns", "successors"),
    [
        # r0 = 0; exit
        ((Instruction(0xB7), Instruction(0x95)), [[]]),
        # if r1 == 0 goto +1; r0 = 1; exit
        ((Instruction(0x15, dst=1, off=1), Instruction(0xB7, imm=1), Instruction(0x95)), [[1, 2], [2], []]),
        # goto +1; r0 = 1; exit
        ((Instruction(0x05, off=1), Instruction(0xB7, imm=1), Instruction(0x95)), [[2], [2], []]),
    ],
)
def test_cfg_blocks_follow_fallthrough_then_jump_target(
    insns: tuple[Instruction, ...], successors: list[list[int]]
) -> None:
    assert [b.successors for b in cfg.blocks(_rows(*insns))] == successors


def test_prototype_of_missing_type_is_none() -> None:
    from pybpf.btf import BTF

    empty = BTF.from_bytes(bytes.fromhex("9feb010018000000000000000000000000000000010000000000"))
    assert xlated.prototype(empty, 5) is None


def test_dot_output_is_a_digraph_with_entry_and_exit() -> None:
    text = cfg.dot(_rows(Instruction(0xB7), Instruction(0x95)))
    assert text.startswith('digraph "DOT graph for eBPF program" {')
    assert 'label="ENTRY"' in text and 'label="EXIT"' in text


@pytest.mark.kernel
def test_prog_load_autoattach_pins_a_link_per_program(
    bpffs_dir: Any, bpftool: Any, pybpf_cli: Any, tmp_path: Any
) -> None:
    from tests_inspect_lib import DATA

    from testlib import compile_bpf

    obj = compile_bpf(DATA / "autoattach.bpf.c", tmp_path / "autoattach.bpf.o")
    result = pybpf_cli("prog", "load", str(obj), str(bpffs_dir / "auto"), "--autoattach", "--json")
    assert result.exit_code == 0, result.stderr
    for entry in result.json():
        link = bpftool("link", "show", "pinned", entry["link_pinned"])
        assert link["prog_id"] == entry["prog_id"]


@pytest.mark.kernel
def test_dump_visual_to_svg_needs_graphviz(loaded: Any, pybpf_cli: Any, tmp_path: Any) -> None:
    import shutil

    out = tmp_path / "cfg.svg"
    result = pybpf_cli(
        "prog", "dump", "xlated", "id", str(loaded.programs["insp_xdp"].id), "--visual", "-o", str(out)
    )
    if shutil.which("dot") is None:
        assert result.exit_code != 0 and "Graphviz" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    else:
        assert result.exit_code == 0 and out.read_bytes().lstrip().startswith(b"<")


def test_jited_dump_without_any_disassembler_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from pybpf.errors import ToolNotFound
    from pybpf.inspect import jited

    monkeypatch.setitem(sys.modules, "capstone", None)
    monkeypatch.setattr(jited.shutil, "which", lambda _name: None)
    with pytest.raises(ToolNotFound, match="capstone"):
        jited.disassemble(b"\x90")


def test_prog_tracelog_prints_each_trace_pipe_line(monkeypatch: pytest.MonkeyPatch, pybpf_cli: Any) -> None:
    from pybpf import tracefs

    lines = ["  sh-12 [000] d..31 1.000000: bpf_trace_printk: hello", "  sh-12 [001] d..31 2.000000: x: y"]
    events = [tracefs.parse_trace_line(line) for line in lines]

    def fake_pipe(timeout: float | None = None, **_: Any) -> Any:
        assert timeout == 0.5
        return iter(events)

    monkeypatch.setattr(tracefs, "trace_pipe", fake_pipe)
    assert pybpf_cli("prog", "tracelog", "--timeout", "0.5").output.splitlines() == lines
