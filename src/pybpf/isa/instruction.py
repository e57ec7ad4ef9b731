"""The :class:`Instruction` value and the byte codec for whole programs.

Instructions are plain values (frozen, hashable, comparable) so specs can be edited and compared
without caring how they were produced.  A 16-byte ``lddw`` is one value whose ``imm`` holds the
whole 64-bit constant, kept *unsigned* (0 .. 2**64-1) so that the value read is the value written.
Every other ``imm`` is kept signed 32-bit and ``off`` signed 16-bit, as the kernel interprets them.
Constructors accept either signedness and normalise, so ``Instruction(0xb4, imm=0xffffffff)`` and
``Instruction(0xb4, imm=-1)`` are the same instruction.
"""

from __future__ import annotations

import struct

from pybpf._dataclasses import dataclass
from pybpf._typing import TYPE_CHECKING

from ..errors import InvalidInstruction
from .opcodes import (
    INSN_CLASSES,
    LDDW,
    SLOT_SIZE,
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
from .validate import reserved_field_error

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

_SLOT = struct.Struct("<BBhi")


def _wrap(value: int, bits: int, *, signed: bool) -> int | None:
    """``value`` as a ``bits``-wide integer of the wanted signedness, or None if it does not fit."""
    if not -(1 << (bits - 1)) <= value < (1 << bits):
        return None
    value &= (1 << bits) - 1
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


@dataclass(frozen=True, slots=True, init=False)
class Instruction:
    """One eBPF instruction: ``opcode``, registers ``dst``/``src``, ``off`` and ``imm``."""

    opcode: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0

    # Written out rather than generated: assemblers, relocations and the VM make instructions by
    # the thousand, and the checks below are the cost worth paying per instruction.
    def __init__(self, opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> None:
        for name, value in (("opcode", opcode), ("dst", dst), ("src", src)):
            if not isinstance(value, int):
                raise InvalidInstruction(f"{name} must be an integer, not {type(value).__name__}")
        if not 0 <= opcode <= 0xFF:
            raise InvalidInstruction(f"opcode {opcode:#x} does not fit in 8 bits")
        if not 0 <= dst <= 15 or not 0 <= src <= 15:
            raise InvalidInstruction(f"register field out of range (dst={dst}, src={src})")
        wrapped_off = _wrap(off, 16, signed=True)
        if wrapped_off is None:
            raise InvalidInstruction(f"off {off} does not fit in 16 bits")
        if opcode == LDDW:
            wrapped_imm = _wrap(imm, 64, signed=False)
            if wrapped_imm is None:
                raise InvalidInstruction(f"imm {imm} does not fit in 64 bits")
        else:
            wrapped_imm = _wrap(imm, 32, signed=True)
            if wrapped_imm is None:
                raise InvalidInstruction(f"imm {imm} does not fit in 32 bits")
        # Plain ints even when enums (Reg.R1, AluOp.ADD | ...) were passed in.
        _set(self, "opcode", int(opcode))
        _set(self, "dst", int(dst))
        _set(self, "src", int(src))
        _set(self, "off", int(wrapped_off))
        _set(self, "imm", int(wrapped_imm))

    # -- codec -----------------------------------------------------------------------------------

    def encode(self) -> bytes:
        regs = (self.src << 4) | self.dst
        if self.opcode == LDDW:
            lo = _wrap(self.imm & 0xFFFFFFFF, 32, signed=True)
            hi = _wrap(self.imm >> 32, 32, signed=True)
            assert lo is not None and hi is not None
            return _SLOT.pack(LDDW, regs, self.off, lo) + _SLOT.pack(0, 0, 0, hi)
        return _SLOT.pack(self.opcode, regs, self.off, self.imm)

    @classmethod
    def decode(
        cls, data: bytes, offset: int = 0, *, section: str | None = None, xlated: bool = False
    ) -> Instruction:
        """Decode the instruction starting at byte ``offset``; reject what the kernel would.

        ``xlated`` also accepts the kernel-internal instructions of translated program dumps.
        """
        if offset < 0 or len(data) - offset < SLOT_SIZE:
            raise InvalidInstruction(
                f"truncated instruction ({max(len(data) - offset, 0)} of 8 bytes)",
                section=section,
                offset=offset,
            )
        opcode, regs, off, imm = _SLOT.unpack_from(data, offset)
        dst, src = regs & 0x0F, regs >> 4
        reason = reserved_field_error(opcode, dst, src, off, imm, xlated=xlated)
        if reason is not None:
            raise InvalidInstruction(reason, section=section, offset=offset)
        if opcode != LDDW:
            return _trusted(opcode, dst, src, off, imm)
        if len(data) - offset < 2 * SLOT_SIZE:
            raise InvalidInstruction("lddw is missing its second slot", section=section, offset=offset)
        opcode2, regs2, off2, imm2 = _SLOT.unpack_from(data, offset + SLOT_SIZE)
        if opcode2 or regs2 or off2:
            raise InvalidInstruction(
                "second slot of lddw must have zero opcode, registers and off",
                section=section,
                offset=offset + SLOT_SIZE,
            )
        return _trusted(opcode, dst, src, off, ((imm2 & 0xFFFFFFFF) << 32) | (imm & 0xFFFFFFFF))

    # -- fields ----------------------------------------------------------------------------------

    @property
    def cls(self) -> InsnClass:
        return INSN_CLASSES[self.opcode & 0x07]

    @property
    def size(self) -> int:
        """Encoded size in bytes: 16 for lddw, 8 otherwise."""
        return 16 if self.opcode == LDDW else 8

    @property
    def slots(self) -> int:
        return 2 if self.opcode == LDDW else 1

    @property
    def is_lddw(self) -> bool:
        return self.opcode == LDDW

    @property
    def source(self) -> Source:
        """K or X for ALU and jump classes (for END: TO_LE / TO_BE)."""
        return Source(self.opcode & 0x08)

    @property
    def alu_op(self) -> AluOp | None:
        return AluOp(self.opcode & 0xF0) if self.cls.is_alu and self.opcode & 0xF0 <= AluOp.END else None

    @property
    def jmp_op(self) -> JmpOp | None:
        return JmpOp(self.opcode & 0xF0) if self.cls.is_jump and self.opcode & 0xF0 <= JmpOp.JCOND else None

    @property
    def mem_size(self) -> Size | None:
        """Access width of loads and stores."""
        return Size(self.opcode & 0x18) if self.cls.is_load_store else None

    @property
    def mode(self) -> Mode | None:
        if not self.cls.is_load_store:
            return None
        try:
            return Mode(self.opcode & 0xE0)
        except ValueError:
            return None

    @property
    def atomic_op(self) -> AtomicOp | None:
        if self.cls != InsnClass.STX or self.opcode & 0xE0 != Mode.ATOMIC:
            return None
        try:
            return AtomicOp(self.imm)
        except ValueError:
            return None

    @property
    def pseudo_src(self) -> PseudoSrc | None:
        """What the 64-bit immediate of a lddw means (map fd, map value, function, ...)."""
        if self.opcode != LDDW:
            return None
        try:
            return PseudoSrc(self.src)
        except ValueError:
            return None

    @property
    def imm_lo(self) -> int:
        """Low 32 bits of ``imm`` as the first slot stores it (signed)."""
        value = _wrap(self.imm & 0xFFFFFFFF, 32, signed=True)
        assert value is not None
        return value

    @property
    def imm_hi(self) -> int:
        """High 32 bits of a lddw constant (the second slot's ``imm``, unsigned)."""
        return (self.imm >> 32) & 0xFFFFFFFF if self.opcode == LDDW else 0

    # -- kinds -----------------------------------------------------------------------------------

    @property
    def is_alu(self) -> bool:
        return self.cls.is_alu

    @property
    def is_call(self) -> bool:
        return self.cls == InsnClass.JMP and self.opcode & 0xF0 == JmpOp.CALL

    @property
    def is_helper_call(self) -> bool:
        return self.opcode == 0x85 and self.src == CallSrc.HELPER

    @property
    def is_pseudo_call(self) -> bool:
        """A call of a BPF subprogram (bpf-to-bpf call); ``imm`` is relative to the next slot."""
        return self.opcode == 0x85 and self.src == CallSrc.PSEUDO_CALL

    @property
    def is_kfunc_call(self) -> bool:
        return self.opcode == 0x85 and self.src == CallSrc.KFUNC_CALL

    @property
    def is_callx(self) -> bool:
        return self.opcode == 0x8D

    @property
    def is_exit(self) -> bool:
        return self.opcode == 0x95

    @property
    def is_jump(self) -> bool:
        """A branch within the program (conditional, goto, gotol, may_goto); not calls or exit."""
        op = self.jmp_op
        return op is not None and op not in (JmpOp.CALL, JmpOp.EXIT)

    @property
    def is_unconditional_jump(self) -> bool:
        return self.opcode in (0x05, 0x06)

    @property
    def is_conditional_jump(self) -> bool:
        op = self.jmp_op
        return op is not None and (op.is_conditional or op == JmpOp.JCOND)

    @property
    def is_load_imm64_func(self) -> bool:
        return self.opcode == LDDW and self.src == PseudoSrc.FUNC

    @property
    def is_map_load(self) -> bool:
        return self.opcode == LDDW and self.src in (
            PseudoSrc.MAP_FD,
            PseudoSrc.MAP_VALUE,
            PseudoSrc.MAP_IDX,
            PseudoSrc.MAP_IDX_VALUE,
        )

    @property
    def jump_offset(self) -> int | None:
        """Slots to skip after this instruction for jumps and pseudo calls (gotol uses imm)."""
        if self.opcode == 0x06 or self.is_pseudo_call or self.is_load_imm64_func:
            return self.imm_lo if self.opcode == LDDW else self.imm
        if self.is_jump:
            return self.off
        return None

    def jump_target(self, slot: int) -> int | None:
        """Absolute slot a jump or pseudo call at ``slot`` reaches, None if it is not one."""
        offset = self.jump_offset
        return None if offset is None else slot + 1 + offset

    def replace(self, **changes: int) -> Instruction:
        """A copy with some fields changed (instructions are immutable)."""
        fields = {"opcode": self.opcode, "dst": self.dst, "src": self.src, "off": self.off, "imm": self.imm}
        fields.update(changes)
        return Instruction(**fields)

    def __str__(self) -> str:
        from .disasm import format_instruction

        return format_instruction(self)

    def __repr__(self) -> str:
        parts = [f"{self.opcode:#04x}"]
        for name, value in (("dst", self.dst), ("src", self.src), ("off", self.off)):
            if value:
                parts.append(f"{name}={value}")
        if self.imm:
            parts.append(f"imm={self.imm:#x}" if self.opcode == LDDW else f"imm={self.imm}")
        return f"Instruction({', '.join(parts)})"


_new = object.__new__
_set = object.__setattr__


def _trusted(opcode: int, dst: int, src: int, off: int, imm: int) -> Instruction:
    """An Instruction from fields already in range (fresh from ``struct``): skips the checks,
    which dominate decoding time for large programs."""
    insn: Instruction = _new(Instruction)
    _set(insn, "opcode", opcode)
    _set(insn, "dst", dst)
    _set(insn, "src", src)
    _set(insn, "off", off)
    _set(insn, "imm", imm)
    return insn


def iter_decode(
    data: bytes, *, section: str | None = None, xlated: bool = False
) -> Iterator[tuple[int, Instruction]]:
    """Yield ``(slot, instruction)`` pairs; slots count 8-byte units as jump offsets do."""
    offset = 0
    if len(data) % SLOT_SIZE:
        raise InvalidInstruction(
            f"length {len(data)} is not a multiple of {SLOT_SIZE}",
            section=section,
            offset=len(data) - len(data) % SLOT_SIZE,
        )
    while offset < len(data):
        insn = Instruction.decode(data, offset, section=section, xlated=xlated)
        yield offset // SLOT_SIZE, insn
        offset += insn.size


def decode(data: bytes, *, section: str | None = None, xlated: bool = False) -> list[Instruction]:
    """All instructions of ``data``; raises :class:`InvalidInstruction` naming the byte offset.

    ``xlated=True`` is for code read back from the kernel (``BPF_OBJ_GET_INFO_BY_FD``
    xlated instructions), which may hold instructions the verifier inserted.
    """
    return [insn for _, insn in iter_decode(bytes(data), section=section, xlated=xlated)]


def encode(insns: Iterable[Instruction]) -> bytes:
    return b"".join(insn.encode() for insn in insns)


def slot_offsets(insns: Iterable[Instruction]) -> list[int]:
    """The slot index of each instruction (a lddw takes two)."""
    slots, slot = [], 0
    for insn in insns:
        slots.append(slot)
        slot += insn.slots
    return slots
