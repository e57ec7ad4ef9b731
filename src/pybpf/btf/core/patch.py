"""Writing a relocation's value into its instruction, or poisoning it.

The compiler leaves the *local* value in the instruction (``r1 = 8``, ``r2 = *(u32 *)(r1 + 8)``,
``r1 = 0x1234 ll``); checking it before overwriting catches records that point at the wrong
instruction (a linker or parser bug) instead of silently corrupting the program.  A poisoned
instruction becomes a call to helper id 0xbad2310: the verifier removes it when it is dead code
(the usual case: ``if (bpf_core_field_exists(...))`` guards) and otherwise rejects the program
with "invalid func unknown#195896080", which :func:`pybpf.btf.core.explain_verifier_log` turns
back into the relocation that failed.
"""

from __future__ import annotations

from ...isa import Instruction
from ...isa.opcodes import LDDW, InsnClass, Size, Source
from .errors import CoreError

#: Helper id of a poisoned instruction ("bad relo"), the value libbpf uses too.
POISON_HELPER_ID = 0xBAD2310
#: ``call`` opcode (BPF_JMP | BPF_CALL).
_CALL = 0x85

_BYTES_OF_SIZE = {Size.B: 1, Size.H: 2, Size.W: 4, Size.DW: 8}
_SIZE_OF_BYTES = {v: k for k, v in _BYTES_OF_SIZE.items()}
_U64 = (1 << 64) - 1


def poison(insn: Instruction) -> list[Instruction]:
    """The replacement of a poisoned instruction, slot for slot (an lddw becomes two calls)."""
    call = Instruction(_CALL, imm=POISON_HELPER_ID)
    return [call, call] if insn.opcode == LDDW else [call]


def is_poison(insn: Instruction) -> bool:
    return insn.opcode == _CALL and insn.src == 0 and insn.imm == POISON_HELPER_ID


def patch_value(
    insn: Instruction,
    *,
    local_value: int,
    target_value: int,
    validate: bool,
    local_size: int = 0,
    target_size: int = 0,
) -> Instruction:
    """``insn`` with ``target_value`` in place of ``local_value``; raises :class:`CoreError`."""
    cls = insn.cls
    if cls in (InsnClass.ALU, InsnClass.ALU64):
        if insn.source != Source.K:
            raise CoreError(f"cannot relocate ALU instruction with a register operand ({_show(insn)})")
        if validate and insn.imm & _U64 != local_value & _U64:
            raise CoreError(
                f"unexpected immediate {insn.imm} in {_show(insn)}, the compiler should have put "
                f"{local_value} (relocating to {target_value})"
            )
        if target_value >= 1 << 63:
            target_value -= 1 << 64  # a negative enum value as a 64-bit pattern
        if not -(1 << 31) <= target_value < 1 << 32:
            raise CoreError(f"value {target_value} does not fit the 32-bit immediate of {_show(insn)}")
        return Instruction(insn.opcode, insn.dst, insn.src, insn.off, _s32(target_value))
    if cls in (InsnClass.LDX, InsnClass.ST, InsnClass.STX):
        if validate and insn.off & _U64 != local_value & _U64:
            raise CoreError(
                f"unexpected offset {insn.off} in {_show(insn)}, the compiler should have put "
                f"{local_value} (relocating to {target_value})"
            )
        if target_value > 0x7FFF or target_value < 0:
            raise CoreError(f"offset {target_value} does not fit the 16-bit offset of {_show(insn)}")
        opcode = insn.opcode
        if local_size != target_size:
            size = insn.mem_size
            if size is None or _BYTES_OF_SIZE[size] != local_size:
                raise CoreError(
                    f"{_show(insn)} accesses {_BYTES_OF_SIZE[size] if size is not None else '?'} "
                    f"bytes, the field has {local_size}"
                )
            new_size = _SIZE_OF_BYTES.get(target_size)
            if new_size is None:
                raise CoreError(f"the target field has {target_size} bytes: no load/store of that size")
            opcode = (opcode & ~0x18) | new_size
        return Instruction(opcode, insn.dst, insn.src, target_value, insn.imm)
    if insn.opcode == LDDW:
        if insn.src != 0 or insn.off != 0:
            raise CoreError(f"lddw with a relocation must be a plain constant ({_show(insn)})")
        if validate and insn.imm != local_value & _U64:
            raise CoreError(
                f"unexpected constant {insn.imm:#x} in {_show(insn)}, the compiler should have put "
                f"{local_value & _U64:#x} (relocating to {target_value})"
            )
        return Instruction(LDDW, insn.dst, 0, 0, target_value & _U64)
    raise CoreError(f"cannot relocate instruction {_show(insn)}")


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _show(insn: Instruction) -> str:
    try:
        from ...isa import disassemble

        return disassemble([insn])[0].split(":", 1)[-1].strip()
    except Exception:
        return repr(insn)


__all__ = ["POISON_HELPER_ID", "is_poison", "patch_value", "poison"]
