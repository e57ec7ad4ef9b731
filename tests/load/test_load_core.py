"""CO-RE relocations are resolved against the running kernel's BTF or a target BTF given to load()."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import pybpf.runtime
from pybpf.btf import BTF, Int, IntEncoding, Member, Struct
from pybpf.btf.encode import build
from pybpf.runtime import ProgramVerifierError
from pybpf.spec import ObjectSpec

pytestmark = pytest.mark.kernel

PACKET = bytes(64)


def _results(path: Path, btf: BTF | None = None) -> dict[str, int]:
    with pybpf.runtime.load(path, btf=btf) as obj:
        return {name: prog.test_run(PACKET).retval for name, prog in obj.programs.items()}


def _toy_kernel_btf() -> BTF:
    """A 'kernel' whose task_struct is 24 bytes with pid at offset 8."""
    int_t = Int(id=1, name="int", size=4, encoding=IntEncoding.SIGNED, bit_offset=0, bits=32)
    task = Struct(
        id=2,
        name="task_struct",
        size=24,
        members=(Member(name="state", type_id=1, bit_offset=0), Member(name="pid", type_id=1, bit_offset=64)),
    )
    return build([int_t, task])


def test_field_offset_is_the_running_kernels(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    vmlinux = BTF.vmlinux()
    expected = vmlinux.field(vmlinux.find_id("task_struct"), "pid").bit_offset // 8
    assert _results(build_object("core"))["pid_offset"] == expected


def test_type_size_is_the_running_kernels(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    vmlinux = BTF.vmlinux()
    assert _results(build_object("core"))["task_size"] == vmlinux.size_of(vmlinux.find_id("task_struct"))


def test_field_the_kernel_lacks_does_not_exist(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    assert _results(build_object("core"))["missing_field_exists"] == 0


def test_given_target_btf_replaces_the_running_kernels(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    results = _results(build_object("core"), btf=_toy_kernel_btf())
    assert (results["pid_offset"], results["task_size"]) == (8, 24)


def test_core_leaves_the_spec_instructions_unchanged(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    spec = ObjectSpec.from_file(build_object("core"))
    before = [list(p.instructions) for p in spec.programs.values()]
    with pybpf.runtime.load(spec, btf=_toy_kernel_btf()):
        pass
    assert [p.instructions for p in spec.programs.values()] == before


def test_unsatisfiable_relocation_reaching_the_verifier_is_explained(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    with pytest.raises(ProgramVerifierError) as caught:
        pybpf.runtime.load(build_object("core_bad"))
    explanation = caught.value.core_explanation
    assert explanation is not None
    assert "no_such_field_in_any_kernel" in explanation
