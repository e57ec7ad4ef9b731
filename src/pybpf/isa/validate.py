"""Which encodings are instructions at all: the kernel verifier's reserved-field rules.

The kernel refuses an instruction whose unused fields are not zero (``check_*_reserved_fields``
style checks in ``kernel/bpf/verifier.c``) and opcodes it has no meaning for.  These are facts of
the encoding, not of program safety, so decoding applies them: anything accepted here re-encodes
to the same bytes and means one thing.  Semantic checks (writing r10, division by a constant zero,
shift counts, jump ranges) stay with the verifier or the VM.

One deliberate extension: ``callx`` (JMP | CALL | X, register in ``dst``) is accepted because the
bpf_conformance suite and LLVM use it, although the Linux verifier refuses it.

``xlated=True`` also accepts the kernel-internal instructions the verifier itself inserts and
``bpftool prog dump xlated`` shows: the per-CPU address move (ALU64 MOV X with off=-1) and the
speculation barrier ``nospec`` (ST with mode 0xc0).  User programs may not contain them.
"""

from __future__ import annotations

from .opcodes import (
    ADDR_SPACE_CAST_OFF,
    ATOMIC_IMMS,
    INSN_CLASSES,
    LDDW,
    MAX_REGISTER,
    MOVSX_WIDTHS,
    AluOp,
    AtomicOp,
    CallSrc,
    InsnClass,
    JcondSrc,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)

_RMW_ATOMICS = frozenset(ATOMIC_IMMS - {AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL})
#: ``off`` of the kernel-internal ALU64 MOV X that turns a per-CPU offset into an address.
ADDR_PERCPU_OFF = -1
#: Mode of the kernel-internal ST instruction that is a speculation barrier.
NOSPEC_MODE = 0xC0


# Plain-int copies of the fields _alu_error tests: naming an IntEnum member costs a class attribute
# lookup each time, and decoding tests a few per instruction (most instructions are ALU ones).
_X = int(Source.X)
_END, _NEG, _MOV = int(AluOp.END), int(AluOp.NEG), int(AluOp.MOV)
_DIV_MOD = (int(AluOp.DIV), int(AluOp.MOD))
_PSEUDO_SRCS = frozenset(int(source) for source in PseudoSrc)
_CALL_SRCS = frozenset(int(source) for source in CallSrc)


def reserved_field_error(
    opcode: int, dst: int, src: int, off: int, imm: int, *, xlated: bool = False
) -> str | None:
    """Why these fields are not a valid instruction, or ``None`` when they are.

    For lddw, ``imm`` is the low 32 bits only (the second slot is checked by the decoder).
    """
    if xlated and is_internal(opcode, dst, src, off, imm):
        return None
    if dst > MAX_REGISTER:
        return f"invalid destination register r{dst}"
    cls = INSN_CLASSES[opcode & 0x07]
    if cls is InsnClass.ALU or cls is InsnClass.ALU64:
        return _alu_error(cls, opcode, src, off, imm)
    if cls is InsnClass.JMP or cls is InsnClass.JMP32:
        return _jmp_error(cls, opcode, dst, src, off, imm)
    if cls == InsnClass.LD:
        return _ld_error(opcode, dst, src, off)
    if src > MAX_REGISTER:
        return f"invalid source register r{src}"
    mode = opcode & 0xE0
    size = opcode & 0x18
    if cls == InsnClass.LDX:
        if mode not in (Mode.MEM, Mode.MEMSX) or (mode == Mode.MEMSX and size == Size.DW):
            return f"unknown opcode {opcode:#04x}"
        if imm != 0:
            return "load from memory uses reserved field imm"
        return None
    if cls == InsnClass.ST:
        if mode != Mode.MEM:
            return f"unknown opcode {opcode:#04x}"
        if src != 0:
            return "store of an immediate uses reserved field src"
        return None
    # STX
    if mode == Mode.MEM:
        return None if imm == 0 else "store from a register uses reserved field imm"
    if mode != Mode.ATOMIC:
        return f"unknown opcode {opcode:#04x}"
    if imm not in ATOMIC_IMMS:
        return f"unknown atomic operation {imm:#x}"
    if imm in _RMW_ATOMICS and size not in (Size.W, Size.DW):
        return "atomic read-modify-write needs a 32- or 64-bit size"
    return None


