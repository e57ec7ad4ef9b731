"""``prog dump xlated --visual``: the control-flow graph of translated code in DOT.

Blocks start at every jump target and after every jump or exit; each function (the entry and
every bpf-to-bpf call target) is a dashed cluster with ENTRY and EXIT nodes, laid out the way
bpftool draws it so the pictures can be compared.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pybpf._dataclasses import dataclass, field
from pybpf.errors import ToolNotFound
from pybpf.isa import Instruction
from pybpf.isa.opcodes import CallSrc, InsnClass

from .errors import InspectError
from .xlated import Row


@dataclass
class Block:
    """A basic block: rows of one straight-line run, and the blocks it flows to."""

    index: int
    rows: list[Row]
    successors: list[int] = field(default_factory=list)
    exits: bool = False


def _is_jump(insn: Instruction) -> bool:
    return insn.cls in (InsnClass.JMP, InsnClass.JMP32) and (insn.opcode & 0xF0) not in (0x80,)


def _target(insn: Instruction, slot: int) -> int | None:
    """The slot a jump goes to (``None`` for exit and calls)."""
    op = insn.opcode
    if op == 0x95 or (op & 0xF0) == 0x80:
        return None
    if op == 0x06:
        return slot + 1 + insn.imm
    return slot + 1 + insn.off


def function_starts(rows: list[Row]) -> list[int]:
    """Slots where functions start: 0 and the targets of bpf-to-bpf calls."""
    starts = {0}
    for row in rows:
        if row.insn.opcode == 0x85 and row.insn.src == CallSrc.PSEUDO_CALL:
            starts.add(row.slot + 1 + row.insn.imm)
    return sorted(starts)


def blocks(rows: list[Row]) -> list[Block]:
    """The basic blocks of one function's rows (slots are absolute)."""
    if not rows:
        return []
    leaders = {rows[0].slot}
    for i, row in enumerate(rows):
        if not _is_jump(row.insn):
            continue
        target = _target(row.insn, row.slot)
        if target is not None:
            leaders.add(target)
        if i + 1 < len(rows):
            leaders.add(rows[i + 1].slot)
    out: list[Block] = []
    for row in rows:
        if row.slot in leaders or not out:
            out.append(Block(len(out), []))
        out[-1].rows.append(row)
    by_slot = {b.rows[0].slot: b.index for b in out}
    for block in out:
        last = block.rows[-1]
        insn = last.insn
        if insn.opcode == 0x95:
            block.exits = True
            continue
        unconditional = insn.opcode in (0x05, 0x06)
        if not unconditional:
            if block.index + 1 < len(out):
                block.successors.append(block.index + 1)
            else:
                block.exits = True
        if _is_jump(insn):
            target = _target(insn, last.slot)
            if target is not None and target in by_slot:
                block.successors.append(by_slot[target])
    return out


def _label(text: str) -> str:
    for ch in '\\"{}<>|':
        text = text.replace(ch, "\\" + ch)
    return text


def dot(rows: list[Row]) -> str:
    """The whole program as a DOT digraph."""
    starts = function_starts(rows)
    out = ['digraph "DOT graph for eBPF program" {']
    for fn, start in enumerate(starts):
        end = starts[fn + 1] if fn + 1 < len(starts) else None
        body = [r for r in rows if r.slot >= start and (end is None or r.slot < end)]
        bbs = blocks(body)
        title = f"func_{fn}"
        out += [
            f'subgraph "cluster_{fn}" {{',
            '\tstyle="dashed";',
            '\tcolor="black";',
            f'\tlabel="{title} ()";',
        ]
        out.append(f'\tfn_{fn}_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];\n')
        for b in bbs:
            text = "\\l\\\n | ".join(f"{r.slot:4d}: {_label(r.text)}" for r in b.rows)
            out.append(f'\tfn_{fn}_bb_{b.index + 2} [shape=record,style=filled,label="{{{text}\\l\\\n}}"];\n')
        out.append(f'\tfn_{fn}_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];\n')
        edge = '[style="solid,bold", color=black, weight=10, constraint=true]'
        if bbs:
            out.append(f"\tfn_{fn}_bb_0:s -> fn_{fn}_bb_2:n {edge};")
        for b in bbs:
            for succ in b.successors:
                out.append(f"\tfn_{fn}_bb_{b.index + 2}:s -> fn_{fn}_bb_{succ + 2}:n {edge};")
            if b.exits:
                out.append(f"\tfn_{fn}_bb_{b.index + 2}:s -> fn_{fn}_bb_1:n {edge};")
        out.append(f'\tfn_{fn}_bb_0:s -> fn_{fn}_bb_1:n [style="invis", constraint=true];')
        out.append("}")
    out.append("}")
    return "\n".join(out)


def render(dot_text: str, output: Path) -> Path:
    """Render DOT to ``output`` (format from its suffix: .svg, .png) with Graphviz's ``dot``."""
    tool = shutil.which("dot")
    if tool is None:
        raise ToolNotFound("rendering a graph needs Graphviz's `dot` on PATH (apt install graphviz)")
    fmt = output.suffix.lstrip(".") or "svg"
    if fmt not in ("svg", "png", "pdf"):
        raise InspectError(f"cannot render to {output.suffix!r}: use .svg, .png or .pdf")
    done = subprocess.run(
        [tool, f"-T{fmt}", "-o", str(output)], input=dot_text, text=True, capture_output=True
    )
    if done.returncode != 0:
        raise InspectError(f"dot failed: {done.stderr.strip()}")
    return output


__all__ = ["Block", "blocks", "dot", "function_starts", "render"]
