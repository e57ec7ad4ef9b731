"""Shared helpers of the build-toolchain tests: compiling small sources and looking inside the objects.

Sources that do not need the kernel's types start with :data:`PRELUDE` instead of ``vmlinux.h``,
so those tests run on machines without BTF and compile fast.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

from pybpf.cc import build
from testlib import EXAMPLES, ROOT, find_tool, require_kernel_feature

__all__ = ["EXAMPLES", "find_tool", "require_kernel_feature"]

HELPER_DEFS = ROOT / "src" / "pybpf" / "cc" / "include" / "bpf" / "bpf_helper_defs.h"

# The integer typedefs our headers expect from vmlinux.h or linux/types.h.
PRELUDE = """\
typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
"""

HELPER_CALL = 0x85  # BPF_JMP | BPF_CALL
LDX_DW = 0x79  # BPF_LDX | BPF_MEM | BPF_DW


def have_compiler() -> bool:
    return shutil.which("clang") is not None or importlib.util.find_spec("ziglang") is not None


@dataclass(frozen=True)
class Insn:
    """Just enough of an instruction slot to check what the compiler emitted."""

    opcode: int
    dst: int
    src: int
    off: int
    imm: int


def compile_text(tmp_path: Path, text: str, *, name: str = "prog", extra_flags: tuple[str, ...] = ()) -> Path:
    source = tmp_path / f"{name}.bpf.c"
    source.write_text(text)
    return build(source, tmp_path / f"{name}.bpf.o", extra_flags=list(extra_flags))


def section_data(obj: Path, name: str) -> bytes:
    with obj.open("rb") as handle:
        section = ELFFile(handle).get_section_by_name(name)
        assert section is not None, f"{obj.name} has no section {name!r}"
        return bytes(section.data())


def section_names(obj: Path) -> list[str]:
    with obj.open("rb") as handle:
        return [section.name for section in ELFFile(handle).iter_sections()]


def slots(obj: Path, name: str) -> list[Insn]:
    data = section_data(obj, name)
    out = []
    for at in range(0, len(data) - len(data) % 8, 8):
        opcode, regs, off, imm = struct.unpack_from("<BBhi", data, at)
        out.append(Insn(opcode, regs & 0x0F, regs >> 4, off, imm))
    return out


def helper_calls(obj: Path, name: str) -> list[int]:
    """Ids of the helpers a section calls (src == 0 distinguishes helpers from subprogram calls)."""
    return [insn.imm for insn in slots(obj, name) if insn.opcode == HELPER_CALL and insn.src == 0]
