"""Fixtures for the reader tests: a state map, ring buffers and perf event arrays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from events_testlib import bpf_refusal, new_state_map, require_kernel_feature

from pybpf import kernel
from pybpf.enums import MapType


@pytest.fixture
def bpf_ok() -> None:
    refusal = bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")


@pytest.fixture
def state_map(bpf_ok: None) -> Iterator[kernel.FD]:
    with new_state_map() as fd:
        yield fd


@pytest.fixture
def ringbuf_map(bpf_ok: None) -> Iterator[kernel.FD]:
    with kernel.map_create(MapType.RINGBUF, 0, 0, 1 << 16, name="events") as fd:
        yield fd


@pytest.fixture
def perf_map(bpf_ok: None) -> Iterator[kernel.FD]:
    with kernel.map_create(MapType.PERF_EVENT_ARRAY, 4, 4, kernel.possible_cpus(), name="perf") as fd:
        yield fd
