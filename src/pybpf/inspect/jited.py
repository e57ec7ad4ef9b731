"""``prog dump jited``: the JIT's machine code, disassembled.

The kernel hands back raw machine code for the host architecture; capstone disassembles it
in-process when installed.  Otherwise ``llvm-objdump`` is used on a minimal ELF wrapping the code
(llvmlite, though installed with the VM, exposes no disassembler).
"""

from __future__ import annotations

import itertools
import os
import platform
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass

from pybpf.errors import ToolNotFound
from pybpf.kernel import FD, prog_info

from .errors import InspectError

# ELF e_machine and capstone (arch, mode) names per host machine.
_MACHINES = {"x86_64": (62, "CS_ARCH_X86", "CS_MODE_64"), "aarch64": (183, "CS_ARCH_ARM64", "CS_MODE_ARM")}


@dataclass(frozen=True)
class JitLine:
    """One machine instruction: offset in the image, raw bytes, text."""

    offset: int
    raw: bytes
    text: str


def _machine() -> tuple[int, str, str]:
    found = _MACHINES.get(platform.machine())
    if found is None:
        raise InspectError(f"disassembling JITed code of {platform.machine()} is not supported")
    return found


def _with_capstone(code: bytes) -> list[JitLine] | None:
    try:
        import capstone  # type: ignore[import-not-found]
    except ImportError:
        return None
    _, arch, mode = _machine()
    engine = capstone.Cs(getattr(capstone, arch), getattr(capstone, mode))
    return [
        JitLine(i.address, bytes(i.bytes), f"{i.mnemonic} {i.op_str}".strip()) for i in engine.disasm(code, 0)
    ]


def _elf(code: bytes, machine: int) -> bytes:
    """A relocatable ELF64 holding ``code`` as ``.text``: the least llvm-objdump will read."""
    shstr = b"\0.text\0.shstrtab\0"
    text_off = 64
    shstr_off = text_off + len(code)
    sh_off = (shstr_off + len(shstr) + 7) & ~7
    header = struct.pack(
        "<4sBBBBB7sHHIQQQIHHHHHH",
        b"\x7fELF",
        2,
        1,
        1,
        0,
        0,
        b"\0" * 7,
        1,
        machine,
        1,
        0,
        0,
        sh_off,
        0,
        64,
        0,
        0,
        64,
        3,
        2,
    )
    null = bytes(64)
    text = struct.pack("<IIQQQQIIQQ", 1, 1, 6, 0, text_off, len(code), 0, 0, 16, 0)
    names = struct.pack("<IIQQQQIIQQ", 7, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    body = header + code + shstr
    return body + bytes(sh_off - len(body)) + null + text + names


def _with_objdump(code: bytes) -> list[JitLine] | None:
    tool = shutil.which("llvm-objdump")
    if tool is None:
        return None
    machine, _, _ = _machine()
    with tempfile.NamedTemporaryFile(suffix=".o", delete=False) as f:
        f.write(_elf(code, machine))
        path = f.name
    try:
        done = subprocess.run(
            [tool, "-d", "--no-show-raw-insn", "--x86-asm-syntax=intel", path], capture_output=True, text=True
        )
    finally:
        os.unlink(path)
    if done.returncode != 0:
        raise InspectError(f"llvm-objdump failed: {done.stderr.strip()}")
    lines: list[JitLine] = []
    for line in done.stdout.splitlines():
        head, sep, text = line.partition(":")
        head = head.strip()
        if not sep or not head or any(c not in "0123456789abcdef" for c in head):
            continue
        offset = int(head, 16)
        lines.append(JitLine(offset, b"", " ".join(text.split())))
    ordered = [*lines, JitLine(len(code), b"", "")]
    return [JitLine(a.offset, code[a.offset : b.offset], a.text) for a, b in itertools.pairwise(ordered)]


def disassemble(code: bytes) -> list[JitLine]:
    """The machine instructions of ``code``; raises :class:`ToolNotFound` without a disassembler."""
    for backend in (_with_capstone, _with_objdump):
        found = backend(code)
        if found is not None:
            return found
    raise ToolNotFound("dumping JITed code needs capstone (pip install capstone) or llvm-objdump on PATH")


def fetch(fd: FD) -> bytes:
    info = prog_info(fd, jited=True)
    if not info.jited_insns:
        raise InspectError(f"program id {info.id} is not JITed (or the kernel hides its image)")
    return info.jited_insns


def plain(lines: list[JitLine], *, opcodes: bool = False) -> str:
    out = []
    for line in lines:
        out.append(f"{line.offset:4x}:\t{line.text}")
        if opcodes:
            out.append("\t" + " ".join(f"{b:02x}" for b in line.raw))
    return "\n".join(out)


def as_json(lines: list[JitLine], *, opcodes: bool = False) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for line in lines:
        entry: dict[str, object] = {"pc": f"{line.offset:#x}", "operation": line.text}
        if opcodes:
            entry["opcodes"] = [f"0x{b:02x}" for b in line.raw]
        out.append(entry)
    return out


__all__ = ["JitLine", "as_json", "disassemble", "fetch", "plain"]
