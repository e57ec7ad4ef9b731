"""Map commands against the running kernel: every standalone map type, CRUD, errors, batches."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
from kernel_testlib import MAP_ARRAY, MAP_HASH

from pybpf import kernel
from pybpf.kernel import UpdateFlags

pytestmark = pytest.mark.kernel

U32 = struct.Struct("=I")
U64 = struct.Struct("=Q")
NCPU = kernel.possible_cpus()

# name, map type, key size, value size, max entries, flags, map_extra
STANDALONE_MAPS = [
    ("hash", 1, 4, 8, 16, 0, 0),
    ("array", 2, 4, 8, 16, 0, 0),
    ("prog_array", 3, 4, 4, 4, 0, 0),
    ("perf_event_array", 4, 4, 4, NCPU, 0, 0),
    ("percpu_hash", 5, 4, 8, 16, 0, 0),
    ("percpu_array", 6, 4, 8, 16, 0, 0),
    ("stack_trace", 7, 4, 8 * 127, 16, 0, 0),
    ("cgroup_array", 8, 4, 4, 4, 0, 0),
    ("lru_hash", 9, 4, 8, 16, 0, 0),
    ("lru_percpu_hash", 10, 4, 8, 16, 0, 0),
    ("lpm_trie", 11, 8, 8, 16, kernel.MapCreateFlags.NO_PREALLOC, 0),
    ("devmap", 14, 4, 4, 4, 0, 0),
    ("sockmap", 15, 4, 4, 4, 0, 0),
    ("cpumap", 16, 4, 4, 4, 0, 0),
    ("xskmap", 17, 4, 4, 4, 0, 0),
    ("sockhash", 18, 4, 4, 4, 0, 0),
    ("reuseport_sockarray", 20, 4, 4, 4, 0, 0),
    ("queue", 22, 0, 8, 16, 0, 0),
    ("stack", 23, 0, 8, 16, 0, 0),
    ("devmap_hash", 25, 4, 4, 4, 0, 0),
    ("ringbuf", 27, 0, 0, 4096 * 4, 0, 0),
    ("bloom_filter", 30, 0, 8, 16, 0, 3),
    ("user_ringbuf", 31, 0, 0, 4096 * 4, 0, 0),
]


@pytest.mark.parametrize(
    ("map_type", "key_size", "value_size", "max_entries", "flags", "extra"),
    [pytest.param(*row[1:], id=row[0]) for row in STANDALONE_MAPS],
)
def test_standalone_map_type_is_created_with_the_requested_definition(
    bpf_ok: None, map_type: int, key_size: int, value_size: int, max_entries: int, flags: int, extra: int
) -> None:
    with kernel.map_create(map_type, key_size, value_size, max_entries, flags, "t", map_extra=extra) as fd:
        info = kernel.map_info(fd)
    assert (info.type, info.key_size, info.value_size, info.max_entries, info.name) == (
        map_type,
        key_size,
        value_size,
        max_entries,
        "t",
    )


@pytest.mark.parametrize(
    "outer_type", [pytest.param(12, id="array_of_maps"), pytest.param(13, id="hash_of_maps")]
)
def test_map_of_maps_holds_an_inner_map_by_fd_and_returns_its_id(bpf_ok: None, outer_type: int) -> None:
    with (
        kernel.map_create(MAP_ARRAY, 4, 4, 1) as inner,
        kernel.map_create(outer_type, 4, 4, 2, inner_map_fd=inner) as outer,
    ):
        kernel.map_update(outer, U32.pack(1), U32.pack(int(inner)))
        inner_id = U32.unpack(kernel.map_lookup(outer, U32.pack(1), 4))[0]
        assert inner_id == kernel.map_info(inner).id


def test_lookup_returns_the_value_that_was_updated(hash_map: kernel.FD) -> None:
    kernel.map_update(hash_map, U32.pack(7), U64.pack(1234))
    assert kernel.map_lookup(hash_map, U32.pack(7), 8) == U64.pack(1234)


def test_lookup_of_missing_key_raises_key_not_found_which_is_a_key_error(hash_map: kernel.FD) -> None:
    with pytest.raises(KeyError) as caught:
        kernel.map_lookup(hash_map, U32.pack(99), 8)
    assert isinstance(caught.value, kernel.KeyNotFound)
    assert caught.value.command == "BPF_MAP_LOOKUP_ELEM"


def test_delete_of_missing_key_raises_key_not_found(hash_map: kernel.FD) -> None:
    with pytest.raises(kernel.KeyNotFound):
        kernel.map_delete(hash_map, U32.pack(99))


def test_delete_removes_the_key(hash_map: kernel.FD) -> None:
    kernel.map_update(hash_map, U32.pack(1), U64.pack(1))
    kernel.map_delete(hash_map, U32.pack(1))
    with pytest.raises(kernel.KeyNotFound):
        kernel.map_lookup(hash_map, U32.pack(1), 8)


def test_update_with_noexist_of_present_key_raises_key_exists(hash_map: kernel.FD) -> None:
    kernel.map_update(hash_map, U32.pack(1), U64.pack(1))
    with pytest.raises(kernel.KeyExists):
        kernel.map_update(hash_map, U32.pack(1), U64.pack(2), UpdateFlags.NOEXIST)


def test_update_with_exist_of_missing_key_raises_key_not_found(hash_map: kernel.FD) -> None:
    with pytest.raises(kernel.KeyNotFound):
        kernel.map_update(hash_map, U32.pack(1), U64.pack(2), UpdateFlags.EXIST)


def test_update_of_a_full_hash_map_raises_map_full(hash_map: kernel.FD) -> None:
    for key in range(8):
        kernel.map_update(hash_map, U32.pack(key), U64.pack(key))
    with pytest.raises(kernel.MapFull):
        kernel.map_update(hash_map, U32.pack(8), U64.pack(8))


def test_delete_from_an_array_raises_invalid_argument(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 8, 4) as fd, pytest.raises(kernel.InvalidArgument):
        kernel.map_delete(fd, U32.pack(0))


def test_get_next_key_walks_every_key_once(hash_map: kernel.FD) -> None:
    for key in (3, 1, 4):
        kernel.map_update(hash_map, U32.pack(key), U64.pack(key))
    assert sorted(U32.unpack(k)[0] for k in kernel.map_keys(hash_map, 4)) == [1, 3, 4]


def test_get_next_key_of_an_empty_map_is_none(hash_map: kernel.FD) -> None:
    assert kernel.map_get_next_key(hash_map, None, 4) is None


def test_lookup_and_delete_pops_a_hash_element(hash_map: kernel.FD) -> None:
    kernel.map_update(hash_map, U32.pack(5), U64.pack(55))
    assert kernel.map_lookup_and_delete(hash_map, U32.pack(5), 8) == U64.pack(55)
    with pytest.raises(kernel.KeyNotFound):
        kernel.map_lookup(hash_map, U32.pack(5), 8)


@pytest.mark.parametrize(("map_type", "expected"), [(22, [1, 2, 3]), (23, [3, 2, 1])], ids=["queue", "stack"])
def test_queue_and_stack_pop_in_their_order(bpf_ok: None, map_type: int, expected: list[int]) -> None:
    with kernel.map_create(map_type, 0, 8, 8) as fd:
        for value in (1, 2, 3):
            kernel.map_update(fd, None, U64.pack(value))
        popped = [U64.unpack(kernel.map_lookup_and_delete(fd, None, 8))[0] for _ in range(3)]
        assert popped == expected
        with pytest.raises(kernel.KeyNotFound):
            kernel.map_lookup_and_delete(fd, None, 8)


@pytest.mark.parametrize(("probe", "expected"), [(42, True), (43, False)])
def test_bloom_filter_answers_membership_of_a_value(bpf_ok: None, probe: int, expected: bool) -> None:
    # ZERO_SEED makes the hashing, and so the (absent) false positive, deterministic.
    with kernel.map_create(30, 0, 8, 1024, kernel.MapCreateFlags.ZERO_SEED, map_extra=3) as fd:
        kernel.map_update(fd, None, U64.pack(42))
        assert kernel.map_contains_value(fd, U64.pack(probe)) is expected


def test_percpu_array_value_has_one_slot_per_possible_cpu(bpf_ok: None) -> None:
    with kernel.map_create(6, 4, 4, 1) as fd:
        size = kernel.percpu_value_size(4)
        slots = b"".join(U64.pack(cpu) for cpu in range(NCPU))
        kernel.map_update(fd, U32.pack(0), slots)
        raw = kernel.map_lookup(fd, U32.pack(0), size)
    assert [U32.unpack(s)[0] for s in kernel.split_percpu(raw, 4)] == list(range(NCPU))


def test_lpm_trie_lookup_finds_the_longest_prefix(bpf_ok: None) -> None:
    key = struct.Struct("=I4s")  # prefixlen, IPv4 address
    with kernel.map_create(11, 8, 8, 16, kernel.MapCreateFlags.NO_PREALLOC) as fd:
        kernel.map_update(fd, key.pack(8, bytes([10, 0, 0, 0])), U64.pack(8))
        kernel.map_update(fd, key.pack(24, bytes([10, 1, 2, 0])), U64.pack(24))
        assert kernel.map_lookup(fd, key.pack(32, bytes([10, 1, 2, 3])), 8) == U64.pack(24)
        assert kernel.map_lookup(fd, key.pack(32, bytes([10, 9, 9, 9])), 8) == U64.pack(8)


def test_frozen_map_refuses_updates_from_user_space(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as fd:
        kernel.map_freeze(fd)
        with pytest.raises(kernel.PermissionDenied, match="frozen"):
            kernel.map_update(fd, U32.pack(0), U32.pack(1))
        assert kernel.map_lookup(fd, U32.pack(0), 4) == U32.pack(0)


def test_unknown_map_type_raises_not_supported_by_kernel_naming_it(bpf_ok: None) -> None:
    with pytest.raises(kernel.NotSupportedByKernel, match="map type 250") as caught:
        kernel.map_create(250, 4, 4, 1)
    assert caught.value.feature == "map type 250"


def test_non_zero_bytes_past_the_kernels_attr_raise_not_supported_by_kernel(bpf_ok: None) -> None:
    import ctypes

    from pybpf.kernel.attrs import MapCreateAttr
    from pybpf.kernel.syscall import Cmd, bpf

    attr = ctypes.create_string_buffer(4096)
    definition = bytes(MapCreateAttr(MAP_ARRAY, 4, 4, 1))
    ctypes.memmove(attr, definition, len(definition))
    attr[4000] = b"x"
    with pytest.raises(kernel.NotSupportedByKernel, match="does not know a field"):
        bpf(Cmd.MAP_CREATE, attr)


def test_invalid_definition_raises_invalid_argument(bpf_ok: None) -> None:
    with pytest.raises(kernel.InvalidArgument, match="key 0"):
        kernel.map_create(MAP_HASH, 0, 4, 1)


# --- batches -----------------------------------------------------------------------------------


@pytest.fixture
def big_hash(bpf_ok: None) -> Iterator[kernel.FD]:
    with kernel.map_create(MAP_HASH, 4, 8, 1024) as fd:
        yield fd


def _fill(fd: kernel.FD, n: int) -> dict[bytes, bytes]:
    items = {U32.pack(i): U64.pack(i * 10) for i in range(n)}
    assert kernel.map_update_batch(fd, list(items), list(items.values()), 4, 8) == n
    return items


def test_update_batch_stores_every_element(big_hash: kernel.FD) -> None:
    items = _fill(big_hash, 300)
    assert all(kernel.map_lookup(big_hash, k, 8) == v for k, v in items.items())


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_lookup_batch_chunks_return_every_element_once(big_hash: kernel.FD, chunk: int) -> None:
    items = _fill(big_hash, 300)
    got = dict(kernel.map_items_batched(big_hash, 4, 8, chunk))
    assert got == items


def test_lookup_batch_on_the_last_chunk_reports_the_end(big_hash: kernel.FD) -> None:
    _fill(big_hash, 10)
    result = kernel.map_lookup_batch(big_hash, 4, 8, 100)
    assert (result.count, result.cursor) == (10, None)


def test_lookup_and_delete_batch_empties_the_map(big_hash: kernel.FD) -> None:
    items = _fill(big_hash, 50)
    got: dict[bytes, bytes] = {}
    cursor = None
    while True:
        result = kernel.map_lookup_and_delete_batch(big_hash, 4, 8, 16, cursor)
        got.update(zip(result.keys, result.values, strict=True))
        if result.cursor is None:
            break
        cursor = result.cursor
    assert got == items
    assert kernel.map_get_next_key(big_hash, None, 4) is None


def test_delete_batch_returns_the_count_deleted(big_hash: kernel.FD) -> None:
    _fill(big_hash, 20)
    assert kernel.map_delete_batch(big_hash, [U32.pack(i) for i in range(5)], 4) == 5
    assert len(list(kernel.map_keys(big_hash, 4))) == 15


def test_delete_batch_of_a_missing_key_reports_how_many_went_before(big_hash: kernel.FD) -> None:
    _fill(big_hash, 3)
    with pytest.raises(kernel.KeyNotFound) as caught:
        kernel.map_delete_batch(big_hash, [U32.pack(0), U32.pack(1), U32.pack(77)], 4)
    assert caught.value.processed == 2


def test_array_lookup_batch_returns_every_index(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 8, 10) as fd:
        got = dict(kernel.map_items_batched(fd, 4, 8, 3))
    assert sorted(got) == [U32.pack(i) for i in range(10)]


def test_batch_with_mismatched_key_size_raises_value_error(big_hash: kernel.FD) -> None:
    with pytest.raises(ValueError, match="3 bytes"):
        kernel.map_update_batch(big_hash, [b"abc"], [U64.pack(1)], 4, 8)
