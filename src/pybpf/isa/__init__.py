"""The eBPF instruction set: opcodes, instructions, helpers, disassembler and assembler.

Decoding and formatting are separate layers: :func:`decode` gives plain :class:`Instruction`
values, :func:`disassemble` turns them into text in the kernel's or LLVM's syntax, and
:func:`assemble` reads either syntax (or the bpf_conformance dialect) back.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .instruction import Instruction, decode, encode, iter_decode, slot_offsets
from .opcodes import (
    AluOp,
    AtomicOp,
    CallSrc,
    InsnClass,
    JcondSrc,
    JmpOp,
    Mode,
    PseudoSrc,
    Reg,
    Size,
    Source,
)

# The assembler, disassembler, constructors and helper names are resolved on first use: loading
# an object only decodes instructions, and the assembler's regular expressions are costly to
# compile.
_LAZY = {
    "HELPER_IDS": ("helpers", "HELPER_IDS"),
    "HELPER_NAMES": ("helpers", "HELPER_NAMES"),
    "helper_id": ("helpers", "helper_id"),
    "helper_name": ("helpers", "helper_name"),
    "constructors": ("constructors", None),
    "assemble": ("asm", "assemble"),
    "detect_dialect": ("asm", "detect_dialect"),
    "call_helper": ("constructors", "call_helper"),
    "exit": ("constructors", "exit"),
    "ld_imm64": ("constructors", "ld_imm64"),
    "ld_map_fd": ("constructors", "ld_map_fd"),
    "mov32_imm": ("constructors", "mov32_imm"),
    "mov64_imm": ("constructors", "mov64_imm"),
    "mov64_reg": ("constructors", "mov64_reg"),
    "Resolver": ("disasm", "Resolver"),
    "disassemble": ("disasm", "disassemble"),
    "format_kernel": ("disasm", "format_kernel"),
    "format_llvm": ("disasm", "format_llvm"),
}

if TYPE_CHECKING:
    from . import constructors
    from .asm import assemble, detect_dialect
    from .constructors import call_helper, exit, ld_imm64, ld_map_fd, mov32_imm, mov64_imm, mov64_reg
    from .disasm import Resolver, disassemble, format_kernel, format_llvm
    from .helpers import HELPER_IDS, HELPER_NAMES, helper_id, helper_name


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "HELPER_IDS",
    "HELPER_NAMES",
    "AluOp",
    "AtomicOp",
    "CallSrc",
    "InsnClass",
    "Instruction",
    "JcondSrc",
    "JmpOp",
    "Mode",
    "PseudoSrc",
    "Reg",
    "Resolver",
    "Size",
    "Source",
    "assemble",
    "call_helper",
    "constructors",
    "decode",
    "detect_dialect",
    "disassemble",
    "encode",
    "exit",
    "format_kernel",
    "format_llvm",
    "helper_id",
    "helper_name",
    "iter_decode",
    "ld_imm64",
    "ld_map_fd",
    "mov32_imm",
    "mov64_imm",
    "mov64_reg",
    "slot_offsets",
]
