"""Kernel constants of the eBPF instruction encoding (RFC 9669 plus the kernel's later additions).

An opcode byte is split three ways depending on its class: ALU and jump classes use
``op | source | class``; load and store classes use ``mode | size | class``.  The enums below name
each field so the rest of the package never spells a magic number.
"""

from __future__ import annotations

from .._enum import KernelIntEnum

#: Number of general purpose registers plus the frame pointer: r0..r10.
MAX_REGISTER = 10
#: The read-only frame pointer.
FRAME_POINTER = 10
#: Size of one instruction slot in bytes.
SLOT_SIZE = 8
#: Opcode of the 16-byte "load double word immediate" instruction.
LDDW = 0x18


class Reg(KernelIntEnum):
    """Register numbers; R10 is the read-only frame pointer (also ``FP``)."""

    R0 = 0
    R1 = 1
    R2 = 2
    R3 = 3
    R4 = 4
    R5 = 5
    R6 = 6
    R7 = 7
    R8 = 8
    R9 = 9
    R10 = 10
    FP = 10


class InsnClass(KernelIntEnum):
    """The low three bits of the opcode."""

    LD = 0x00
    LDX = 0x01
    ST = 0x02
    STX = 0x03
    ALU = 0x04
    JMP = 0x05
    JMP32 = 0x06
    ALU64 = 0x07

    @property
    def is_load_store(self) -> bool:
        return self <= InsnClass.STX

    @property
    def is_alu(self) -> bool:
        return self in (InsnClass.ALU, InsnClass.ALU64)

    @property
    def is_jump(self) -> bool:
        return self in (InsnClass.JMP, InsnClass.JMP32)


class Size(KernelIntEnum):
    """Bits 3-4 of a load/store opcode: the access width."""

    W = 0x00
    H = 0x08
    B = 0x10
    DW = 0x18

    @property
    def nbytes(self) -> int:
        return {Size.W: 4, Size.H: 2, Size.B: 1, Size.DW: 8}[self]

    @classmethod
    def from_nbytes(cls, nbytes: int) -> Size:
        return {4: cls.W, 2: cls.H, 1: cls.B, 8: cls.DW}[nbytes]


class Mode(KernelIntEnum):
    """Bits 5-7 of a load/store opcode."""

    IMM = 0x00
    ABS = 0x20
    IND = 0x40
    MEM = 0x60
    MEMSX = 0x80
    ATOMIC = 0xC0


class Source(KernelIntEnum):
    """Bit 3 of ALU and jump opcodes: immediate (K) or register (X) operand.

    For the END (byte swap) operation the same bit selects the byte order instead.
    """

    K = 0x00
    X = 0x08

    TO_LE = 0x00
    TO_BE = 0x08


class AluOp(KernelIntEnum):
    """Bits 4-7 of an ALU opcode.

    Some operations are refined by the ``off`` field: DIV/MOD with off=1 are signed (SDIV/SMOD),
    MOV from a register with off=8/16/32 sign-extends (MOVSX), and ALU64 END is an unconditional
    byte swap (BSWAP) rather than a conversion to/from little or big endian.
    """

    ADD = 0x00
    SUB = 0x10
    MUL = 0x20
    DIV = 0x30
    OR = 0x40
    AND = 0x50
    LSH = 0x60
    RSH = 0x70
    NEG = 0x80
    MOD = 0x90
    XOR = 0xA0
    MOV = 0xB0
    ARSH = 0xC0
    END = 0xD0


class JmpOp(KernelIntEnum):
    """Bits 4-7 of a jump opcode.

    JA in the JMP32 class is ``gotol``: its 32-bit offset is in ``imm``.  JCOND with
    src=``MAY_GOTO`` is the kernel's bounded-loop ``may_goto``.
    """

    JA = 0x00
    JEQ = 0x10
    JGT = 0x20
    JGE = 0x30
    JSET = 0x40
    JNE = 0x50
    JSGT = 0x60
    JSGE = 0x70
    CALL = 0x80
    EXIT = 0x90
    JLT = 0xA0
    JLE = 0xB0
    JSLT = 0xC0
    JSLE = 0xD0
    JCOND = 0xE0

    @property
    def is_conditional(self) -> bool:
        return self not in (JmpOp.JA, JmpOp.CALL, JmpOp.EXIT, JmpOp.JCOND)


