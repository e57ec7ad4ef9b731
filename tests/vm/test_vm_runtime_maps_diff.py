"""Differential: the same operations on kernel maps and VM maps give the same results, the
same exception classes and (where the kernel's order is defined) the same iteration order."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.enums import MapFlags, MapType
from pybpf.spec import MapSpec, ObjectSpec
from pybpf.vm.runtime import load as vm_load
from testlib import require_kernel_feature

pytestmark = pytest.mark.kernel

MAPS = {
    "hash": MapSpec("hash", MapType.HASH, 4, 4, 4),
    "array": MapSpec("array", MapType.ARRAY, 4, 4, 4),
    "queue": MapSpec("queue", MapType.QUEUE, 0, 4, 3),
    "stack": MapSpec("stack", MapType.STACK, 0, 4, 3),
    "lpm": MapSpec("lpm", MapType.LPM_TRIE, 8, 4, 8, flags=MapFlags.NO_PREALLOC),
}


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[Any, Any]]:
    require_kernel_feature(os.geteuid() == 0, "creating maps needs root")
    from pybpf.runtime import load as kernel_load

    spec = ObjectSpec(maps={name: m.copy() for name, m in MAPS.items()})
    try:
        kernel = kernel_load(spec)
    except Exception as exc:  # any refusal means this machine cannot run the comparison
        require_kernel_feature(False, f"the kernel runtime could not create the maps: {exc}")
        raise
    yield kernel, vm_load(spec)
    kernel.close()


def _outcome(action: Callable[[], object]) -> tuple[str, object]:
    try:
        return ("ok", action())
    except Exception as exc:
        return ("error", type(exc).__name__)


def _clear(kernel: Any, vm: Any, name: str) -> None:
    for obj in (kernel, vm):
        m = obj.maps[name]
        if name in ("queue", "stack"):
            while _outcome(m.pop)[0] == "ok":
                pass
        elif name == "array":
            for index in range(4):
                m[index] = 0
        else:
            for key in list(m):
                del m[key]


def _keyed(m: Any, op: str, key: int, value: int) -> Callable[[], object]:
    return {
        "set": partial(m.update, key, value),
        "noexist": partial(m.update, key, value, 1),
        "exist": partial(m.update, key, value, 2),
        "get": partial(m.__getitem__, key),
        "del": partial(m.__delitem__, key),
    }[op]


def _queued(m: Any, op: str, value: int) -> Callable[[], object]:
    return {"push": partial(m.push, value), "force": partial(m.push, value, 2), "pop": m.pop, "peek": m.peek}[
        op
    ]


KEYED = st.tuples(
    st.sampled_from(["set", "noexist", "exist", "get", "del"]), st.integers(0, 5), st.integers(0, 9)
)


@pytest.mark.parametrize("name", ["hash", "array"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(KEYED, max_size=14))
def test_keyed_maps_agree_with_the_kernel(
    both: tuple[Any, Any], name: str, ops: list[tuple[str, int, int]]
) -> None:
    kernel, vm = both
    _clear(kernel, vm, name)
    for op, key, value in ops:
        results = [_outcome(_keyed(obj.maps[name], op, key, value)) for obj in (kernel, vm)]
        assert results[1] == results[0], (op, key, value)
    assert sorted(vm.maps[name].items()) == sorted(kernel.maps[name].items())


@pytest.mark.parametrize("name", ["queue", "stack"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=st.lists(st.tuples(st.sampled_from(["push", "force", "pop", "peek"]), st.integers(0, 9)), max_size=12)
)
def test_queues_and_stacks_agree_with_the_kernel(
    both: tuple[Any, Any], name: str, ops: list[tuple[str, int]]
) -> None:
    kernel, vm = both
    _clear(kernel, vm, name)
    for op, value in ops:
        results = [_outcome(_queued(obj.maps[name], op, value)) for obj in (kernel, vm)]
        assert results[1] == results[0], (op, value)


PREFIXES = [
    "10.0.0.0/8",
    "10.1.0.0/16",
    "192.168.0.0/16",
    "10.1.2.0/24",
    "0.0.0.0/0",
    "172.16.0.0/12",
    "10.128.0.0/9",
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=st.lists(st.sampled_from(PREFIXES), unique=True, min_size=1),
    probes=st.lists(st.ip_addresses(v=4), max_size=5),
)
def test_lpm_trie_lookups_and_iteration_order_agree(
    both: tuple[Any, Any], chosen: list[str], probes: list[Any]
) -> None:
    kernel, vm = both
    _clear(kernel, vm, "lpm")
    for obj in (kernel, vm):
        for index, prefix in enumerate(chosen):
            obj.maps["lpm"][prefix] = index
    assert list(vm.maps["lpm"]) == list(kernel.maps["lpm"])
    for address in probes:
        key = (32, str(address))
        assert _outcome(partial(vm.maps["lpm"].__getitem__, key)) == _outcome(
            partial(kernel.maps["lpm"].__getitem__, key)
        )
