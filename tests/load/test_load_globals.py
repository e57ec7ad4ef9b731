"""Global data maps are initialised from the spec, .rodata is frozen, kconfig externs are filled."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from load_testlib import ETH_IPV4, ethernet, ipv4

import pybpf.runtime
from pybpf.kernel import KernelError
from pybpf.kernel.config import kernel_version
from pybpf.spec import ObjectSpec

pytestmark = pytest.mark.kernel

FRAME = ethernet(bytes(6), bytes(6), ETH_IPV4, ipv4(17, bytes(8)))


@pytest.fixture
def globals_spec(bpf_ok: None, build_object: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(build_object("globals"))


def test_kconfig_externs_hold_the_running_kernels_values(globals_spec: ObjectSpec) -> None:
    with pybpf.runtime.load(globals_spec) as obj:
        obj.programs["record"].test_run(FRAME)
        result = obj.maps[".bss"][0].result
    assert result.version == kernel_version(os.uname().release)
    assert result.bpf_syscall == 1


def test_missing_weak_kconfig_extern_reads_as_zero(globals_spec: ObjectSpec) -> None:
    with pybpf.runtime.load(globals_spec) as obj:
        obj.programs["record"].test_run(FRAME)
        assert obj.maps[".bss"][0].result.missing == 0


def test_rodata_set_in_the_spec_is_what_the_program_sees(globals_spec: ObjectSpec) -> None:
    globals_spec.rodata["scale"] = 3
    globals_spec.rodata["greeting"] = "Yo"
    with pybpf.runtime.load(globals_spec) as obj:
        result = obj.programs["record"].test_run(FRAME)
        assert result.retval == ord("Y")
        # A socket filter sees skb->len without the Ethernet header the test run pulls off.
        assert obj.maps[".bss"][0].result.scaled == 3 * (len(FRAME) - 14)


def test_rodata_map_reads_back_the_configured_values(globals_spec: ObjectSpec) -> None:
    globals_spec.rodata["scale"] = 12
    with pybpf.runtime.load(globals_spec) as obj:
        rodata = obj.maps[".rodata"][0]
        assert (rodata.scale, rodata.greeting.rstrip(b"\0")) == (12, b"hi")


def test_rodata_map_is_frozen_against_user_space_writes(globals_spec: ObjectSpec) -> None:
    with pybpf.runtime.load(globals_spec) as obj:
        rodata = obj.maps[".rodata"]
        with pytest.raises(KernelError):
            rodata[0] = bytes(rodata.value_size)


def test_data_section_starts_from_its_initial_value_and_programs_update_it(globals_spec: ObjectSpec) -> None:
    with pybpf.runtime.load(globals_spec) as obj:
        assert obj.maps[".data"][0].calls == 5
        obj.programs["record"].test_run(FRAME)
        assert obj.maps[".data"][0].calls == 6
        assert obj.maps[".bss"][0].result.calls_seen == 6


def test_global_data_maps_are_mmapable(globals_spec: ObjectSpec) -> None:
    with pybpf.runtime.load(globals_spec) as obj:
        for name in (".data", ".bss", ".rodata"):
            assert obj.maps[name].info.map_flags & 0x400, name


def test_loading_leaves_the_spec_unchanged(globals_spec: ObjectSpec) -> None:
    before = globals_spec.copy()
    with pybpf.runtime.load(globals_spec):
        pass
    assert globals_spec.maps == before.maps
    assert globals_spec.programs == before.programs


def test_the_same_spec_loads_twice_into_independent_objects(globals_spec: ObjectSpec) -> None:
    with pybpf.runtime.load(globals_spec) as first, pybpf.runtime.load(globals_spec) as second:
        first.programs["record"].test_run(FRAME)
        assert (first.maps[".data"][0].calls, second.maps[".data"][0].calls) == (6, 5)
