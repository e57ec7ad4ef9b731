"""Ring buffer reader against a kernel producer emitting a known number of events."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from events_testlib import (
    EVENT,
    MAGIC,
    decode_event,
    load_xdp,
    ringbuf_discarding_producer,
    ringbuf_output_producer,
    run,
    state,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf import kernel
from pybpf.enums import MapType
from pybpf.events import BufferTooSmall, DeadlineExceeded, EventsError, Poller, ReaderClosed, RingBuffer
from pybpf.events.ringbuf import record_span

pytestmark = pytest.mark.kernel


@pytest.fixture
def producer(state_map: kernel.FD, ringbuf_map: kernel.FD) -> kernel.FD:
    return load_xdp(ringbuf_output_producer(int(state_map), int(ringbuf_map)))


def test_every_event_of_the_producer_is_received_in_order(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(producer, 500)
        events = list(reader.poll(timeout=0.05))
    assert events == [(seq, seq ^ MAGIC) for seq in range(500)]
    assert reader.stats.received == 500


def test_events_refused_by_a_full_ring_plus_events_received_equal_events_sent(
    producer: kernel.FD, ringbuf_map: kernel.FD, state_map: kernel.FD
) -> None:
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 5000)  # 64 KiB holds 2730 records of 24 bytes
        received = reader.consume()
    sent, refused = state(state_map)
    assert sent == 5000
    assert refused > 0
    assert received + refused == sent


def test_discarded_records_are_counted_and_skipped(state_map: kernel.FD, ringbuf_map: kernel.FD) -> None:
    prog = load_xdp(ringbuf_discarding_producer(int(state_map), int(ringbuf_map)))
    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(prog, 10)
        seqs = [seq for seq, _ in reader.poll(timeout=0.05)]
    assert seqs == [0, 2, 4, 6, 8]
    assert reader.stats.discarded == 5


def test_read_into_copies_one_record_and_returns_its_length(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    buffer = bytearray(64)
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 2)
        assert reader.read_into(buffer, timeout=1) == EVENT.size
        assert EVENT.unpack_from(buffer)[0] == 0
        assert reader.read_into(buffer, timeout=1) == EVENT.size
        assert EVENT.unpack_from(buffer)[0] == 1


def test_read_into_a_short_buffer_raises_and_keeps_the_record(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 1)
        with pytest.raises(BufferTooSmall) as info:
            reader.read_into(bytearray(4), timeout=1)
        assert info.value.needed == EVENT.size
        assert len(reader.read(timeout=1)) == EVENT.size


def test_consume_raw_hands_memoryviews_to_the_callback(producer: kernel.FD, ringbuf_map: kernel.FD) -> None:
    seen: list[int] = []
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 3)
        assert reader.consume_raw(lambda view: seen.append(EVENT.unpack_from(view)[0])) == 3
    assert seen == [0, 1, 2]


def test_read_with_nothing_produced_raises_deadline_exceeded(ringbuf_map: kernel.FD) -> None:
    with RingBuffer(ringbuf_map) as reader, pytest.raises(DeadlineExceeded):
        reader.read(timeout=0.01)


def test_close_is_idempotent_and_reading_after_it_raises_reader_closed(ringbuf_map: kernel.FD) -> None:
    reader = RingBuffer(ringbuf_map)
    reader.close()
    reader.close()
    with pytest.raises(ReaderClosed):
        reader.read(timeout=0)


def test_close_from_another_thread_wakes_a_blocked_poll(ringbuf_map: kernel.FD) -> None:
    reader = RingBuffer(ringbuf_map)
    finished = threading.Event()

    def consume() -> None:
        list(reader.poll(timeout=None))
        finished.set()

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(0.05)
    reader.close()
    thread.join(timeout=5)
    assert finished.is_set()


def test_async_iteration_yields_the_produced_events(producer: kernel.FD, ringbuf_map: kernel.FD) -> None:
    async def collect(reader: RingBuffer) -> list[tuple[int, int]]:
        got = []
        async for event in reader:
            got.append(event)
            if len(got) == 5:
                break
        return got

    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(producer, 5)
        events = asyncio.run(asyncio.wait_for(collect(reader), timeout=5))
    assert [seq for seq, _ in events] == [0, 1, 2, 3, 4]


def test_poller_merges_records_of_two_ring_buffers(bpf_ok: None, state_map: kernel.FD) -> None:
    first = kernel.map_create(MapType.RINGBUF, 0, 0, 1 << 14)
    second = kernel.map_create(MapType.RINGBUF, 0, 0, 1 << 14)
    with first, second, RingBuffer(first) as a, RingBuffer(second) as b:
        run(load_xdp(ringbuf_output_producer(int(state_map), int(first))), 2)
        run(load_xdp(ringbuf_output_producer(int(state_map), int(second))), 3)
        poller = Poller({"a": a, "b": b})
        names = [name for name, _ in poller.poll(timeout=0.05)]
        poller.close()
    assert sorted(names) == ["a", "a", "b", "b", "b"]


def test_a_map_that_is_not_a_ring_buffer_is_refused(state_map: kernel.FD) -> None:
    with pytest.raises(EventsError, match="not a ring buffer"):
        RingBuffer(state_map)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=1 << 20))
def test_record_span_is_aligned_and_holds_header_and_data(length: int) -> None:
    span = record_span(length)
    assert span % 8 == 0
    assert length + 8 <= span < length + 16


def test_a_raising_zero_copy_callback_leaves_its_record_for_the_next_read(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    def refuse(view: memoryview) -> None:
        raise RuntimeError("not now")

    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(producer, 1)
        with pytest.raises(RuntimeError):
            reader.consume_raw(refuse)
        assert reader.read(timeout=1) == (0, MAGIC)
