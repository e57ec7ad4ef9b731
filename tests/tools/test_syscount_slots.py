"""syscount/syslat's BPF side buckets latencies the way ``format_log2_hist`` labels them (bcc's)."""

from __future__ import annotations

import struct

import pytest

import pybpf
from pybpf.events import log2_bounds
from pybpf.tools.runner import tool_object
from pybpf.vm.host import ManualClock

RAW_TP_ARGS = struct.pack("<QQ", 0, 39)


def _slot_of(latency_ns: int) -> int:
    clock = ManualClock(1_000_000_000)
    with pybpf.load(tool_object("syscount"), runtime="vm", clock=clock) as obj:
        obj.programs["syscount_enter"].test_run(ctx=RAW_TP_ARGS)
        clock.advance(latency_ns)
        obj.programs["syscount_exit"].test_run(ctx=RAW_TP_ARGS)
        (slot,) = [k for k, v in obj.maps["hist"].items() if v]
    return int(slot)


@pytest.mark.parametrize(
    ("latency_us", "slot"),
    [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (7, 3), (8, 4), (1023, 10), (1024, 11)],
)
def test_the_slot_of_a_latency_is_its_bit_length_in_microseconds(latency_us: int, slot: int) -> None:
    assert _slot_of(latency_us * 1000) == slot


@pytest.mark.parametrize("latency_us", [0, 1, 5, 999, 40_000])
def test_the_label_of_the_slot_contains_the_latency(latency_us: int) -> None:
    low, high = log2_bounds(_slot_of(latency_us * 1000))
    assert low <= latency_us <= high


def test_latencies_beyond_the_last_slot_land_in_it() -> None:
    assert _slot_of(10**18) == 26
