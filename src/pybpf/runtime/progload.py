"""What ``BPF_PROG_LOAD`` needs besides the instructions, built from a :class:`ProgramSpec`.

Pure functions, kept apart from the loader's sequencing: kernel object names, ``func_info`` and
``line_info`` records, the BTF id of a program's attach point, and the C source line of an
instruction for verifier errors.
"""

from __future__ import annotations

import os
import struct

from pybpf._sorted import bisect_right
from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

from ..btf import BTF, Kind
from ..enums import AttachType, ProgramType
from ..kernel import FD, LoadOptions
from ..spec import ProgramSpec
from .errors import LoadError

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")
FUNC_INFO = struct.Struct("<II")
LINE_INFO = struct.Struct("<IIII")

#: expected attach type → (prefix of the kernel BTF name, kind) for BTF-attached programs.
_ATTACH_BTF_NAMES: dict[AttachType, tuple[str, Kind]] = {
    AttachType.TRACE_ITER: ("bpf_iter_", Kind.FUNC),
    AttachType.TRACE_RAW_TP: ("btf_trace_", Kind.TYPEDEF),
    AttachType.LSM_MAC: ("bpf_lsm_", Kind.FUNC),
    AttachType.LSM_CGROUP: ("bpf_lsm_", Kind.FUNC),
}


def kernel_name(name: str) -> str:
    """An object name the kernel accepts: ``[A-Za-z0-9_.]``, at most 15 bytes."""
    return "".join(ch if ch in _NAME_CHARS else "_" for ch in name[:15])


def func_info_records(prog: ProgramSpec) -> bytes:
    """``struct bpf_func_info`` records (instruction index, FUNC type id)."""
    return b"".join(FUNC_INFO.pack(f.insn, f.type_id) for f in prog.func_info)


def line_info_records(prog: ProgramSpec) -> bytes:
    """``struct bpf_line_info`` records; line and column share one word (column in 10 bits)."""
    return b"".join(
        LINE_INFO.pack(li.insn, li.file_name_off, li.line_off, (li.line << 10) | (li.column & 0x3FF))
        for li in prog.line_info
    )


def load_options(
    prog: ProgramSpec,
    *,
    btf_fd: FD | None,
    kern_version: int,
    attach_btf_id: int,
    expected_attach_type: int | None = None,
) -> LoadOptions:
    """The load attributes of ``prog``; func/line info only with the object's BTF loaded.

    ``expected_attach_type`` overrides the spec's (struct_ops programs put a member index there).
    """
    func_info = func_info_records(prog) if btf_fd is not None else b""
    line_info = line_info_records(prog) if btf_fd is not None else b""
    if not kern_version and prog.type is ProgramType.KPROBE:
        from ..kernel.config import kernel_version

        kern_version = kernel_version()  # pre-5.0 kernels check it for kprobes
    expected = prog.expected_attach_type if expected_attach_type is None else expected_attach_type
    return LoadOptions(
        name=kernel_name(prog.name),
        expected_attach_type=int(expected) if expected is not None else 0,
        prog_flags=int(prog.flags),
        kern_version=kern_version,
        prog_btf_fd=btf_fd if (func_info or line_info) else None,
        func_info=func_info,
        func_info_rec_size=FUNC_INFO.size if func_info else 0,
        line_info=line_info,
        line_info_rec_size=LINE_INFO.size if line_info else 0,
        attach_btf_id=attach_btf_id,
    )


def attach_btf_id(prog: ProgramSpec, kernel_btf: Callable[[], BTF]) -> int:
    """The kernel BTF id a BTF-attached program (iter, tp_btf, lsm, fentry...) names."""
    if not prog.attach_btf or not prog.attach_target:
        return 0
    attach = prog.expected_attach_type
    prefix, kind = _ATTACH_BTF_NAMES.get(attach, ("", Kind.FUNC)) if attach is not None else ("", Kind.FUNC)
    name = prefix + prog.attach_target
    vmlinux = kernel_btf()
    for type_id in vmlinux.find_ids(name):
        if vmlinux.kind_of(type_id) is kind:
            return type_id
    raise LoadError(f"program {prog.name!r}: no kernel {kind.name.lower()} {name!r} to attach to")


def load_kwargs(options: LoadOptions) -> dict[str, Any]:
    """``prog_load`` keyword arguments from the same options ``prog_load_with_log`` takes."""
    return {
        "name": options.name,
        "expected_attach_type": options.expected_attach_type,
        "prog_flags": options.prog_flags,
        "kern_version": options.kern_version,
        "prog_btf_fd": options.prog_btf_fd,
        "func_info": options.func_info,
        "func_info_rec_size": options.func_info_rec_size,
        "line_info": options.line_info,
        "line_info_rec_size": options.line_info_rec_size,
        "attach_btf_id": options.attach_btf_id,
    }


def source_lookup(prog: ProgramSpec) -> Callable[[int], str | None]:
    """``insn index → "file:line: source"`` from the program's line_info (nearest preceding)."""
    infos = sorted(prog.line_info, key=lambda li: li.insn)
    starts = [li.insn for li in infos]

    def lookup(index: int) -> str | None:
        at = bisect_right(starts, index) - 1
        if at < 0:
            return None
        li = infos[at]
        where = f"{os.path.basename(li.file)}:{li.line}" if li.file else f"line {li.line}"
        return f"{where}: {li.text.strip()}" if li.text else where

    return lookup


__all__ = [
    "FUNC_INFO",
    "LINE_INFO",
    "attach_btf_id",
    "func_info_records",
    "kernel_name",
    "line_info_records",
    "load_kwargs",
    "load_options",
    "source_lookup",
]
