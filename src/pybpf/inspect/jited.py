"""``prog dump jited``: the JIT's machine code, disassembled.

The kernel hands back raw machine code for the host architecture; capstone disassembles it
in-process when installed.  Otherwise ``llvm-objdump`` is used on a minimal ELF wrapping the code
(llvmlite, though installed with the VM, exposes no disassembler).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import platform
import shutil
import struct
import subprocess
import tempfile

from pybpf._dataclasses import dataclass
from pybpf.btf import BTF
from pybpf.errors import Error, ToolNotFound
from pybpf.kernel import FD, attrs, prog_info
from pybpf.kernel.info import obj_get_info_by_fd

from . import btfvalues
from .errors import InspectError
from .xlated import SourceLine

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


def source_lines(fd: FD) -> dict[int, SourceLine]:
    """Image offset -> the source line whose code starts there.

    ``line_info[i]`` names a source line and ``jited_line_info[i]`` the kernel address where its
    machine code starts; addresses are turned into offsets of the dumped image, which is the
    functions' code laid end to end (``jited_ksyms`` and ``jited_func_lens`` say where each is).
    """
    first, _ = obj_get_info_by_fd(fd, attrs.ProgInfoStruct())
    nr_lines, rec = int(first.nr_line_info), int(first.line_info_rec_size) or 16
    nr_jited, jrec = int(first.nr_jited_line_info), int(first.jited_line_info_rec_size) or 8
    nr_funcs = min(int(first.nr_jited_ksyms), int(first.nr_jited_func_lens))
    if not first.btf_id or not nr_lines or nr_jited != nr_lines or not nr_funcs:
        return {}
    lbuf = ctypes.create_string_buffer(nr_lines * rec)
    jbuf = ctypes.create_string_buffer(nr_jited * jrec)
    ksyms = (ctypes.c_uint64 * nr_funcs)()
    lens = (ctypes.c_uint32 * nr_funcs)()
    second = attrs.ProgInfoStruct(
        nr_line_info=nr_lines,
        line_info_rec_size=rec,
        line_info=ctypes.addressof(lbuf),
        nr_jited_line_info=nr_jited,
        jited_line_info_rec_size=jrec,
        jited_line_info=ctypes.addressof(jbuf),
        nr_jited_ksyms=nr_funcs,
        jited_ksyms=ctypes.addressof(ksyms),
        nr_jited_func_lens=nr_funcs,
        jited_func_lens=ctypes.addressof(lens),
    )
    info, _ = obj_get_info_by_fd(fd, second)
    btf = btfvalues.kernel_btf(int(info.btf_id))
    if btf is None:
        return {}
    funcs = [(int(ksyms[i]), int(lens[i])) for i in range(nr_funcs)]
    return map_lines(btf, lbuf.raw, rec, jbuf.raw, jrec, funcs, min(nr_lines, int(info.nr_line_info)))


def image_offset(address: int, funcs: list[tuple[int, int]]) -> int | None:
    """Where kernel ``address`` lies in the concatenated image of ``funcs`` ((start, length) each)."""
    base = 0
    for start, length in funcs:
        if start <= address < start + length:
            return base + address - start
        base += length
    return None


def map_lines(
    btf: BTF, lines: bytes, rec: int, jited: bytes, jrec: int, funcs: list[tuple[int, int]], count: int
) -> dict[int, SourceLine]:
    """Pair line-info records with their JIT addresses (malformed records are skipped)."""
    out: dict[int, SourceLine] = {}
    for i in range(count):
        try:
            _insn_off, file_off, line_off, line_col = struct.unpack_from("<IIII", lines, i * rec)
            (address,) = struct.unpack_from("<Q", jited, i * jrec)
            text = btf.string(line_off).strip()
            source = SourceLine(btf.string(file_off), text, line_col >> 10, line_col & 0x3FF)
        except (Error, struct.error):
            continue
        offset = image_offset(address, funcs)
        if offset is not None and text:
            out.setdefault(offset, source)
    return out


def plain(
    lines: list[JitLine],
    *,
    opcodes: bool = False,
    sources: dict[int, SourceLine] | None = None,
    linum: bool = False,
) -> str:
    """The listing, each source line (``; text``, with ``[file:line:col]`` under ``linum``) above its code."""
    out = []
    for line in lines:
        source = (sources or {}).get(line.offset)
        if source is not None:
            where = f" [{source.file}:{source.line_num}:{source.line_col}]" if linum else ""
            out.append(f"; {source.line}{where}")
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


__all__ = ["JitLine", "as_json", "disassemble", "fetch", "image_offset", "map_lines", "plain", "source_lines"]
