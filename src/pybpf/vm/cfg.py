"""Preparation: check a program once, then cut it into functions and basic blocks.

Everything that can be refused before running is refused here, with the instruction slot, so a
run can only fail for reasons that depend on its input (memory, budget).  The result is the
control-flow picture the code generator needs: which slots start functions (the entry and every
bpf-to-bpf call target) and which blocks each function reaches by jumps and fall-through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pybpf._dataclasses import dataclass, field

from ..errors import InvalidInstruction
from ..isa.instruction import Instruction, decode
from ..isa.opcodes import (
    FRAME_POINTER,
    LDDW,
    AluOp,
    AtomicOp,
    InsnClass,
    Mode,
    PseudoSrc,
)
from ..isa.validate import reserved_field_error
from .errors import ProgramRejected

#: Slot -> instruction, in order, for a whole program.
Slots = list[tuple[int, Instruction]]


@dataclass(slots=True)
class Block:
    """A straight run of instructions entered only at its first slot."""

    start: int
    insns: Slots = field(default_factory=list)
    #: Slots control may continue at after the block (jump targets and fall-through).
    successors: tuple[int, ...] = ()


@dataclass(slots=True)
class Function:
    """A BPF function: its entry slot and the blocks reachable from it, by start slot."""

    entry: int
    blocks: dict[int, Block] = field(default_factory=dict)


@dataclass(slots=True)
class ControlFlow:
    functions: dict[int, Function]
    slots: Slots
    end: int  #: one past the last slot


def normalise(program: bytes | bytearray | Iterable[Instruction]) -> Slots:
    """Raw bytes or an instruction list as ``(slot, instruction)`` pairs."""
    try:
        insns = decode(bytes(program)) if isinstance(program, bytes | bytearray) else list(program)
    except InvalidInstruction as exc:
        raise ProgramRejected(str(exc)) from exc
    slots: Slots = []
    slot = 0
    for insn in insns:
        if not isinstance(insn, Instruction):
            raise ProgramRejected(f"expected Instruction objects, got {type(insn).__name__}", index=slot)
        slots.append((slot, insn))
        slot += insn.slots
    if not slots:
        raise ProgramRejected("the program is empty")
    return slots


def _check_instruction(slot: int, insn: Instruction, helpers: Mapping[int, object]) -> None:
    imm = insn.imm_lo if insn.opcode == LDDW else insn.imm
    reason = reserved_field_error(insn.opcode, insn.dst, insn.src, insn.off, imm)
    if reason is not None:
        raise ProgramRejected(reason, index=slot)
    cls = insn.cls
    writes: int | None = None
    if cls.is_alu or cls == InsnClass.LDX:
        writes = insn.dst
    elif insn.opcode == LDDW:
        writes = insn.dst
        if insn.src not in (PseudoSrc.IMM, PseudoSrc.FUNC):
            raise ProgramRejected(
                f"lddw with {PseudoSrc(insn.src).name} needs a runtime with maps or BTF; "
                "this VM slice runs plain programs only",
                index=slot,
            )
    elif cls == InsnClass.STX and insn.mode == Mode.ATOMIC:
        if insn.imm == AtomicOp.LOAD_ACQ:
            writes = insn.dst
        elif insn.imm & AtomicOp.FETCH and insn.imm != AtomicOp.STORE_REL:
            writes = insn.src
    if writes == FRAME_POINTER:
        raise ProgramRejected("frame pointer r10 is read-only", index=slot)
    if cls == InsnClass.ALU64 and insn.alu_op == AluOp.MOV and insn.off == 1 and insn.opcode & 0x08:
        raise ProgramRejected("addr_space_cast (arena pointers) is not supported by the VM", index=slot)
    if insn.is_helper_call and insn.imm not in helpers:
        from ..isa.helpers import helper_name

        name = helper_name(insn.imm)
        shown = f" ({name})" if name else ""
        raise ProgramRejected(f"unknown helper {insn.imm}{shown}: not in the helper table", index=slot)
    if insn.is_kfunc_call:
        raise ProgramRejected("kfunc calls are not supported by the VM", index=slot)


def _is_terminator(insn: Instruction) -> bool:
    return insn.is_exit or insn.is_jump


def analyse(slots: Slots, helpers: Mapping[int, object]) -> ControlFlow:
    """Validate every instruction and build the functions and blocks of the program."""
    by_slot = dict(slots)
    end = slots[-1][0] + slots[-1][1].slots
    for slot, insn in slots:
        _check_instruction(slot, insn, helpers)

    def target_of(slot: int, insn: Instruction) -> int:
        target = insn.jump_target(slot)
        assert target is not None
        if target not in by_slot:
            kind = "call" if insn.is_pseudo_call else "jump"
            where = "out of range" if not 0 <= target < end else "into the middle of lddw"
            raise ProgramRejected(f"{kind} {where} (target slot {target})", index=slot)
        return target

    entries = [0]
    leaders = {0}
    for slot, insn in slots:
        if insn.opcode == LDDW and insn.src == PseudoSrc.FUNC:
            target = slot + 1 + insn.imm_lo
            if target not in by_slot:
                raise ProgramRejected(f"callback address out of range (target slot {target})", index=slot)
            if target not in entries:
                entries.append(target)
            leaders.add(target)
        elif insn.is_pseudo_call:
            target = target_of(slot, insn)
            if target not in entries:
                entries.append(target)
            leaders.add(target)
        elif insn.is_jump:
            leaders.add(target_of(slot, insn))
            if insn.is_conditional_jump:
                leaders.add(slot + 1)
        if _is_terminator(insn) and slot + insn.slots < end:
            leaders.add(slot + insn.slots)

    blocks: dict[int, Block] = {}
    current: Block | None = None
    for slot, insn in slots:
        if slot in leaders or current is None:
            current = Block(slot)
            blocks[slot] = current
        current.insns.append((slot, insn))
        nxt = slot + insn.slots
        if _is_terminator(insn):
            if insn.is_exit:
                current.successors = ()
            elif insn.is_conditional_jump:
                current.successors = (target_of(slot, insn), nxt)
            else:
                current.successors = (target_of(slot, insn),)
            current = None
        elif nxt in leaders or nxt == end:
            current.successors = (nxt,)
            current = None

    functions: dict[int, Function] = {}
    for entry in entries:
        function = Function(entry)
        todo = [entry]
        while todo:
            start = todo.pop()
            if start in function.blocks:
                continue
            block = blocks[start]
            if end in block.successors:
                raise ProgramRejected(
                    "execution can fall off the end of the program", index=block.insns[-1][0]
                )
            function.blocks[start] = block
            todo.extend(block.successors)
        functions[entry] = function
    return ControlFlow(functions, slots, end)


__all__ = ["Block", "ControlFlow", "Function", "Slots", "analyse", "normalise"]
