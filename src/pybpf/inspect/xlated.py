"""``prog dump xlated``: the kernel's translated instructions, as bpftool prints them.

The instructions, line info, function info and JITed symbol addresses come from one
BPF_OBJ_GET_INFO_BY_FD call with buffers; the program's BTF (by its btf id) turns line info into
source text and function info into prototypes.  Records are built first (as ``dis`` does) and
rendered to text, JSON or a DOT control-flow graph afterwards.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.btf import BTF
from pybpf.btf.names import type_name
from pybpf.btf.types import Func, FuncProto
from pybpf.errors import Error
from pybpf.isa import Instruction
from pybpf.isa.disasm import Resolver, format_kernel
from pybpf.kernel import FD, attrs
from pybpf.kernel.info import obj_get_info_by_fd

from . import btfvalues, kallsyms
from .errors import InspectError


@dataclass(frozen=True)
class SourceLine:
    """A line-info record: the source line that starts at an instruction."""

    file: str
    line: str
    line_num: int
    line_col: int


@dataclass
class XlatedProgram:
    """What the kernel reports about a program's translated code."""

    prog_id: int
    name: str
    insns: list[Instruction]
    lines: dict[int, SourceLine] = field(default_factory=dict)
    funcs: dict[int, str] = field(default_factory=dict)
    ksyms: list[int] = field(default_factory=list)


def _u32_array(count: int) -> ctypes.Array[ctypes.c_uint32]:
    return (ctypes.c_uint32 * max(count, 1))()


def fetch(fd: FD) -> XlatedProgram:
    """Read instructions, line/func info and JIT symbols of the program behind ``fd``."""
    first, _ = obj_get_info_by_fd(fd, attrs.ProgInfoStruct())
    if not first.xlated_prog_len:
        raise InspectError(
            f"program id {first.id} has no translated instructions to show (hidden by the kernel?)"
        )
    second = attrs.ProgInfoStruct()
    xbuf = ctypes.create_string_buffer(first.xlated_prog_len)
    second.xlated_prog_len = first.xlated_prog_len
    second.xlated_prog_insns = ctypes.addressof(xbuf)
    nr_lines, line_rec = int(first.nr_line_info), int(first.line_info_rec_size) or 16
    lbuf = ctypes.create_string_buffer(max(nr_lines * line_rec, 1))
    if nr_lines:
        second.nr_line_info, second.line_info_rec_size = nr_lines, line_rec
        second.line_info = ctypes.addressof(lbuf)
    nr_funcs, func_rec = int(first.nr_func_info), int(first.func_info_rec_size) or 8
    fbuf = ctypes.create_string_buffer(max(nr_funcs * func_rec, 1))
    if nr_funcs:
        second.nr_func_info, second.func_info_rec_size = nr_funcs, func_rec
        second.func_info = ctypes.addressof(fbuf)
    nr_ksyms = int(first.nr_jited_ksyms)
    kbuf = (ctypes.c_uint64 * max(nr_ksyms, 1))()
    if nr_ksyms:
        second.nr_jited_ksyms = nr_ksyms
        second.jited_ksyms = ctypes.addressof(kbuf)
    info, _ = obj_get_info_by_fd(fd, second)
    raw = xbuf.raw[: info.xlated_prog_len]
    insns = decode_xlated(raw)
    prog = XlatedProgram(
        prog_id=int(info.id),
        name=info.name.split(b"\0", 1)[0].decode("utf-8", "replace"),
        insns=insns,
        ksyms=[int(kbuf[i]) for i in range(min(nr_ksyms, int(info.nr_jited_ksyms)))],
    )
    btf = btfvalues.kernel_btf(int(info.btf_id)) if info.btf_id else None
    if btf is not None:
        prog.lines = _lines(btf, lbuf.raw, min(nr_lines, int(info.nr_line_info)), line_rec)
        prog.funcs = _funcs(btf, fbuf.raw, min(nr_funcs, int(info.nr_func_info)), func_rec)
    return prog


def full_name(fd: FD, short: str) -> str:
    """The function name from BTF when the kernel's 15-character name is a truncation of it."""
    first, _ = obj_get_info_by_fd(fd, attrs.ProgInfoStruct())
    if len(short) < 15 or not first.btf_id or not first.nr_func_info:
        return short
    rec = int(first.func_info_rec_size) or 8
    buf = ctypes.create_string_buffer(rec)
    again = attrs.ProgInfoStruct(nr_func_info=1, func_info_rec_size=rec, func_info=ctypes.addressof(buf))
    obj_get_info_by_fd(fd, again)
    btf = btfvalues.kernel_btf(int(first.btf_id))
    if btf is None:
        return short
    try:
        func = btf[struct.unpack_from("<I", buf.raw, 4)[0]]
    except (Error, struct.error):
        return short
    name = getattr(func, "name", "")
    return name if isinstance(func, Func) and name.startswith(short) else short


