"""Random operation sequences on a kernel hash map agree with a dict model, errors included."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_testlib import MAP_HASH

from pybpf import kernel
from pybpf.kernel import UpdateFlags

pytestmark = pytest.mark.kernel

CAPACITY = 4
KEYS = st.integers(0, 6)
OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("update"),
            KEYS,
            st.integers(0, 2**64 - 1),
            st.sampled_from([UpdateFlags.ANY, UpdateFlags.NOEXIST, UpdateFlags.EXIST]),
        ),
        st.tuples(st.just("delete"), KEYS, st.just(0), st.just(UpdateFlags.ANY)),
        st.tuples(st.just("lookup"), KEYS, st.just(0), st.just(UpdateFlags.ANY)),
        st.tuples(st.just("pop"), KEYS, st.just(0), st.just(UpdateFlags.ANY)),
    ),
    max_size=25,
)


def expected_outcome(model: dict[int, int], op: str, key: int, value: int, flags: int) -> object:
    """What the kernel should do to ``model``; returns the value read or the error class."""
    present = key in model
    if op == "update":
        if flags == UpdateFlags.NOEXIST and present:
            return kernel.KeyExists
        if flags == UpdateFlags.EXIST and not present:
            return kernel.KeyNotFound
        if not present and len(model) >= CAPACITY:
            return kernel.MapFull
        model[key] = value
        return None
    if not present:
        return kernel.KeyNotFound
    if op == "delete":
        del model[key]
        return None
    if op == "pop":
        return model.pop(key)
    return model[key]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_hash_map_behaves_like_a_bounded_dict(bpf_ok: None, ops: list[tuple[str, int, int, int]]) -> None:
    model: dict[int, int] = {}
    with kernel.map_create(MAP_HASH, 4, 8, CAPACITY, kernel.MapCreateFlags.NO_PREALLOC) as fd:
        for op, key, value, flags in ops:
            want = expected_outcome(model, op, key, value, flags)
            k = struct.pack("=I", key)
            try:
                if op == "update":
                    kernel.map_update(fd, k, struct.pack("=Q", value), flags)
                    got: object = None
                elif op == "delete":
                    kernel.map_delete(fd, k)
                    got = None
                elif op == "pop":
                    got = struct.unpack("=Q", kernel.map_lookup_and_delete(fd, k, 8))[0]
                else:
                    got = struct.unpack("=Q", kernel.map_lookup(fd, k, 8))[0]
            except kernel.KernelError as exc:
                got = type(exc)
            assert got == want, (op, key, flags)
        assert {struct.unpack("=I", k)[0] for k in kernel.map_keys(fd, 4)} == set(model)
