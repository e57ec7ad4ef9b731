"""Instruction text in two syntaxes, kept apart from decoding (as CPython's ``dis`` does).

``kernel`` is the verifier log / ``bpftool prog dump xlated`` format (``(61) r0 = *(u32 *)(r6 +4)``).
``llvm`` is the ``llvm-objdump -d`` format (``r0 = *(u32 *)(r6 + 4)``); with ``alu32=True`` it is
``llvm-objdump --mattr=+alu32``, which shows sub-64-bit loads and stores on ``w`` registers.

Where a syntax cannot say everything the encoding holds, the text is extended so that
:func:`pybpf.isa.asm.assemble` can read every instruction back exactly:

* kernel: ``callx rN``; lddw of a BTF id / map index prints ``btf_id[N]`` / ``map[idx:N]``
  (bpftool itself only ever sees these after the kernel rewrote them), and a non-zero upper half
  the kernel would ignore is appended as ``[hi:M]``.
* kernel and llvm: a kfunc call's module BTF index (``off``) is shown as ``[off:N]`` / ``off:N``.
* llvm: LLVM prints calls and lddw without their ``src``; a trailing ``; pseudo_call``, ``; kfunc``,
  ``; map_fd`` ... comment names it when it is not 0, and ``skb[rN + imm]`` keeps a non-zero
  immediate of an indirect packet load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

from .helpers import HELPER_NAMES
from .instruction import Instruction
from .opcodes import (
    ADDR_SPACE_CAST_OFF,
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    InsnClass,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)
from .validate import ADDR_PERCPU_OFF, NOSPEC_MODE

Syntax = Literal["kernel", "llvm"]

_ALU_SYMBOL = {
    AluOp.ADD: "+=",
    AluOp.SUB: "-=",
    AluOp.MUL: "*=",
    AluOp.DIV: "/=",
    AluOp.OR: "|=",
    AluOp.AND: "&=",
    AluOp.LSH: "<<=",
    AluOp.RSH: ">>=",
    AluOp.MOD: "%=",
    AluOp.XOR: "^=",
    AluOp.MOV: "=",
    AluOp.ARSH: "s>>=",
}
_SIGNED_ALU_SYMBOL = {AluOp.DIV: "s/=", AluOp.MOD: "s%="}
_JMP_SYMBOL = {
    JmpOp.JEQ: "==",
    JmpOp.JGT: ">",
    JmpOp.JGE: ">=",
    JmpOp.JSET: "&",
    JmpOp.JNE: "!=",
    JmpOp.JSGT: "s>",
    JmpOp.JSGE: "s>=",
    JmpOp.JLT: "<",
    JmpOp.JLE: "<=",
    JmpOp.JSLT: "s<",
    JmpOp.JSLE: "s<=",
}
_ATOMIC_NAME = {AtomicOp.ADD: "add", AtomicOp.OR: "or", AtomicOp.AND: "and", AtomicOp.XOR: "xor"}
_UNSIGNED = {Size.W: "u32", Size.H: "u16", Size.B: "u8", Size.DW: "u64"}
_SIGNED = {Size.W: "s32", Size.H: "s16", Size.B: "s8", Size.DW: "s64"}
_PSEUDO_NOTE = {
    PseudoSrc.MAP_FD: "map_fd",
    PseudoSrc.MAP_VALUE: "map_value",
    PseudoSrc.BTF_ID: "btf_id",
    PseudoSrc.FUNC: "func",
    PseudoSrc.MAP_IDX: "map_idx",
    PseudoSrc.MAP_IDX_VALUE: "map_idx_value",
}
_CALL_NOTE = {CallSrc.PSEUDO_CALL: "pseudo_call", CallSrc.KFUNC_CALL: "kfunc"}


class Resolver:
    """Names for what instructions refer to; subclass it to name kfuncs, maps or subprograms.

    Each method returns ``None`` to keep the default text.  ``slot`` is the instruction's index.
    """

    def helper(self, helper_id: int) -> str | None:
        return HELPER_NAMES.get(helper_id)

    def kfunc(self, insn: Instruction, slot: int) -> str | None:
        return None

    def subprog(self, insn: Instruction, slot: int) -> str | None:
        """Name of the target of a bpf-to-bpf call (kernel syntax prints ``call pc+N#name``)."""
        return None

    def imm64(self, insn: Instruction, slot: int) -> str | None:
        """Replacement text for the constant of a lddw (for example a map's name)."""
        return None


DEFAULT_RESOLVER = Resolver()


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _signed64(value: int) -> int:
    return value - (1 << 64) if value & (1 << 63) else value


# -- kernel syntax ---------------------------------------------------------------------------------


def format_kernel(insn: Instruction, *, slot: int = 0, resolver: Resolver | None = None) -> str:
    """``(bf) r6 = r1``: the kernel's text for one instruction."""
    return f"({insn.opcode:02x}) {_kernel_body(insn, slot, resolver or DEFAULT_RESOLVER)}"


def _kernel_body(insn: Instruction, slot: int, resolver: Resolver) -> str:
    cls = insn.cls
    if cls.is_alu:
        return _alu_text(insn)
    if cls.is_jump:
        return _kernel_jump(insn, slot, resolver)
    size = Size(insn.opcode & 0x18)
    mode = insn.opcode & 0xE0
    if cls == InsnClass.STX:
        if mode == Mode.MEM:
            return f"*({_UNSIGNED[size]} *)(r{insn.dst} {insn.off:+d}) = r{insn.src}"
        return _kernel_atomic(insn, size)
    if cls == InsnClass.ST:
        if mode == NOSPEC_MODE:
            return "nospec"
        return f"*({_UNSIGNED[size]} *)(r{insn.dst} {insn.off:+d}) = {insn.imm}"
    if cls == InsnClass.LDX:
        kind = _SIGNED[size] if mode == Mode.MEMSX else _UNSIGNED[size]
        return f"r{insn.dst} = *({kind} *)(r{insn.src} {insn.off:+d})"
    if insn.opcode == LDDW:
        return f"r{insn.dst} = {resolver.imm64(insn, slot) or _kernel_imm64(insn)}"
    if mode == Mode.ABS:
        return f"r0 = *({_UNSIGNED[size]} *)skb[{insn.imm}]"
    if mode == Mode.IND:
        return f"r0 = *({_UNSIGNED[size]} *)skb[r{insn.src} + {insn.imm}]"
    return f"BUG_{insn.opcode:02x}"


def _kernel_imm64(insn: Instruction) -> str:
    lo, hi = insn.imm & 0xFFFFFFFF, insn.imm_hi
    extra = f"[hi:{hi}]" if hi else ""
    if insn.src == PseudoSrc.MAP_FD:
        return f"map[id:{lo}]{extra}"
    if insn.src == PseudoSrc.MAP_VALUE:
        return f"map[id:{lo}][0]+{hi}"
    if insn.src == PseudoSrc.BTF_ID:
        return f"btf_id[{lo}]{extra}"
    if insn.src == PseudoSrc.FUNC:
        return f"subprog[{_signed32(lo):+d}]{extra}"
    if insn.src == PseudoSrc.MAP_IDX:
        return f"map[idx:{lo}]{extra}"
    if insn.src == PseudoSrc.MAP_IDX_VALUE:
        return f"map[idx:{lo}]+{hi}"
    return f"{insn.imm:#x}"


def _kernel_atomic(insn: Instruction, size: Size) -> str:
    ptr = f"({_UNSIGNED[size]} *)(r{insn.dst} {insn.off:+d})"
    bits = "64" if size == Size.DW else ""
    imm = insn.imm
    if imm in (AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR):
        return f"lock *{ptr} {_ALU_SYMBOL[AluOp(imm)]} r{insn.src}"
    if imm in (AtomicOp.FETCH_ADD, AtomicOp.FETCH_OR, AtomicOp.FETCH_AND, AtomicOp.FETCH_XOR):
        name = _ATOMIC_NAME[AtomicOp(imm & ~1)]
        return f"r{insn.src} = atomic{bits}_fetch_{name}({ptr}, r{insn.src})"
    if imm == AtomicOp.CMPXCHG:
        return f"r0 = atomic{bits}_cmpxchg({ptr}, r0, r{insn.src})"
    if imm == AtomicOp.XCHG:
        return f"r{insn.src} = atomic{bits}_xchg({ptr}, r{insn.src})"
    if imm == AtomicOp.LOAD_ACQ:
        return f"r{insn.dst} = load_acquire(({_UNSIGNED[size]} *)(r{insn.src} {insn.off:+d}))"
    if imm == AtomicOp.STORE_REL:
        return f"store_release({ptr}, r{insn.src})"
    return f"BUG_{insn.opcode:02x}"


def _kernel_jump(insn: Instruction, slot: int, resolver: Resolver) -> str:
    op = insn.opcode & 0xF0
    if op == JmpOp.CALL:
        if insn.opcode & Source.X:
            return f"callx r{insn.dst}"
        if insn.src == CallSrc.PSEUDO_CALL:
            name = resolver.subprog(insn, slot)
            return f"call pc{insn.imm:+d}" + (f"#{name}" if name else "")
        if insn.src == CallSrc.KFUNC_CALL:
            name = resolver.kfunc(insn, slot) or "kernel-function"
            module = f"[off:{insn.off}]" if insn.off else ""
            return f"call {name}#{insn.imm}{module}"
        return f"call {resolver.helper(insn.imm) or 'unknown'}#{insn.imm}"
    if insn.opcode == 0x05:
        return f"goto pc{insn.off:+d}"
    if insn.opcode == 0x06:
        return f"gotol pc{insn.imm:+d}"
    if insn.opcode == 0xE5:
        return f"may_goto pc{insn.off:+d}"
    if insn.opcode == 0x95:
        return "exit"
    reg = "w" if insn.cls == InsnClass.JMP32 else "r"
    symbol = _JMP_SYMBOL.get(JmpOp(op), "?") if op <= JmpOp.JCOND else "?"
    rhs = f"{reg}{insn.src}" if insn.opcode & Source.X else f"{insn.imm & 0xFFFFFFFF:#x}"
    return f"if {reg}{insn.dst} {symbol} {rhs} goto pc{insn.off:+d}"


#: ALU operations by the opcode's high four bits (a dict lookup is cheaper than ``AluOp(...)``).
_ALU_OPS = {int(op): op for op in AluOp}
_ALU32 = int(InsnClass.ALU)


def _alu_text(insn: Instruction) -> str:
    """ALU text, which the kernel and LLVM happen to spell identically."""
    reg = "w" if insn.opcode & 0x07 == _ALU32 else "r"
    op = _ALU_OPS.get(insn.opcode & 0xF0)
    dst = f"{reg}{insn.dst}"
    if op == AluOp.END:
        if insn.cls == InsnClass.ALU64:
            return f"r{insn.dst} = bswap{insn.imm} r{insn.dst}"
        order = "be" if insn.opcode & Source.TO_BE else "le"
        return f"r{insn.dst} = {order}{insn.imm} r{insn.dst}"
    if op == AluOp.NEG:
        return f"{dst} = -{dst}"
    if op is None:
        return f"BUG_alu_{insn.opcode:02x}"
    x = bool(insn.opcode & Source.X)
    if op == AluOp.MOV and x and insn.cls == InsnClass.ALU64 and insn.off == ADDR_PERCPU_OFF:
        return f"r{insn.dst} = &(void __percpu *)(r{insn.src})"
    if op == AluOp.MOV and x and insn.cls == InsnClass.ALU64 and insn.off == ADDR_SPACE_CAST_OFF:
        return f"r{insn.dst} = addr_space_cast(r{insn.src}, {(insn.imm & 0xFFFFFFFF) >> 16}, {insn.imm & 0xFFFF})"
    symbol = _SIGNED_ALU_SYMBOL[op] if insn.off == 1 and op in _SIGNED_ALU_SYMBOL else _ALU_SYMBOL[op]
    if not x:
        return f"{dst} {symbol} {insn.imm}"
    cast = f"(s{insn.off})" if op == AluOp.MOV and insn.off else ""
    return f"{dst} {symbol} {cast}{reg}{insn.src}"


# -- llvm syntax -----------------------------------------------------------------------------------


def format_llvm(
    insn: Instruction,
    *,
    slot: int = 0,
    alu32: bool = False,
    label: Callable[[int], str | None] | None = None,
) -> str:
    """``r0 = *(u32 *)(r6 + 4)``: llvm-objdump's text; ``label(target_slot)`` names jump targets."""
    text = _llvm_body(insn, alu32)
    if label is not None and insn.is_jump:
        target = insn.jump_target(slot)
        name = label(target) if target is not None else None
        if name:
            text += f" <{name}>"
    note = _llvm_note(insn)
    return f"{text} ; {note}" if note else text


def _llvm_note(insn: Instruction) -> str | None:
    if insn.opcode == LDDW and insn.src:
        return _PSEUDO_NOTE.get(PseudoSrc(insn.src)) if insn.src in PseudoSrc._value2member_map_ else None
    if insn.opcode == 0x85 and insn.src in _CALL_NOTE:
        note = _CALL_NOTE[CallSrc(insn.src)]
        return f"{note} off:{insn.off}" if insn.off else note
    return None


def _mem(size: Size, reg: int, off: int, *, signed: bool = False) -> str:
    kind = _SIGNED[size] if signed else _UNSIGNED[size]
    sign = "-" if off < 0 else "+"
    return f"*({kind} *)(r{reg} {sign} {abs(off)})"


def _llvm_body(insn: Instruction, alu32: bool) -> str:
    cls = insn.cls
    if cls.is_alu:
        return _alu_text(insn)
    if cls.is_jump:
        return _llvm_jump(insn)
    size = Size(insn.opcode & 0x18)
    mode = insn.opcode & 0xE0
    narrow = "w" if alu32 and size != Size.DW else "r"
    if cls == InsnClass.LDX:
        if mode == Mode.MEMSX:
            return f"r{insn.dst} = {_mem(size, insn.src, insn.off, signed=True)}"
        return f"{narrow}{insn.dst} = {_mem(size, insn.src, insn.off)}"
    if cls == InsnClass.ST:
        if mode == NOSPEC_MODE:
            return "nospec"
        return f"{_mem(size, insn.dst, insn.off)} = {insn.imm}"
    if cls == InsnClass.STX:
        if mode == Mode.MEM:
            return f"{_mem(size, insn.dst, insn.off)} = {narrow}{insn.src}"
        return _llvm_atomic(insn, size, narrow)
    if insn.opcode == LDDW:
        return f"r{insn.dst} = {_signed64(insn.imm)} ll"
    if mode == Mode.ABS:
        return f"r0 = *({_UNSIGNED[size]} *)skb[{insn.imm}]"
    if mode == Mode.IND:
        extra = f" + {insn.imm}" if insn.imm else ""
        return f"r0 = *({_UNSIGNED[size]} *)skb[r{insn.src}{extra}]"
    return "<unknown>"


def _llvm_atomic(insn: Instruction, size: Size, narrow: str) -> str:
    wide = size == Size.DW
    reg = "r" if wide else "w"
    ptr = _mem(size, insn.dst, insn.off)[1:]  # "(u64 *)(r1 + 0)"
    sign = "-" if insn.off < 0 else "+"
    addr = f"r{insn.dst} {sign} {abs(insn.off)}"
    imm = insn.imm
    if imm in (AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR):
        # LLVM 14 shows a 32-bit add on an r register unless alu32 is on; and/or/xor only exist on w.
        value = narrow if imm == AtomicOp.ADD else reg
        return f"lock *{ptr} {_ALU_SYMBOL[AluOp(imm)]} {value}{insn.src}"
    if imm in (AtomicOp.FETCH_ADD, AtomicOp.FETCH_OR, AtomicOp.FETCH_AND, AtomicOp.FETCH_XOR):
        name = _ATOMIC_NAME[AtomicOp(imm & ~1)]
        return f"{reg}{insn.src} = atomic_fetch_{name}({ptr}, {reg}{insn.src})"
    if imm == AtomicOp.XCHG:
        return (
            f"{reg}{insn.src} = xchg{'' if wide else '32'}_{'64' if wide else '32'}({addr}, {reg}{insn.src})"
        )
    if imm == AtomicOp.CMPXCHG:
        fn = "cmpxchg_64" if wide else "cmpxchg32_32"
        return f"{reg}0 = {fn}({addr}, {reg}0, {reg}{insn.src})"
    load_ptr = _mem(size, insn.src, insn.off)[1:]
    if imm == AtomicOp.LOAD_ACQ:
        return f"{reg}{insn.dst} = load_acquire({load_ptr})"
    if imm == AtomicOp.STORE_REL:
        return f"store_release({ptr}, {reg}{insn.src})"
    return "<unknown>"


def _llvm_jump(insn: Instruction) -> str:
    op = insn.opcode & 0xF0
    if op == JmpOp.CALL:
        if insn.opcode & Source.X:
            return f"callx r{insn.dst}"
        return f"call {insn.imm}"
    if insn.opcode == 0x05:
        return f"goto {insn.off:+d}"
    if insn.opcode == 0x06:
        return f"gotol {insn.imm:+d}"
    if insn.opcode == 0xE5:
        return f"may_goto {insn.off:+d}"
    if insn.opcode == 0x95:
        return "exit"
    reg = "w" if insn.cls == InsnClass.JMP32 else "r"
    symbol = _JMP_SYMBOL.get(JmpOp(op), "?") if op <= JmpOp.JCOND else "?"
    rhs = f"{reg}{insn.src}" if insn.opcode & Source.X else f"{insn.imm}"
    return f"if {reg}{insn.dst} {symbol} {rhs} goto {insn.off:+d}"


# -- listings ----------------------------------------------------------------------------------


def format_instruction(
    insn: Instruction,
    syntax: Syntax = "kernel",
    *,
    slot: int = 0,
    resolver: Resolver | None = None,
    alu32: bool = False,
) -> str:
    if syntax == "kernel":
        return format_kernel(insn, slot=slot, resolver=resolver)
    if syntax == "llvm":
        return format_llvm(insn, slot=slot, alu32=alu32)
    raise ValueError(f"unknown syntax {syntax!r}")


def _llvm_labeller(symbols: Mapping[int, str]) -> Callable[[int], str | None]:
    """``<name+0x40>`` as llvm-objdump shows a jump target: nearest symbol at or before it."""
    starts = sorted(symbols)

    def label(target: int) -> str | None:
        best = None
        for start in starts:
            if start <= target:
                best = start
            else:
                break
        if best is None:
            return None
        delta = (target - best) * 8
        return symbols[best] if delta == 0 else f"{symbols[best]}+{delta:#x}"

    return label


def disassemble(
    insns: Iterable[Instruction],
    *,
    syntax: Syntax = "kernel",
    start_slot: int = 0,
    opcodes: bool | None = None,
    line_info: Mapping[int, str] | None = None,
    symbols: Mapping[int, str] | None = None,
    resolver: Resolver | None = None,
    alu32: bool = False,
) -> list[str]:
    """A listing: one line per instruction (a lddw is one line) led by its slot index.

    ``kernel`` lines look like ``bpftool prog dump xlated`` (``   0: (bf) r6 = r1``; with
    ``opcodes`` the raw bytes follow on their own line); ``llvm`` lines like ``llvm-objdump -d``
    (``       0:\tr6 = r1``, raw bytes between index and text with ``opcodes``).
    ``line_info`` maps a slot to source text printed as a ``; text`` line before it, ``symbols``
    maps a slot to a function name printed as a label line (slots are absolute, counted from
    ``start_slot``).
    """
    if syntax not in ("kernel", "llvm"):
        raise ValueError(f"unknown syntax {syntax!r}")
    symbols = symbols or {}
    line_info = line_info or {}
    labeller = _llvm_labeller(symbols) if syntax == "llvm" and symbols else None
    lines: list[str] = []
    slot = start_slot
    for insn in insns:
        if slot in symbols:
            if syntax == "llvm":
                if lines:
                    lines.append("")
                lines.append(f"{slot * 8:016x} <{symbols[slot]}>:")
            else:
                lines.append(f"{symbols[slot]}:")
        if slot in line_info:
            lines.append(f"; {line_info[slot]}")
        raw = insn.encode().hex(" ") if opcodes else ""
        if syntax == "kernel":
            lines.append(f"{slot:4d}: {format_kernel(insn, slot=slot, resolver=resolver)}")
            if opcodes:
                lines.append(f"       {raw}")
        else:
            text = format_llvm(insn, slot=slot, alu32=alu32, label=labeller)
            lines.append(f"{slot:8d}:\t{raw}\t{text}" if opcodes else f"{slot:8d}:\t{text}")
        slot += insn.slots
    return lines


def listing(insns: Sequence[Instruction], syntax: Syntax = "kernel") -> str:
    """The whole listing as one string (for printing and doctests)."""
    return "\n".join(disassemble(insns, syntax=syntax))