def _alu_error(cls: InsnClass, opcode: int, src: int, off: int, imm: int) -> str | None:
    op = opcode & 0xF0
    x = (opcode & 0x08) == _X
    if op > _END:
        return f"unknown opcode {opcode:#04x}"
    if src > MAX_REGISTER:
        return f"invalid source register r{src}"
    if op == _END:
        if cls is InsnClass.ALU64 and x:
            return f"unknown opcode {opcode:#04x}"
        if src != 0 or off != 0:
            return "byte swap uses reserved fields src/off"
        if imm not in (16, 32, 64):
            return f"byte swap width must be 16, 32 or 64, not {imm}"
        return None
    if op == _NEG:
        if x:
            return f"unknown opcode {opcode:#04x}"
        if src != 0 or off != 0 or imm != 0:
            return "negation uses reserved fields"
        return None
    if op == _MOV:
        if not x:
            return "move of an immediate uses reserved fields src/off" if src or off else None
        if imm != 0:
            if cls is InsnClass.ALU64 and off == ADDR_SPACE_CAST_OFF:
                return None if imm in (1, 1 << 16) else "addr_space_cast converts only between spaces 0 and 1"
            return "move from a register uses reserved field imm"
        if off == 0 or off in MOVSX_WIDTHS[cls]:
            return None
        if cls is InsnClass.ALU64 and off == ADDR_SPACE_CAST_OFF:
            return "addr_space_cast converts only between spaces 0 and 1"
        return f"invalid sign-extension width {off} for move"
    if x:
        if imm != 0:
            return "register operation uses reserved field imm"
    elif src != 0:
        return "immediate operation uses reserved field src"
    if off == 0 or (off == 1 and op in _DIV_MOD):
        return None
    return "operation uses reserved field off"


def _jmp_error(cls: InsnClass, opcode: int, dst: int, src: int, off: int, imm: int) -> str | None:
    op = opcode & 0xF0
    x = (opcode & 0x08) == Source.X
    if op > JmpOp.JCOND:
        return f"unknown opcode {opcode:#04x}"
    if op == JmpOp.CALL:
        if cls == InsnClass.JMP32:
            return f"unknown opcode {opcode:#04x}"
        if x:  # callx: target address in dst
            return None if src == 0 and off == 0 and imm == 0 else "callx uses reserved fields"
        if src not in _CALL_SRCS:
            return f"call with unknown source {src}"
        if dst != 0 or (src != CallSrc.KFUNC_CALL and off != 0):
            return "call uses reserved fields"
        return None
    if op == JmpOp.JA:
        if x:
            return f"unknown opcode {opcode:#04x}"
        if src != 0 or dst != 0:
            return "unconditional jump uses reserved fields"
        if cls == InsnClass.JMP and imm != 0:
            return "goto uses reserved field imm"
        if cls == InsnClass.JMP32 and off != 0:
            return "gotol uses reserved field off"
        return None
    if op == JmpOp.EXIT:
        if cls == InsnClass.JMP32 or x:
            return f"unknown opcode {opcode:#04x}"
        return None if src == 0 and dst == 0 and imm == 0 and off == 0 else "exit uses reserved fields"
    if op == JmpOp.JCOND:
        if cls == InsnClass.JMP32 or x:
            return f"unknown opcode {opcode:#04x}"
        if src != JcondSrc.MAY_GOTO or dst != 0 or imm != 0:
            return "may_goto uses reserved fields"
        return None
    if src > MAX_REGISTER:
        return f"invalid source register r{src}"
    if x and imm != 0:
        return "register comparison uses reserved field imm"
    if not x and src != 0:
        return "immediate comparison uses reserved field src"
    return None


def _ld_error(opcode: int, dst: int, src: int, off: int) -> str | None:
    mode = opcode & 0xE0
    if opcode == LDDW:
        if src not in _PSEUDO_SRCS:
            return f"lddw with unknown source {src}"
        return None if off == 0 else "lddw uses reserved field off"
    if mode in (Mode.ABS, Mode.IND) and (opcode & 0x18) != Size.DW:
        if src > MAX_REGISTER:
            return f"invalid source register r{src}"
        if dst != 0 or off != 0 or (mode == Mode.ABS and src != 0):
            return "legacy packet load uses reserved fields"
        return None
    return f"unknown opcode {opcode:#04x}"


def is_internal(opcode: int, dst: int, src: int, off: int, imm: int) -> bool:
    """One of the kernel-internal instructions of translated (xlated) programs."""
    if opcode == 0xBF and off == ADDR_PERCPU_OFF and imm == 0:
        return dst <= MAX_REGISTER and src <= MAX_REGISTER
    return opcode == (NOSPEC_MODE | InsnClass.ST) and dst == src == off == imm == 0