class AtomicOp(KernelIntEnum):
    """The ``imm`` field of an atomic (STX | ATOMIC) instruction.

    FETCH (0x01) makes the old value land in the source register; XCHG and CMPXCHG always fetch.
    LOAD_ACQ and STORE_REL are the ordered load/store of kernel 6.15+.
    """

    ADD = 0x00
    OR = 0x40
    AND = 0x50
    XOR = 0xA0
    FETCH_ADD = 0x01
    FETCH_OR = 0x41
    FETCH_AND = 0x51
    FETCH_XOR = 0xA1
    XCHG = 0xE1
    CMPXCHG = 0xF1
    LOAD_ACQ = 0x100
    STORE_REL = 0x110
    #: The flag bit itself (an alias of FETCH_ADD, whose base operation ADD is 0).
    FETCH = 0x01

    @property
    def base(self) -> int:
        """The operation without the FETCH flag (for ADD/OR/AND/XOR)."""
        return int(self) & ~0x01


#: Atomic ``imm`` values an instruction may carry (the kernel rejects any other).
ATOMIC_IMMS: frozenset[int] = frozenset(int(op) for op in AtomicOp)


class PseudoSrc(KernelIntEnum):
    """``src`` of a 16-byte lddw: how the loader should interpret the 64-bit immediate."""

    IMM = 0
    MAP_FD = 1
    MAP_VALUE = 2
    BTF_ID = 3
    FUNC = 4
    MAP_IDX = 5
    MAP_IDX_VALUE = 6


class CallSrc(KernelIntEnum):
    """``src`` of a CALL instruction: what ``imm`` names."""

    HELPER = 0
    PSEUDO_CALL = 1
    KFUNC_CALL = 2


class JcondSrc(KernelIntEnum):
    """``src`` of a JCOND instruction."""

    MAY_GOTO = 0


#: ``off`` of ALU64 MOV X that marks ``addr_space_cast`` (arena pointers).
ADDR_SPACE_CAST_OFF = 1

#: Sign-extension widths that MOVSX accepts per class (``off`` of MOV X).
MOVSX_WIDTHS = {InsnClass.ALU: (8, 16), InsnClass.ALU64: (8, 16, 32)}


#: The class of each value of the opcode's low three bits: indexing this costs far less than
#: calling ``InsnClass(...)``, which decoding does once per instruction.
INSN_CLASSES: tuple[InsnClass, ...] = tuple(InsnClass(bits) for bits in range(8))


def insn_class(opcode: int) -> InsnClass:
    return INSN_CLASSES[opcode & 0x07]


def alu_opcode(cls: InsnClass, op: AluOp, src: Source) -> int:
    return int(op) | int(src) | int(cls)


def jmp_opcode(cls: InsnClass, op: JmpOp, src: Source) -> int:
    return int(op) | int(src) | int(cls)


def mem_opcode(cls: InsnClass, mode: Mode, size: Size) -> int:
    return int(mode) | int(size) | int(cls)


__all__ = [
    "ADDR_SPACE_CAST_OFF",
    "ATOMIC_IMMS",
    "FRAME_POINTER",
    "LDDW",
    "MAX_REGISTER",
    "MOVSX_WIDTHS",
    "SLOT_SIZE",
    "AluOp",
    "AtomicOp",
    "CallSrc",
    "InsnClass",
    "JcondSrc",
    "JmpOp",
    "Mode",
    "PseudoSrc",
    "Reg",
    "Size",
    "Source",
    "alu_opcode",
    "insn_class",
    "jmp_opcode",
    "mem_opcode",
]
