"""Which struct a ring or perf buffer carries, read from the programs that fill it.

Every producer call names its map in one argument and the record size in another: r1/r2 of
``bpf_ringbuf_reserve`` (131), r1/r3 of ``bpf_ringbuf_output`` (130), r2/r5 of
``bpf_perf_event_output`` (25).  A forward walk over each basic block tracks registers that hold
a map (an ``lddw`` with a map relocation) or a constant, which is all ``sizeof(*e)`` compiles to.
Among the structs of that size the one the program ties to the call wins: its name in the source
line of the call, or the type of a local variable of the program (from DWARF, since clang leaves
structs used only by locals out of BTF).  No size, or no struct: the records print as hex.
"""

from __future__ import annotations

import re
from pathlib import Path

from pybpf._dataclasses import dataclass, field

from ..btf import BTF
from ..btf.types import Struct, Union
from ..enums import MapType
from ..errors import Error
from ..isa import Instruction
from ..isa.opcodes import AluOp, InsnClass, JmpOp, Source
from ..spec import ObjectSpec, ProgramSpec
from ..spec.relocation import RelocationKind
from .dwarf import DwarfTypes, read_dwarf_types
from .eventtypes import BTFEventType, EventType, RawEventType, btf_struct

RINGBUF_OUTPUT = 130
RINGBUF_RESERVE = 131
PERF_EVENT_OUTPUT = 25
#: helper id -> (register holding the map, register holding the size)
PRODUCERS: dict[int, tuple[int, int]] = {
    RINGBUF_RESERVE: (1, 2),
    RINGBUF_OUTPUT: (1, 3),
    PERF_EVENT_OUTPUT: (2, 5),
}
BUFFER_MAP_TYPES = frozenset({MapType.RINGBUF, MapType.PERF_EVENT_ARRAY})


class EventTypeError(Error):
    """An ``--event-type`` override names a map or a type the object does not have."""


@dataclass(frozen=True)
class EventSite:
    """One producer call: where it is, which map it writes and how many bytes (if constant)."""

    program: str
    slot: int
    helper: int
    map: str
    size: int | None
    line: str = ""


@dataclass
class Inferred:
    """The decoder chosen for one buffer map and why (shown by ``pybpf run -v``)."""

    map: str
    type: EventType
    reason: str
    sites: list[EventSite] = field(default_factory=list)


# ----------------------------------------------------------------------------- sites


def _jump_targets(insns: list[Instruction]) -> set[int]:
    """Slots that start a basic block: jump targets and whatever follows a jump or exit."""
    leaders: set[int] = set()
    slot = 0
    for insn in insns:
        nxt = slot + insn.slots
        if insn.cls in (InsnClass.JMP, InsnClass.JMP32) and not insn.is_call:
            leaders.add(nxt)
            op = insn.jmp_op
            if op is not JmpOp.EXIT:
                offset = insn.imm if (insn.cls == InsnClass.JMP32 and op is JmpOp.JA) else insn.off
                leaders.add(nxt + offset)
        slot = nxt
    return leaders


def _line_at(prog: ProgramSpec, slot: int) -> str:
    best = ""
    for info in prog.line_info:
        if info.insn <= slot:
            best = info.text
        else:
            break
    return best.strip()


_Value = tuple[str, object]  # ("map", name) or ("const", int)


def find_event_sites(prog: ProgramSpec) -> list[EventSite]:
    """Every ring/perf buffer producer call of ``prog`` with its map and constant size."""
    insns = prog.instructions
    leaders = _jump_targets(insns)
    regs: dict[int, _Value] = {}
    sites: list[EventSite] = []
    slot = 0
    for insn in insns:
        if slot in leaders:
            regs = {}
        _step(prog, insn, slot, regs, sites)
        slot += insn.slots
    return sites


def _step(
    prog: ProgramSpec, insn: Instruction, slot: int, regs: dict[int, _Value], sites: list[EventSite]
) -> None:
    if insn.is_lddw:
        reloc = prog.relocations.get(slot)
        if reloc is not None and reloc.kind is RelocationKind.MAP:
            regs[insn.dst] = ("map", reloc.target)
        elif reloc is None and insn.src == 0:
            regs[insn.dst] = ("const", insn.imm)
        else:
            regs.pop(insn.dst, None)
        return
    cls = insn.cls
    if cls in (InsnClass.ALU, InsnClass.ALU64):
        if insn.alu_op is AluOp.MOV and insn.off == 0:
            if insn.source is Source.K:
                value = insn.imm if cls == InsnClass.ALU64 else insn.imm & 0xFFFFFFFF
                regs[insn.dst] = ("const", value)
            elif insn.src in regs:
                regs[insn.dst] = regs[insn.src]
            else:
                regs.pop(insn.dst, None)
        else:
            regs.pop(insn.dst, None)
        return
    if cls == InsnClass.LDX or (cls == InsnClass.LD):
        regs.pop(insn.dst, None)
        return
    if insn.is_call:
        if insn.is_helper_call and insn.imm in PRODUCERS:
            map_reg, size_reg = PRODUCERS[insn.imm]
            target = regs.get(map_reg)
            if target is not None and target[0] == "map":
                size = regs.get(size_reg)
                const = (
                    size[1] if size is not None and size[0] == "const" and isinstance(size[1], int) else None
                )
                sites.append(
                    EventSite(prog.name, slot, insn.imm, str(target[1]), const, _line_at(prog, slot))
                )
        for reg in range(6):
            regs.pop(reg, None)


