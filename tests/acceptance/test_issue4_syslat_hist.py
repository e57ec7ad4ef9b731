"""Issue 4 acceptance: the syscall latency histogram labels each bucket with the values it holds.

The tool's own BPF object runs in the userspace VM with a manual clock, so a syscall of a known
latency lands in the histogram deterministically; the label ``pybpf tool syslat`` prints for
that bucket (``pybpf.events.log2_bounds``) must contain the latency.
"""

from __future__ import annotations

import struct

import pytest

import pybpf
from pybpf.events import format_log2_hist, log2_bounds
from pybpf.tools.runner import tool_object
from pybpf.vm.host import ManualClock

RAW_TP_ARGS = struct.pack("<QQ", 0, 39)  # args[0]: pt_regs pointer (unused here), args[1]: syscall nr


def _bucket_of_one_syscall(latency_us: int) -> int:
    clock = ManualClock(1_000_000_000)
    with pybpf.load(tool_object("syscount"), runtime="vm", clock=clock) as obj:
        obj.programs["syscount_enter"].test_run(ctx=RAW_TP_ARGS)
        clock.advance(latency_us * 1000)
        obj.programs["syscount_exit"].test_run(ctx=RAW_TP_ARGS)
        (slot,) = [k for k, v in obj.maps["hist"].items() if v]
    return int(slot)


@pytest.mark.parametrize("latency_us", [3, 100, 3000, 70_000])
def test_syslat_bucket_label_contains_the_syscall_latency(latency_us: int) -> None:
    low, high = log2_bounds(_bucket_of_one_syscall(latency_us))
    assert low <= latency_us <= high


def test_syslat_histogram_row_of_a_3ms_syscall_reads_2048_to_4095() -> None:
    text = format_log2_hist({_bucket_of_one_syscall(3000): 1}, "usecs")
    (row,) = [line for line in text.splitlines() if "|*" in line]
    assert row.split(":")[0].split() == ["2048", "->", "4095"]
