"""Helpers shared by the kernel tests (test modules cannot import conftest files)."""

from __future__ import annotations

import struct

from testlib import find_tool, require_kernel_feature

__all__ = ["find_tool", "require_kernel_feature"]

# Program types, attach types and map types used here (uapi linux/bpf.h).
PROG_SOCKET_FILTER = 1
PROG_XDP = 6
PROG_CGROUP_SKB = 8
PROG_RAW_TRACEPOINT = 17
ATTACH_CGROUP_INET_INGRESS = 0
ATTACH_CGROUP_INET_EGRESS = 1
MAP_HASH = 1
MAP_ARRAY = 2


def insn(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """One 8-byte eBPF instruction."""
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


def mov64_imm(dst: int, imm: int) -> bytes:
    return insn(0xB7, dst, imm=imm)


EXIT = insn(0x95)


def ret(value: int) -> bytes:
    """``r0 = value; exit``."""
    return mov64_imm(0, value) + EXIT
