"""Producer programs for the reader tests, assembled from instructions (no loader needed).

Each run of a producer (an XDP program driven by BPF_PROG_TEST_RUN with ``repeat=N``) takes the
next sequence number from slot 0 of a ``state`` array and emits a 16-byte event
``(seq, seq ^ MAGIC)``; when the kernel refuses the event it counts it in slot 1, so a test knows
exactly how many events were sent and how many the kernel dropped.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from functools import cache

from pybpf import kernel
from pybpf.enums import MapType, ProgramType
from pybpf.isa import Instruction, encode
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AluOp, AtomicOp, JmpOp, Size
from testlib import find_tool, require_kernel_feature  # noqa: F401 - re-exported for the tests

MAGIC = 0x5A5A_0000_1234_ABCD
EVENT = struct.Struct("=QQ")
PACKET = bytes(64)

LOOKUP, PERF_OUTPUT, RB_OUTPUT, RB_RESERVE, RB_SUBMIT, RB_DISCARD = 1, 25, 130, 131, 132, 133
BPF_F_CURRENT_CPU = 0xFFFFFFFF
XDP_PASS = 2


def _lookup_slot(state_fd: int, slot: int, miss: str) -> list[Instruction | str]:
    """r0 = &state[slot], jumping to label ``miss`` when null."""
    return [
        c.mov64_imm(1, slot),
        c.stx_mem(Size.W, 10, 1, -4),
        c.mov64_reg(2, 10),
        c.alu64_imm(AluOp.ADD, 2, -4),
        c.ld_map_fd(1, state_fd),
        c.call_helper(LOOKUP),
        f"jeq0 {miss}",
    ]


def _link(items: list[Instruction | str]) -> bytes:
    """Resolve ``"label:"`` markers and ``"jeq0 label"`` / ``"ja label"`` jumps into offsets."""
    slots: dict[str, int] = {}
    pos = 0
    for item in items:
        if isinstance(item, str) and item.endswith(":"):
            slots[item[:-1]] = pos
        elif isinstance(item, str):
            pos += 1
        else:
            pos += item.size // 8
    out: list[Instruction] = []
    pos = 0
    for item in items:
        if isinstance(item, str) and item.endswith(":"):
            continue
        if isinstance(item, str):
            op, label = item.split()
            offset = slots[label] - pos - 1
            out.append(c.jmp_imm(JmpOp.JEQ, 0, 0, offset) if op == "jeq0" else c.ja(offset))
            pos += 1
            continue
        out.append(item)
        pos += item.size // 8
    return encode(out)


def _next_seq(state_fd: int) -> list[Instruction | str]:
    """r6 = state[0]++ (atomically), event at r10-24 = (r6, r6 ^ MAGIC)."""
    return [
        *_lookup_slot(state_fd, 0, "out"),
        c.mov64_imm(6, 1),
        c.atomic(Size.DW, AtomicOp.FETCH_ADD, 0, 6, 0),
        c.stx_mem(Size.DW, 10, 6, -24),
        c.ld_imm64(7, MAGIC),
        c.alu64_reg(AluOp.XOR, 7, 6),
        c.stx_mem(Size.DW, 10, 7, -16),
    ]


def _count_lost(state_fd: int) -> list[Instruction | str]:
    return [
        "lost:",
        *_lookup_slot(state_fd, 1, "out"),
        c.mov64_imm(1, 1),
        c.atomic(Size.DW, AtomicOp.ADD, 0, 1, 0),
        "out:",
        c.mov64_imm(0, XDP_PASS),
        c.exit(),
    ]


def ringbuf_output_producer(state_fd: int, ringbuf_fd: int) -> bytes:
    """Emit each event with bpf_ringbuf_output."""
    return _link(
        [
            *_next_seq(state_fd),
            c.ld_map_fd(1, ringbuf_fd),
            c.mov64_reg(2, 10),
            c.alu64_imm(AluOp.ADD, 2, -24),
            c.mov64_imm(3, EVENT.size),
            c.mov64_imm(4, 0),
            c.call_helper(RB_OUTPUT),
            "jeq0 out",
            "ja lost",
            *_count_lost(state_fd),
        ]
    )


def ringbuf_discarding_producer(state_fd: int, ringbuf_fd: int) -> bytes:
    """Reserve each event, then submit even sequence numbers and discard odd ones."""
    return _link(
        [
            *_next_seq(state_fd),
            c.ld_map_fd(1, ringbuf_fd),
            c.mov64_imm(2, EVENT.size),
            c.mov64_imm(3, 0),
            c.call_helper(RB_RESERVE),
            c.jmp_imm(JmpOp.JNE, 0, 0, 1),
            "ja lost",
            c.stx_mem(Size.DW, 0, 6, 0),
            c.ldx_mem(Size.DW, 7, 10, -16),
            c.stx_mem(Size.DW, 0, 7, 8),
            c.mov64_reg(1, 0),
            c.mov64_imm(2, 0),
            c.alu64_imm(AluOp.AND, 6, 1),
            c.jmp_imm(JmpOp.JNE, 6, 0, 2),
            c.call_helper(RB_SUBMIT),
            "ja out",
            c.call_helper(RB_DISCARD),
            "ja out",
            *_count_lost(state_fd),
        ]
    )


def perf_output_producer(state_fd: int, perf_map_fd: int) -> bytes:
    """Emit each event with bpf_perf_event_output on the current CPU."""
    return _link(
        [
            c.mov64_reg(9, 1),
            *_next_seq(state_fd),
            c.mov64_reg(1, 9),
            c.ld_map_fd(2, perf_map_fd),
            c.ld_imm64(3, BPF_F_CURRENT_CPU),
            c.mov64_reg(4, 10),
            c.alu64_imm(AluOp.ADD, 4, -24),
            c.mov64_imm(5, EVENT.size),
            c.call_helper(PERF_OUTPUT),
            "jeq0 out",
            "ja lost",
            *_count_lost(state_fd),
        ]
    )


def new_state_map() -> kernel.FD:
    return kernel.map_create(MapType.ARRAY, 4, 8, 2, name="state")


def state(state_fd: kernel.FD) -> tuple[int, int]:
    """(events attempted, events the kernel refused)."""
    values = [kernel.map_lookup(state_fd, struct.pack("=I", i), 8) for i in (0, 1)]
    return struct.unpack("=Q", values[0])[0], struct.unpack("=Q", values[1])[0]


def load_xdp(insns: bytes) -> kernel.FD:
    return kernel.prog_load(ProgramType.XDP, insns, "GPL")


def run(prog_fd: kernel.FD, times: int) -> None:
    kernel.prog_test_run(prog_fd, PACKET, repeat=times)


@contextlib.contextmanager
def on_one_cpu() -> Iterator[int]:
    """Keep this thread on one CPU: test runs write to that CPU's perf ring and no other."""
    saved = os.sched_getaffinity(0)
    cpu = min(saved)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, saved)


def decode_event(data: bytes) -> tuple[int, int]:
    seq, check = EVENT.unpack_from(data)
    return seq, check


@cache
def bpf_refusal() -> str:
    try:
        new_state_map().close()
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""