# ----------------------------------------------------------------------------- types


def _btf_structs_of_size(btf: BTF, size: int) -> list[BTFEventType]:
    found: list[BTFEventType] = []
    try:
        for type_id in range(1, len(btf)):
            t = btf[type_id]
            if isinstance(t, Struct | Union) and t.name and t.size == size:
                found.append(BTFEventType(btf, type_id, f"struct {t.name}", size))
    except (Error, ValueError, KeyError, IndexError):
        return found
    return found


def _named_in(line: str, name: str) -> bool:
    bare = name.split()[-1]
    return re.search(rf"\b{re.escape(bare)}\b", line) is not None


class _Dwarf:
    """DWARF read once, and only if BTF cannot answer (it is slow on CO-RE-heavy objects)."""

    def __init__(self, spec: ObjectSpec, data: bytes | None) -> None:
        self._spec = spec
        self._data = data
        self._types: DwarfTypes | None = None

    def get(self) -> DwarfTypes:
        if self._types is None:
            data = self._data
            if data is None and self._spec.path:
                try:
                    data = Path(self._spec.path).read_bytes()
                except OSError:
                    data = b""
            self._types = read_dwarf_types(data or b"")
        return self._types


def _choose(spec: ObjectSpec, sites: list[EventSite], dwarf: _Dwarf) -> tuple[EventType, str]:
    sized = [s for s in sites if s.size]
    if not sized:
        return RawEventType(), "no producer call with a constant size"
    size = sized[0].size or 0
    btf_candidates = _btf_structs_of_size(spec.btf, size) if spec.btf is not None else []
    for site in sized:
        for cand in btf_candidates:
            if _named_in(site.line, cand.name):
                return cand, f"{cand.name} (BTF, named on the line of the call in {site.program})"
    types = dwarf.get()
    programs = {s.program for s in sized}
    lines = " ".join(s.line for s in sized)
    local_hits = [v for v in types.locals if v.function in programs]
    ranked: list[tuple[int, str]] = []
    for var in local_hits:
        struct_ = types.structs.get(var.struct)
        if struct_ is None or struct_.size != size:
            continue
        score = 2 + (2 if _named_in(lines, var.struct) else 0) + (1 if _named_in(lines, var.name) else 0)
        ranked.append((score, var.struct))
    if ranked:
        ranked.sort(key=lambda item: -item[0])
        name = ranked[0][1]
        btf_match = next((c for c in btf_candidates if c.name == f"struct {name}"), None)
        if btf_match is not None:
            return btf_match, f"struct {name} (BTF, type of a local variable)"
        return types.structs[name], f"struct {name} (DWARF, type of a local variable)"
    if len(btf_candidates) == 1:
        cand = btf_candidates[0]
        return cand, f"{cand.name} (the only BTF struct of {size} bytes)"
    return RawEventType(size), f"no struct of {size} bytes is tied to the call"


def infer_event_types(
    spec: ObjectSpec, overrides: dict[str, str] | None = None, *, data: bytes | None = None
) -> dict[str, Inferred]:
    """A decoder for every ring buffer and perf event array of ``spec``.

    ``overrides`` maps a map name to a type name (``"struct event"`` or ``"event"``), as given by
    ``--event-type``; ``data`` is the object's bytes when ``spec.path`` cannot be read.
    """
    overrides = dict(overrides or {})
    buffers = [name for name, m in spec.maps.items() if m.type in BUFFER_MAP_TYPES]
    for name in overrides:
        if name not in buffers:
            raise EventTypeError(
                f"--event-type {name}=...: no ring buffer or perf event array called {name!r} "
                f"(have: {', '.join(buffers) or 'none'})"
            )
    sites: dict[str, list[EventSite]] = {name: [] for name in buffers}
    for prog in spec.programs.values():
        for site in find_event_sites(prog):
            if site.map in sites:
                sites[site.map].append(site)
    dwarf = _Dwarf(spec, data)
    result: dict[str, Inferred] = {}
    for name in buffers:
        if name in overrides:
            chosen = _lookup(spec, dwarf, overrides[name])
            result[name] = Inferred(name, chosen, "given with --event-type", sites[name])
            continue
        chosen, reason = _choose(spec, sites[name], dwarf)
        result[name] = Inferred(name, chosen, reason, sites[name])
    return result


def _lookup(spec: ObjectSpec, dwarf: _Dwarf, type_name: str) -> EventType:
    if type_name.strip() in ("raw", "hex"):
        return RawEventType()
    found: EventType | None = btf_struct(spec.btf, type_name) if spec.btf is not None else None
    if found is None:
        found = dwarf.get().struct(type_name)
    if found is None:
        raise EventTypeError(
            f"--event-type: the object has no struct called {type_name!r} in its BTF or DWARF"
        )
    return found


__all__ = [
    "BUFFER_MAP_TYPES",
    "PERF_EVENT_OUTPUT",
    "PRODUCERS",
    "RINGBUF_OUTPUT",
    "RINGBUF_RESERVE",
    "EventSite",
    "EventTypeError",
    "Inferred",
    "find_event_sites",
    "infer_event_types",
]
