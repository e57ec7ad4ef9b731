"""Small constructors for common instructions, so programs can be written as Python lists.

Named after the kernel's ``BPF_*`` macros (``BPF_MOV64_IMM`` -> :func:`mov64_imm`) because those are
the names people already read in verifier tests and samples.
"""

from __future__ import annotations

from ..errors import InvalidInstruction
from .helpers import helper_id
from .instruction import Instruction
from .opcodes import (
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


def _alu(cls: InsnClass, op: AluOp, src: Source, dst: int, reg: int, imm: int, off: int) -> Instruction:
    return Instruction(int(op) | int(src) | int(cls), dst, reg, off, imm)


def alu64_imm(op: AluOp, dst: int, imm: int, *, signed: bool = False) -> Instruction:
    """``dst op= imm`` on 64 bits; ``signed`` selects SDIV/SMOD for DIV/MOD."""
    return _alu(InsnClass.ALU64, op, Source.K, dst, 0, imm, int(signed))


def alu64_reg(op: AluOp, dst: int, src: int, *, signed: bool = False) -> Instruction:
    return _alu(InsnClass.ALU64, op, Source.X, dst, src, 0, int(signed))


def alu32_imm(op: AluOp, dst: int, imm: int, *, signed: bool = False) -> Instruction:
    return _alu(InsnClass.ALU, op, Source.K, dst, 0, imm, int(signed))


def alu32_reg(op: AluOp, dst: int, src: int, *, signed: bool = False) -> Instruction:
    return _alu(InsnClass.ALU, op, Source.X, dst, src, 0, int(signed))


def mov64_imm(dst: int, imm: int) -> Instruction:
    return alu64_imm(AluOp.MOV, dst, imm)


def mov64_reg(dst: int, src: int) -> Instruction:
    return alu64_reg(AluOp.MOV, dst, src)


def mov32_imm(dst: int, imm: int) -> Instruction:
    return alu32_imm(AluOp.MOV, dst, imm)


def mov32_reg(dst: int, src: int) -> Instruction:
    return alu32_reg(AluOp.MOV, dst, src)


def movsx64(dst: int, src: int, bits: int) -> Instruction:
    """``dst = (s8|s16|s32)src`` sign-extended to 64 bits."""
    return _alu(InsnClass.ALU64, AluOp.MOV, Source.X, dst, src, 0, bits)


def movsx32(dst: int, src: int, bits: int) -> Instruction:
    return _alu(InsnClass.ALU, AluOp.MOV, Source.X, dst, src, 0, bits)


def neg64(dst: int) -> Instruction:
    return alu64_imm(AluOp.NEG, dst, 0)


def neg32(dst: int) -> Instruction:
    return alu32_imm(AluOp.NEG, dst, 0)


def to_le(dst: int, bits: int) -> Instruction:
    return _alu(InsnClass.ALU, AluOp.END, Source.TO_LE, dst, 0, bits, 0)


def to_be(dst: int, bits: int) -> Instruction:
    return _alu(InsnClass.ALU, AluOp.END, Source.TO_BE, dst, 0, bits, 0)


def bswap(dst: int, bits: int) -> Instruction:
    return _alu(InsnClass.ALU64, AluOp.END, Source.K, dst, 0, bits, 0)


def ld_imm64(dst: int, value: int, src: PseudoSrc | int = PseudoSrc.IMM) -> Instruction:
    return Instruction(LDDW, dst, int(src), 0, value)


def ld_map_fd(dst: int, fd: int) -> Instruction:
    return ld_imm64(dst, fd & 0xFFFFFFFF, PseudoSrc.MAP_FD)


def ld_map_value(dst: int, fd: int, offset: int = 0) -> Instruction:
    return ld_imm64(dst, ((offset & 0xFFFFFFFF) << 32) | (fd & 0xFFFFFFFF), PseudoSrc.MAP_VALUE)


def ld_func(dst: int, offset: int) -> Instruction:
    """Address of the subprogram ``offset`` slots after the next one (for callbacks)."""
    return ld_imm64(dst, offset & 0xFFFFFFFF, PseudoSrc.FUNC)


def ldx_mem(size: Size, dst: int, src: int, off: int = 0) -> Instruction:
    return Instruction(Mode.MEM | size | InsnClass.LDX, dst, src, off)


def ldx_memsx(size: Size, dst: int, src: int, off: int = 0) -> Instruction:
    return Instruction(Mode.MEMSX | size | InsnClass.LDX, dst, src, off)


def st_mem(size: Size, dst: int, off: int, imm: int) -> Instruction:
    return Instruction(Mode.MEM | size | InsnClass.ST, dst, 0, off, imm)


def stx_mem(size: Size, dst: int, src: int, off: int = 0) -> Instruction:
    return Instruction(Mode.MEM | size | InsnClass.STX, dst, src, off)


def atomic(size: Size, op: AtomicOp, dst: int, src: int, off: int = 0) -> Instruction:
    return Instruction(Mode.ATOMIC | size | InsnClass.STX, dst, src, off, int(op))


def ld_abs(size: Size, imm: int) -> Instruction:
    return Instruction(Mode.ABS | size | InsnClass.LD, 0, 0, 0, imm)


def ld_ind(size: Size, src: int, imm: int) -> Instruction:
    return Instruction(Mode.IND | size | InsnClass.LD, 0, src, 0, imm)


def jmp_imm(op: JmpOp, dst: int, imm: int, off: int) -> Instruction:
    return Instruction(op | Source.K | InsnClass.JMP, dst, 0, off, imm)


def jmp_reg(op: JmpOp, dst: int, src: int, off: int) -> Instruction:
    return Instruction(op | Source.X | InsnClass.JMP, dst, src, off)


def jmp32_imm(op: JmpOp, dst: int, imm: int, off: int) -> Instruction:
    return Instruction(op | Source.K | InsnClass.JMP32, dst, 0, off, imm)


def jmp32_reg(op: JmpOp, dst: int, src: int, off: int) -> Instruction:
    return Instruction(op | Source.X | InsnClass.JMP32, dst, src, off)


def ja(off: int) -> Instruction:
    return Instruction(JmpOp.JA | InsnClass.JMP, off=off)


def gotol(imm: int) -> Instruction:
    return Instruction(JmpOp.JA | InsnClass.JMP32, imm=imm)


def may_goto(off: int) -> Instruction:
    return Instruction(JmpOp.JCOND | InsnClass.JMP, off=off)


def call_helper(helper: int | str) -> Instruction:
    """Call a kernel helper by id or by name (``"map_lookup_elem"`` or ``"bpf_map_lookup_elem"``)."""
    if isinstance(helper, str):
        found = helper_id(helper)
        if found is None:
            raise InvalidInstruction(f"unknown helper {helper!r}")
        helper = found
    return Instruction(JmpOp.CALL | InsnClass.JMP, imm=helper)


def call_rel(offset: int) -> Instruction:
    """bpf-to-bpf call of the subprogram ``offset`` slots after the next instruction."""
    return Instruction(JmpOp.CALL | InsnClass.JMP, src=CallSrc.PSEUDO_CALL, imm=offset)


def call_kfunc(btf_id: int, module_btf: int = 0) -> Instruction:
    """Kernel function call by BTF id; ``module_btf`` is the fd-array index (in ``off``)."""
    return Instruction(JmpOp.CALL | InsnClass.JMP, src=CallSrc.KFUNC_CALL, off=module_btf, imm=btf_id)


def callx(reg: int) -> Instruction:
    return Instruction(JmpOp.CALL | Source.X | InsnClass.JMP, dst=reg)


def exit() -> Instruction:
    return Instruction(JmpOp.EXIT | InsnClass.JMP)
