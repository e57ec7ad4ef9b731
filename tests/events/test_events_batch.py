"""RingBuffer.read_batch and RecordBatch: whole runs of records taken out of the ring at once.

The kernel tests drive producers that emit a known sequence (``seq``, ``seq ^ MAGIC``), so every
test knows exactly which records a batch must hold: none lost, none twice, none torn.  The
producers of ``events_testlib`` cover uniform records and alternate discards; the C programs below
(built once per module) add mixed lengths, a discard every 50 records, and a record held busy
for a while, which no one-shot program can do without ``bpf_loop``.
"""

from __future__ import annotations

import gc
import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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

import pybpf
from pybpf import kernel
from pybpf.enums import MapType
from pybpf.events import EventsError, ReaderClosed, RecordBatch, RingBuffer
from pybpf.events.ringbuf import record_span
from testlib import compile_bpf

PACKET = bytes(64)
HEADER = struct.Struct("=II")

PRODUCERS_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define MAGIC 0x5A5A00001234ABCDULL

struct event {
	__u64 seq;
	__u64 check;
};

/* Puts struct event into BTF, for ring_buffer(type="struct event"). */
struct event *event_type __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

__u64 next_seq;
const volatile __u64 hold_ns = 1000000000ULL;

static __always_inline __u64 take_seq(void)
{
	return __sync_fetch_and_add(&next_seq, 1);
}

/* Records of 4, 8, 12, 16, 4, ... bytes (seq & 3 picks): the first bytes of (seq, seq ^ MAGIC). */
SEC("xdp")
int mixed(struct xdp_md *ctx)
{
	__u64 event[2];
	__u64 len;

	event[0] = take_seq();
	event[1] = event[0] ^ MAGIC;
	len = 4 + (event[0] & 3) * 4;
	bpf_ringbuf_output(&events, event, len, 0);
	return XDP_PASS;
}

/* 20 records of 4 bytes, 20 of 8, 20 of 4...: both take 16 bytes of the ring, so only the length
 * in the headers tells the runs apart. */
SEC("xdp")
int two_sizes(struct xdp_md *ctx)
{
	__u64 event[2];

	event[0] = take_seq();
	event[1] = event[0] ^ MAGIC;
	bpf_ringbuf_output(&events, event, (event[0] / 20) & 1 ? 8 : 4, 0);
	return XDP_PASS;
}

