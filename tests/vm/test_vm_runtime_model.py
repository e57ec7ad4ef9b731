"""The VM's Object, Program and Map are the kernel runtime's model over VM storage."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from runtime_support import runtime_spec

from pybpf.errors import NotSupported
from pybpf.kernel.errors import PermissionDenied
from pybpf.runtime import Map as KernelMap
from pybpf.runtime import Object as KernelObject
from pybpf.runtime import Program as KernelProgram
from pybpf.runtime.model import MapBase, ObjectBase, ProgramBase
from pybpf.vm.maps import Map as VMMap
from pybpf.vm.objects import Object
from pybpf.vm.program import Program as VMProgram
from pybpf.vm.runtime import load

pytestmark = pytest.mark.tool


@pytest.fixture
def obj() -> Object:
    spec = runtime_spec()
    spec.maps["jumps"].slots = {0: "xdp_tail_target"}
    return load(spec)


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (KernelProgram, ProgramBase),
        (VMProgram, ProgramBase),
        (KernelMap, MapBase),
        (VMMap, MapBase),
        (KernelObject, ObjectBase),
        (Object, ObjectBase),
    ],
)
def test_both_runtimes_build_on_the_same_model(cls: type, base: type) -> None:
    assert issubclass(cls, base)


def test_attaching_a_vm_object_is_refused_as_needing_the_kernel(obj: Object) -> None:
    with pytest.raises(NotSupported, match="attaching needs the kernel"):
        obj.attach_all()


def test_a_frozen_vm_map_refuses_a_write_before_looking_at_the_value(obj: Object) -> None:
    with pytest.raises(PermissionDenied, match="frozen"):
        obj.maps[".rodata"][0] = b"not even the right size"


@pytest.mark.parametrize(
    ("pick", "label"),
    [
        (lambda o: o, "<VM Object "),
        (lambda o: o.programs["xdp_lengths"], "<VM Program 'xdp_lengths' xdp "),
        (lambda o: o.maps["lengths"], "<VM Map 'lengths' hash "),
    ],
)
def test_vm_reprs_say_they_are_the_vms(obj: Object, pick: Callable[[Object], object], label: str) -> None:
    assert repr(pick(obj)).startswith(label)


def test_with_on_a_vm_program_gives_it_back_and_unregisters_it_on_leaving(obj: Object) -> None:
    program = obj.programs["xdp_lengths"]
    with program as entered:
        assert entered is program
        assert obj.host.programs[program.id] is program
    assert program.id not in obj.host.programs


def test_leaving_with_on_a_vm_object_closes_it(obj: Object) -> None:
    with obj as entered:
        assert entered is obj
    assert obj.closed
