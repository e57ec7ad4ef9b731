"""Perf buffer reader against a kernel producer calling bpf_perf_event_output."""

from __future__ import annotations

import pytest
from events_testlib import EVENT, MAGIC, decode_event, load_xdp, on_one_cpu, perf_output_producer, run, state

from pybpf import kernel
from pybpf.events import EventsError, PerfBuffer

pytestmark = pytest.mark.kernel


@pytest.fixture
def producer(state_map: kernel.FD, perf_map: kernel.FD) -> kernel.FD:
    return load_xdp(perf_output_producer(int(state_map), int(perf_map)))


def test_every_sample_is_received_with_its_raw_payload(producer: kernel.FD, perf_map: kernel.FD) -> None:
    with PerfBuffer(perf_map, decoder=decode_event) as reader:
        run(producer, 200)
        events = list(reader.poll(timeout=0.05))
    assert sorted(events) == [(seq, seq ^ MAGIC) for seq in range(200)]


def test_samples_received_plus_samples_refused_equal_samples_sent(
    producer: kernel.FD, perf_map: kernel.FD, state_map: kernel.FD
) -> None:
    # The kernel reports the loss in the ring that lost samples, with the next record it writes
    # there: both runs must write to the same CPU's ring.
    with PerfBuffer(perf_map, pages=1) as reader, on_one_cpu():
        run(producer, 2000)  # one page holds far fewer
        received = reader.consume()
        run(producer, 1)
        received += reader.consume()
    sent, refused = state(state_map)
    assert refused > 0
    assert received + refused == sent
    assert reader.stats.lost == refused  # reported by PERF_RECORD_LOST


def test_samples_carry_the_payload_padded_to_eight_bytes(producer: kernel.FD, perf_map: kernel.FD) -> None:
    with PerfBuffer(perf_map) as reader:
        run(producer, 1)
        record = reader.read(timeout=1)
    assert EVENT.size <= len(record) < EVENT.size + 8


def test_perf_buffer_pages_must_be_a_power_of_two(perf_map: kernel.FD) -> None:
    with pytest.raises(EventsError, match="power of two"):
        PerfBuffer(perf_map, pages=3)


def test_closing_the_perf_buffer_clears_the_map_slots(
    producer: kernel.FD, perf_map: kernel.FD, state_map: kernel.FD
) -> None:
    reader = PerfBuffer(perf_map)
    reader.close()
    reader.close()
    run(producer, 3)  # with the slots empty the kernel refuses every sample
    assert state(state_map) == (3, 3)


def test_poller_takes_perf_samples_and_ring_records_together(
    producer: kernel.FD, perf_map: kernel.FD, state_map: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    from events_testlib import ringbuf_output_producer

    from pybpf.events import Poller, RingBuffer

    ring_producer = load_xdp(ringbuf_output_producer(int(state_map), int(ringbuf_map)))
    with PerfBuffer(perf_map) as perf, RingBuffer(ringbuf_map) as ring:
        run(producer, 2)
        run(ring_producer, 3)
        poller = Poller({"perf": perf, "ring": ring})
        names = sorted(name for name, _ in poller.poll(timeout=0.05))
        poller.close()
    assert names == ["perf", "perf", "ring", "ring", "ring"]
