"""Link an entry function with the subprograms it reaches into one program.

Callees are appended after the caller in the order they are first referenced (scanning the
growing program from the top, as libbpf does), each once, and every call and callback immediate
is rewritten to the relative slot offset of the appended copy.  ``.BTF.ext`` records of each
placed function follow it to its new position.
"""

from __future__ import annotations

from pybpf._sorted import bisect_left
from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

from pybpf._dataclasses import dataclass, field

from ..btf.ext import BTFExt
from ..errors import ELFError
from ..isa.instruction import Instruction
from ..spec import CORERelocation, FuncInfo, LineInfo, Relocation, RelocationKind
from .functions import CALL, CodeTarget, Function

PSEUDO_FUNC = 4
KFUNC_CALL = 2


@dataclass(slots=True)
class Linked:
    instructions: list[Instruction] = field(default_factory=list)
    relocations: dict[int, Relocation] = field(default_factory=dict)
    subprograms: dict[str, int] = field(default_factory=dict)
    func_info: list[FuncInfo] = field(default_factory=list)
    line_info: list[LineInfo] = field(default_factory=list)
    core_relocations: list[CORERelocation] = field(default_factory=list)


def link(entry: Function, starts: dict[tuple[int, int], Function], ext: ExtIndex | None) -> Linked:
    out = Linked()
    placed: dict[tuple[int, int], int] = {entry.key: 0}
    order = [entry]
    total = entry.slot_count
    i = 0
    while i < len(order):
        fn = order[i]
        base = placed[fn.key]
        if i:
            out.subprograms.setdefault(fn.name, base)
        for slot, insn in fn.insns:
            new_slot = base + slot - fn.start
            ref = fn.refs.get(slot)
            if isinstance(ref, CodeTarget):
                callee = starts.get((ref.section, ref.slot))
                if callee is None:
                    what = "callback" if ref.is_callback else "call"
                    raise ELFError(
                        f"{fn.name}: {what} target slot {ref.slot} is not the start of a function",
                        section=fn.section.name,
                        offset=slot * 8,
                    )
                if callee.key not in placed:
                    placed[callee.key] = total
                    total += callee.slot_count
                    order.append(callee)
                relative = placed[callee.key] - new_slot - 1
                if ref.is_callback:
                    insn = Instruction(insn.opcode, insn.dst, PSEUDO_FUNC, insn.off, relative & 0xFFFFFFFF)
                    out.relocations[new_slot] = Relocation(RelocationKind.FUNC_ADDR, callee.name)
                else:
                    if insn.opcode != CALL:
                        raise ELFError(
                            f"{fn.name}: call target on a non-call", section=fn.section.name, offset=slot * 8
                        )
                    insn = insn.replace(imm=relative)
                    out.relocations[new_slot] = Relocation(RelocationKind.SUBPROGRAM, callee.name)
            elif ref is not None:
                if ref.kind is RelocationKind.KFUNC and insn.opcode == CALL:
                    # A kernel-function call: the runtime writes the callee's BTF id into imm.
                    insn = Instruction(CALL, insn.dst, KFUNC_CALL, insn.off, 0)
                out.relocations[new_slot] = ref
            out.instructions.append(insn)
        if ext is not None:
            _carry_ext(fn, base, ext, out)
        i += 1
    return out


class ExtIndex:
    """``.BTF.ext`` records of each section sorted by offset, so a function's share is a slice.

    Records in no function's range are never asked for, so they drop out, as libbpf skips them:
    the static linker keeps the records of a ``__weak`` subprogram it replaced by another
    object's, and those name instructions that are no longer there.
    """

    def __init__(self, ext: BTFExt) -> None:
        self._groups: dict[tuple[str, str], tuple[list[int], list[Any]]] = {}
        sources: list[tuple[str, Mapping[str, Sequence[Any]]]] = [
            ("func", ext.func_info),
            ("line", ext.line_info),
            ("core", ext.core_relos),
        ]
        for kind, groups in sources:
            for section, records in groups.items():
                ordered = sorted(records, key=lambda r: r.insn_off)
                self._groups[(kind, section)] = ([r.insn_off for r in ordered], ordered)

    def records(self, kind: str, section: str, lo: int, hi: int) -> list[Any]:
        group = self._groups.get((kind, section))
        if group is None:
            return []
        offsets, ordered = group
        return ordered[bisect_left(offsets, lo) : bisect_left(offsets, hi)]


def _carry_ext(fn: Function, base: int, ext: ExtIndex, out: Linked) -> None:
    name = fn.section.name
    lo, hi = fn.start * 8, fn.end * 8
    delta = base - fn.start
    starts: set[int] | None = None

    def slot_of(kind: str, insn_off: int) -> int:
        # A record must name an instruction: not a byte inside one, nor lddw's second slot.
        nonlocal starts
        if starts is None:
            starts = {slot for slot, _ in fn.insns}
        slot, rest = divmod(insn_off, 8)
        if rest or slot not in starts:
            raise ELFError(
                f"{fn.name}: .BTF.ext {kind} record at byte {insn_off} does not start an instruction",
                section=name,
                offset=insn_off,
            )
        return slot + delta

    for f in ext.records("func", name, lo, hi):
        out.func_info.append(FuncInfo(slot_of("func_info", f.insn_off), f.type_id))
    for li in ext.records("line", name, lo, hi):
        out.line_info.append(
            LineInfo(
                slot_of("line_info", li.insn_off),
                li.file_name_off,
                li.line_off,
                li.line_num,
                li.column,
                li.file_name,
                li.line,
            )
        )
    for r in ext.records("core", name, lo, hi):
        out.core_relocations.append(
            CORERelocation(slot_of("CO-RE relocation", r.insn_off), r.type_id, r.access_off, r.kind, r.access)
        )


__all__ = ["ExtIndex", "Linked", "link"]