def decode_xlated(raw: bytes) -> list[Instruction]:
    """Translated code, instruction by instruction, never refusing what the kernel wrote.

    The kernel stores things in translated code that are reserved in programs it is given (the
    subprogram index in ``off`` of a bpf-to-bpf call), so an instruction the strict decoder
    rejects is kept with its fields as they are.
    """
    out: list[Instruction] = []
    offset = 0
    usable = len(raw) - len(raw) % 8
    while offset < usable:
        try:
            insn = Instruction.decode(raw, offset, section="xlated", xlated=True)
        except Error:
            opcode, regs, off, imm = struct.unpack_from("<BBhi", raw, offset)
            if opcode == 0x18 and offset + 16 <= usable:
                high = struct.unpack_from("<I", raw, offset + 12)[0]
                imm = (imm & 0xFFFFFFFF) | (high << 32)
            insn = Instruction(opcode, regs & 0xF, regs >> 4, off, imm)
        out.append(insn)
        offset += insn.size
    return out


def _lines(btf: BTF, raw: bytes, count: int, rec: int) -> dict[int, SourceLine]:
    out: dict[int, SourceLine] = {}
    for i in range(count):
        try:
            insn_off, file_off, line_off, line_col = struct.unpack_from("<IIII", raw, i * rec)
            out.setdefault(
                insn_off,
                SourceLine(
                    btf.string(file_off), btf.string(line_off).strip(), line_col >> 10, line_col & 0x3FF
                ),
            )
        except (Error, struct.error):
            continue
    return out


def prototype(btf: BTF, func_id: int) -> str | None:
    """``int name(void * ctx)``: a function's prototype the way bpftool spells it."""
    try:
        func = btf[func_id]
        if not isinstance(func, Func):
            return None
        proto = btf[func.type_id]
        if not isinstance(proto, FuncProto):
            return None
        params = []
        for param in proto.params:
            if param.type_id == 0 and not param.name:
                params.append("...")
            else:
                params.append(f"{type_name(btf, param.type_id)} {param.name}".rstrip())
        return f"{type_name(btf, proto.return_type_id)} {func.name}({', '.join(params)})"
    except Error:
        return None


def _funcs(btf: BTF, raw: bytes, count: int, rec: int) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(count):
        try:
            insn_off, type_id = struct.unpack_from("<II", raw, i * rec)
        except struct.error:
            break
        proto = prototype(btf, type_id)
        if proto is not None:
            out[insn_off] = proto
    return out


class XlatedResolver(Resolver):
    """Names calls the way bpftool does for translated code: kernel symbols and JIT images."""

    def __init__(self, ksyms: list[int]) -> None:
        self.ksyms = ksyms

    def helper(self, helper_id: int) -> str | None:
        return kallsyms.helper_target(helper_id) or super().helper(helper_id)

    def subprog(self, insn: Instruction, slot: int) -> str | None:
        if 0 <= insn.off < len(self.ksyms):
            return kallsyms.name_at(self.ksyms[insn.off])
        return None


@dataclass(frozen=True)
class Row:
    """One instruction of the dump, with what precedes it (prototype, source line)."""

    slot: int
    insn: Instruction
    text: str
    proto: str | None
    source: SourceLine | None


def rows(prog: XlatedProgram) -> list[Row]:
    resolver = XlatedResolver(prog.ksyms)
    out: list[Row] = []
    slot = 0
    for insn in prog.insns:
        text = format_kernel(insn, slot=slot, resolver=resolver)
        out.append(Row(slot, insn, text, prog.funcs.get(slot), prog.lines.get(slot)))
        slot += insn.slots
    return out


def _opcode_text(insn: Instruction) -> str:
    return " ".join(f"{b:02x}" for b in insn.encode())


def _opcode_json(insn: Instruction) -> dict[str, Any]:
    raw = insn.encode()
    return {
        "code": f"0x{raw[0]:02x}",
        "src_reg": f"{raw[1] >> 4:#x}",
        "dst_reg": f"{raw[1] & 0xF:#x}",
        "off": [f"0x{b:02x}" for b in raw[2:4]],
        "imm": [f"0x{b:02x}" for b in raw[4:]],
    }


def plain(prog: XlatedProgram, *, linum: bool = False, opcodes: bool = False) -> str:
    """bpftool's plain dump: prototypes, ``; source`` lines and ``   N: (op) text``."""
    lines: list[str] = []
    for row in rows(prog):
        if row.proto is not None:
            lines.append(f"{row.proto}:")
        if row.source is not None:
            src = f"; {row.source.line}"
            if linum:
                src += (
                    f" [file:{row.source.file} line_num:{row.source.line_num} line_col:{row.source.line_col}]"
                )
            lines.append(src)
        lines.append(f"{row.slot:4d}: {row.text}")
        if opcodes:
            lines.append(f"       {_opcode_text(row.insn)}")
    return "\n".join(lines)


def as_json(prog: XlatedProgram, *, linum: bool = False, opcodes: bool = False) -> list[dict[str, Any]]:
    """bpftool's ``-j prog dump xlated``: one object per instruction."""
    out: list[dict[str, Any]] = []
    for row in rows(prog):
        entry: dict[str, Any] = {}
        if row.proto is not None:
            entry["proto"] = row.proto
        if row.source is not None:
            entry["src"] = row.source.line
            if linum:
                entry["file"] = row.source.file
                entry["line_num"] = row.source.line_num
                if row.source.line_col:
                    entry["line_col"] = row.source.line_col
        entry["disasm"] = row.text
        if opcodes:
            entry["opcodes"] = _opcode_json(row.insn)
        out.append(entry)
    return out


__all__ = [
    "Row",
    "SourceLine",
    "XlatedProgram",
    "XlatedResolver",
    "as_json",
    "fetch",
    "plain",
    "prototype",
    "rows",
]