/* struct event records; those whose seq % 50 == 25 are reserved, then discarded. */
SEC("xdp")
int sparse_discard(struct xdp_md *ctx)
{
	__u64 seq = take_seq();
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	e->seq = seq;
	e->check = seq ^ MAGIC;
	if (seq % 50 == 25)
		bpf_ringbuf_discard(e, 0);
	else
		bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

static long spin(__u64 index, void *ctx)
{
	return bpf_ktime_get_ns() >= *(__u64 *)ctx;
}

/* A struct event reserved, then kept busy (hold_ns, or as long as bpf_loop lasts) until submitted. */
SEC("xdp")
int hold(struct xdp_md *ctx)
{
	__u64 seq = take_seq();
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 until;

	if (!e)
		return XDP_PASS;
	e->seq = seq;
	e->check = seq ^ MAGIC;
	until = bpf_ktime_get_ns() + hold_ns;
	bpf_loop(1 << 23, spin, &until, 0);
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}
"""


@pytest.fixture(scope="module")
def producers_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("batch-objects") / "batch_producers.bpf.c"
    source.write_text(PRODUCERS_C)
    return compile_bpf(source, source.with_suffix(".o"))


@pytest.fixture
def producers(bpf_ok: None, producers_object: Path) -> Iterator[pybpf.Object]:
    with pybpf.load(producers_object) as obj:
        yield obj


@pytest.fixture
def producer(state_map: kernel.FD, ringbuf_map: kernel.FD) -> kernel.FD:
    return load_xdp(ringbuf_output_producer(int(state_map), int(ringbuf_map)))


def expected_events(seqs: range | list[int]) -> list[tuple[int, int]]:
    return [(seq, seq ^ MAGIC) for seq in seqs]


def drain(reader: RingBuffer) -> list[RecordBatch]:
    batches: list[RecordBatch] = []
    reader.consume_batches(batches.append)
    return batches


# -- the kernel's ring ------------------------------------------------------------------------
@pytest.mark.kernel
def test_records_of_one_size_come_as_one_uniform_batch_released_at_once(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 500)
        start = reader.consumer_position
        batch = reader.read_batch()
        assert reader.consumer_position == start + 500 * record_span(EVENT.size)
        assert reader.pending() == 0
        assert len(reader.read_batch()) == 0
    assert (len(batch), batch.record_size, batch.stride) == (500, EVENT.size, 24)
    assert len(batch.buffer) == 500 * 24
    assert [decode_event(bytes(view)) for view in batch] == expected_events(range(500))
    assert decode_event(bytes(batch[-1])) == (499, 499 ^ MAGIC)
    # The buffer is the ring's bytes: a header (length, no busy/discard bit) before each record.
    assert {HEADER.unpack_from(batch.buffer, at - 8)[0] for at in batch.offsets} == {EVENT.size}
    assert reader.stats.received == 500 and reader.stats.discarded == 0


@pytest.mark.kernel
def test_unpack_column_and_decode_agree_with_per_record_decoding(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(producer, 300)
        batch = reader.read_batch()
        run(producer, 300)
        one_by_one = list(reader.poll(timeout=0.05))
    assert one_by_one == expected_events(range(300, 600))
    expected = expected_events(range(300))
    assert [decode_event(bytes(view)) for view in batch] == expected
    assert batch.decode() == expected
    assert list(batch.unpack(EVENT)) == expected
    assert list(batch.unpack("=Q")) == [(seq,) for seq, _ in expected]
    assert list(batch.unpack("<8xQ")) == [(check,) for _, check in expected]
    assert list(batch.column(0, "Q")) == [seq for seq, _ in expected]
    assert sum(batch.column(8, "Q")) == sum(check for _, check in expected)


@pytest.mark.kernel
def test_a_typed_reader_decodes_a_batch_through_btf(producers: pybpf.Object) -> None:
    emit = producers.programs["sparse_discard"]
    with producers.maps["events"].ring_buffer(type="struct event") as reader:
        emit.test_run(data=PACKET, repeat=20)
        values = reader.read_batch().decode()
        emit.test_run(data=PACKET, repeat=20)
        polled = list(reader.poll(timeout=0.05))
    assert [(value.seq, value.check) for value in values] == expected_events(range(20))
    assert [(value.seq, value.check) for value in polled] == expected_events([s for s in range(20, 40) if s != 25])
    assert type(values[0]) is type(polled[0])


@pytest.mark.kernel
def test_records_of_mixed_lengths_are_all_delivered_with_their_lengths(producers: pybpf.Object) -> None:
    producers.programs["mixed"].test_run(data=PACKET, repeat=200)
    with producers.maps["events"].ring_buffer() as reader:
        batches = drain(reader)
        assert reader.stats.received == 200
    records = [record for batch in batches for record in batch.records()]
    full = [struct.pack("=QQ", seq, seq ^ MAGIC) for seq in range(200)]
    assert records == [full[seq][: 4 + (seq & 3) * 4] for seq in range(200)]
    assert all(batch.record_size is None and batch.stride is None for batch in batches)
    # Per record unpacking where the records differ: every record holds at least a u32.
    assert [seq for batch in batches for (seq,) in batch.unpack("=I")] == list(range(200))
    with pytest.raises(EventsError, match="record 0 has 4"):
        list(batches[0].unpack("=Q"))
    with pytest.raises(EventsError, match="one size"):
        batches[0].column(0, "I")


@pytest.mark.kernel
def test_runs_of_two_lengths_with_the_same_stride_are_told_apart(producers: pybpf.Object) -> None:
    producers.programs["two_sizes"].test_run(data=PACKET, repeat=60)
    with producers.maps["events"].ring_buffer() as reader:
        batches = drain(reader)
    assert [(len(batch), batch.record_size, batch.stride) for batch in batches] == [
        (20, 4, 16),
        (20, 8, 16),
        (20, 4, 16),
    ]
    assert [seq for batch in batches for (seq,) in batch.unpack("=I")] == list(range(60))


@pytest.mark.kernel
def test_alternate_discards_are_skipped_and_counted(state_map: kernel.FD, ringbuf_map: kernel.FD) -> None:
    prog = load_xdp(ringbuf_discarding_producer(int(state_map), int(ringbuf_map)))
    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(prog, 10)
        batch = reader.read_batch()
        assert reader.pending() == 0
    assert [seq for seq, _ in batch.decode()] == [0, 2, 4, 6, 8]
    assert batch.record_size is None  # the discarded records' bytes sit between the others
    assert reader.stats.discarded == 5 and reader.stats.received == 5


@pytest.mark.kernel
def test_discards_in_the_middle_of_long_runs_lose_nothing_and_keep_the_runs_uniform(
    producers: pybpf.Object,
) -> None:
    producers.programs["sparse_discard"].test_run(data=PACKET, repeat=200)
    with producers.maps["events"].ring_buffer() as reader:
        batches = drain(reader)
        assert reader.stats.discarded == 4 and reader.stats.received == 196
    seqs = [seq for batch in batches for (seq, _) in batch.unpack(EVENT)]
    assert seqs == [seq for seq in range(200) if seq % 50 != 25]
    # Runs of 25 and 49 uniform records between the discards: one uniform batch each.
    assert [len(batch) for batch in batches] == [25, 49, 49, 49, 24]
    assert all(batch.record_size == EVENT.size for batch in batches)


@pytest.mark.kernel
@pytest.mark.parametrize("around", ["sparse_discard", "mixed"], ids=["uniform", "walked"])
def test_a_busy_record_ends_the_batch_and_the_records_behind_it_wait(
    producers: pybpf.Object, around: str
) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("needs two CPUs: the holding program spins on one with preemption off")
    progs = producers.programs

    def hold() -> None:  # pinned, so that the scheduler cannot put this test's thread behind it
        os.sched_setaffinity(0, {cpus[0]})
        progs["hold"].test_run(data=PACKET)  # seq 3

    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cpus[1:]))
    try:
        with producers.maps["events"].ring_buffer() as reader:
            progs[around].test_run(data=PACKET, repeat=3)  # seq 0, 1, 2
            ahead = reader.pending()
            holder = threading.Thread(target=hold)
            holder.start()
            deadline = time.monotonic() + 5
            while reader.pending() < ahead + 24 and time.monotonic() < deadline:
                time.sleep(0.001)
            assert reader.pending() == ahead + 24, "the holding program did not reserve its record"
            for _ in range(4):  # seq 4..7, committed behind it (repeat=4 would wait for the holder here)
                progs[around].test_run(data=PACKET)
            first = reader.read_batch()
            second = reader.read_batch()
            still_held = holder.is_alive()
            holder.join(timeout=10)
            third = reader.read_batch()
    finally:
        os.sched_setaffinity(0, saved)
    assert still_held, "the record was released before the batches were read: the test proved nothing"
    assert [seq for (seq,) in first.unpack("=I")] == [0, 1, 2]
    assert len(second) == 0
    assert [seq for (seq,) in third.unpack("=I")] == [3, 4, 5, 6, 7]
    assert bytes(third[0]) == EVENT.pack(3, 3 ^ MAGIC)
    assert reader.stats.received == 8


@pytest.mark.kernel
def test_a_batch_crossing_the_end_of_the_ring_is_read_through_the_double_mapping(
    bpf_ok: None, state_map: kernel.FD
) -> None:
    with kernel.map_create(MapType.RINGBUF, 0, 0, 4096) as ring, RingBuffer(ring) as reader:
        prog = load_xdp(ringbuf_output_producer(int(state_map), int(ring)))
        run(prog, 100)
        assert len(reader.read_batch()) == 100
        run(prog, 100)  # positions 2400..4800: wraps at 4096
        offset = reader.consumer_position & 4095
        assert offset + reader.pending() > 4096
        batch = reader.read_batch()
    assert batch.record_size == EVENT.size and len(batch) == 100
    assert list(batch.unpack(EVENT)) == expected_events(range(100, 200))


@pytest.mark.kernel
def test_records_of_mixed_lengths_crossing_the_end_of_the_ring(producers: pybpf.Object) -> None:
    # Each cycle of 4 records takes 16 + 16 + 24 + 24 = 80 bytes of the 64 KiB ring.
    mixed = producers.programs["mixed"]
    with producers.maps["events"].ring_buffer() as reader:
        mixed.test_run(data=PACKET, repeat=3000)
        drain(reader)
        assert reader.consumer_position == 60000
        mixed.test_run(data=PACKET, repeat=1000)
        batches = drain(reader)
    records = [record for batch in batches for record in batch.records()]
    full = [struct.pack("=QQ", seq, seq ^ MAGIC) for seq in range(3000, 4000)]
    assert records == [record[: 4 + (seq & 3) * 4] for seq, record in zip(range(3000, 4000), full, strict=True)]


@pytest.mark.kernel
def test_max_records_bounds_a_batch_and_the_rest_stays_in_the_ring(
    producer: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 50)
        sizes = [len(reader.read_batch(10)), len(reader.read_batch(25)), len(reader.read_batch(100))]
        assert reader.stats.received == 50
        assert len(reader.read_batch(1)) == 0
        with pytest.raises(EventsError, match="at least 1"):
            reader.read_batch(0)
    assert sizes == [10, 25, 15]


@pytest.mark.kernel
def test_records_already_polled_come_first_then_the_ring(producer: kernel.FD, ringbuf_map: kernel.FD) -> None:
    with RingBuffer(ringbuf_map) as reader:
        run(producer, 5)
        first = reader.read(timeout=1)  # drains all 5 into the reader's queue
        run(producer, 5)
        queued = reader.read_batch()
        fresh = reader.read_batch()
        assert reader.stats.received == 10
    assert decode_event(first)[0] == 0
    assert [seq for seq, _ in queued.unpack(EVENT)] == [1, 2, 3, 4]
    assert [seq for seq, _ in fresh.unpack(EVENT)] == [5, 6, 7, 8, 9]


@pytest.mark.kernel
def test_read_batch_after_decoded_records_were_polled_refuses(producer: kernel.FD, ringbuf_map: kernel.FD) -> None:
    with RingBuffer(ringbuf_map, decoder=decode_event) as reader:
        run(producer, 3)
        assert reader.read(timeout=1) == (0, MAGIC)
        with pytest.raises(EventsError, match="decoded records"):
            reader.read_batch()


@pytest.mark.kernel
def test_read_batch_waits_for_a_first_record_only_when_asked(producer: kernel.FD, ringbuf_map: kernel.FD) -> None:
    with RingBuffer(ringbuf_map) as reader:
        started = time.monotonic()
        assert len(reader.read_batch()) == 0
        assert len(reader.read_batch(timeout=0.05)) == 0
        assert time.monotonic() - started >= 0.05
        threading.Timer(0.05, lambda: run(producer, 2)).start()
        got = len(reader.read_batch(timeout=5))  # woken by the first record; the second may follow
        time.sleep(0.05)
        assert got + len(reader.read_batch()) == 2 and got >= 1
    with pytest.raises(ReaderClosed):
        reader.read_batch()


@pytest.mark.kernel
def test_a_batch_outlives_its_reader_and_readers_leave_no_fds(producer: kernel.FD, ringbuf_map: kernel.FD) -> None:
    gc.collect()  # fds of earlier tests' objects must not close during this one
    before = set(os.listdir("/proc/self/fd"))
    kept = []
    for _ in range(20):
        run(producer, 3)
        with RingBuffer(ringbuf_map) as reader:
            batch = reader.read_batch()
            kept.append((batch, batch[0], batch.column(0, "Q")))
    assert set(os.listdir("/proc/self/fd")) - before == set()
    assert [seq for batch, _, _ in kept for (seq, _) in batch.unpack(EVENT)] == list(range(60))
    assert [decode_event(bytes(view))[0] for _, view, _ in kept] == list(range(0, 60, 3))
    assert [list(column) for _, _, column in kept][-1] == [57, 58, 59]


@pytest.mark.kernel
def test_batches_taken_while_the_producer_runs_hold_every_record_once_and_whole(
    state_map: kernel.FD, ringbuf_map: kernel.FD
) -> None:
    prog = load_xdp(ringbuf_output_producer(int(state_map), int(ringbuf_map)))
    seqs: list[int] = []
    torn = 0
    with RingBuffer(ringbuf_map) as reader:
        worker = threading.Thread(target=lambda: run(prog, 200_000))
        worker.start()
        while True:
            alive = worker.is_alive()
            while batch := reader.read_batch():
                for seq, check in batch.unpack(EVENT):
                    seqs.append(seq)
                    torn += check != seq ^ MAGIC
            if not alive:
                break
        worker.join()
    sent, refused = state(state_map)
    assert torn == 0
    assert len(seqs) + refused == sent == 200_000
    assert seqs == sorted(set(seqs))  # in order, none twice
    assert reader.stats.received == len(seqs)


# -- batches without a kernel -----------------------------------------------------------------
def test_from_records_lays_out_a_uniform_batch_as_the_ring_does() -> None:
    records = [EVENT.pack(seq, seq ^ MAGIC) for seq in range(4)]
    batch = RecordBatch.from_records(records)
    assert (len(batch), batch.record_size, batch.stride, len(batch.buffer)) == (4, 16, 24, 96)
    assert list(batch.offsets) == [8, 32, 56, 80]
    assert HEADER.unpack_from(batch.buffer, 24) == (16, 0)
    assert bytes(batch[-1]) == records[3] and bytes(batch[0]) == records[0]
    with pytest.raises(IndexError):
        batch[4]
    assert list(batch.unpack(EVENT)) == expected_events(range(4))
    assert list(batch.column(0, "Q")) == [0, 1, 2, 3]


def test_unpack_pads_native_alignment_within_the_stride() -> None:
    records = [struct.pack("@IQ", seq, seq * 7) + b"\xff" * 4 for seq in range(3)]  # 20 bytes: stride 32
    batch = RecordBatch.from_records(records)
    assert batch.stride == 32
    assert list(batch.unpack("@IQ")) == [(seq, seq * 7) for seq in range(3)]
    assert list(batch.unpack(struct.Struct("<I"))) == [(0,), (1,), (2,)]
    with pytest.raises(EventsError, match="needs 24 bytes"):
        batch.unpack("=QQQ")


def test_column_refuses_what_a_strided_view_cannot_be() -> None:
    batch = RecordBatch.from_records([bytes(12)] * 3)  # stride 24
    with pytest.raises(EventsError, match="outside"):
        batch.column(8, "Q")
    with pytest.raises(EventsError, match="single native"):
        batch.column(0, "QQ")
    assert list(batch.column(8, "I")) == [0, 0, 0]
    odd = RecordBatch.from_records([bytes(9)] * 2)  # stride 24: a 16-bit field strides fine
    assert len(odd.column(7, "H")) == 2
    assert list(RecordBatch.from_records([]).column(0, "Q")) == []


def test_a_mixed_batch_gives_each_record_its_own_length() -> None:
    records = [b"a" * 5, b"bb" * 8, b"", b"c" * 9]
    batch = RecordBatch.from_records(records, decoder=bytes.upper)
    assert batch.record_size is None and batch.stride is None
    assert [bytes(view) for view in batch] == records
    assert batch.decode() == [record.upper() for record in records]
    assert batch.lengths == [5, 16, 0, 9]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=30))
def test_from_records_round_trips_any_records(records: list[bytes]) -> None:
    batch = RecordBatch.from_records(records)
    assert len(batch) == len(records)
    assert [bytes(view) for view in batch] == records == batch.records()
    assert [bytes(batch[i]) for i in range(len(records))] == records
    assert len(batch.buffer) == sum(record_span(len(record)) for record in records)
    for at, record in zip(batch.offsets, records, strict=True):
        assert HEADER.unpack_from(batch.buffer, at - 8)[0] == len(record)
