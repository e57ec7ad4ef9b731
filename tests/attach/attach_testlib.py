"""Small programs and kernel probes shared by the attach tests.

Each test program increments slot 0 of an array map (u32 -> u64) and returns a fixed value, so a
test proves "the program ran" by reading the counter, whatever the program type.
"""

from __future__ import annotations

import os
import struct
from functools import cache

from pybpf import kernel
from pybpf.enums import MapType
from pybpf.isa import Instruction, constructors, encode
from pybpf.isa.opcodes import AtomicOp, JmpOp, Size
from testlib import find_tool, require_kernel_feature  # noqa: F401 - re-exported for the tests

MAP_LOOKUP_ELEM = 1


def counter_insns(map_fd: int, retval: int = 0) -> bytes:
    """``counts[0] += 1; return retval`` as raw instruction bytes."""
    insns: list[Instruction] = [
        constructors.mov64_imm(1, 0),
        constructors.stx_mem(Size.W, 10, 1, -4),
        constructors.mov64_reg(2, 10),
        constructors.alu64_imm(constructors.AluOp.ADD, 2, -4),
        constructors.ld_map_fd(1, map_fd),
        constructors.call_helper(MAP_LOOKUP_ELEM),
        constructors.jmp_imm(JmpOp.JEQ, 0, 0, 2),
        constructors.mov64_imm(1, 1),
        constructors.atomic(Size.DW, AtomicOp.ADD, 0, 1, 0),
        constructors.mov64_imm(0, retval),
        constructors.exit(),
    ]
    return encode(insns)


def new_counter_map() -> kernel.FD:
    return kernel.map_create(MapType.ARRAY, 4, 8, 1, name="counts")


def read_counter(map_fd: kernel.FD) -> int:
    return int(struct.unpack("=Q", kernel.map_lookup(map_fd, struct.pack("=I", 0), 8))[0])


def load_counter(prog_type: int, map_fd: kernel.FD, retval: int = 0, **options: object) -> kernel.FD:
    return kernel.prog_load(prog_type, counter_insns(int(map_fd), retval), "GPL", **options)  # type: ignore[arg-type]


@cache
def bpf_refusal() -> str:
    """Why this process may not use bpf(), or ``""``."""
    try:
        new_counter_map().close()
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""


def live_link_ids() -> set[int]:
    return set(kernel.ids(kernel.ObjectKind.LINK))


def fdinfo_prog_ids() -> set[int]:
    """prog ids that some fd of this process refers to (``/proc/self/fdinfo``: ``prog_id``)."""
    found: set[int] = set()
    for name in os.listdir("/proc/self/fdinfo"):
        try:
            with open(f"/proc/self/fdinfo/{name}") as info:
                for line in info:
                    if line.startswith("prog_id:"):
                        found.add(int(line.split()[1]))
        except OSError:
            continue
    return found


def link_gone(link_id: int, within: float = 5.0) -> bool:
    """Whether link ``link_id`` disappears (its release may run from a kernel work queue)."""
    import time

    deadline = time.monotonic() + within
    while link_id in live_link_ids():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
