"""CO-RE against the running kernel: a minimal local task_struct relocated to vmlinux's."""

from __future__ import annotations

import linecache
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from core_testlib import DATA

from pybpf.btf import BTF, Kind
from pybpf.btf.core import find_candidates, relocate
from pybpf.btf.core.candidates import name_index
from pybpf.btf.ext import CoreReloKind
from pybpf.isa import encode
from pybpf.kernel import prog_load, prog_test_run
from pybpf.spec import ObjectSpec

RAW_TRACEPOINT = 17


@pytest.fixture(scope="module")
def vmlinux(vmlinux_btf_path: Path) -> BTF:
    return BTF.vmlinux()


@pytest.fixture(scope="module")
def task_object(build_source: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(build_source("task"))


@pytest.mark.parametrize(
    ("program", "paths"), [("parent_tgid", ["real_parent", "tgid"]), ("own_pid", ["pid"])]
)
def test_task_struct_offsets_are_the_ones_in_vmlinux_btf(
    vmlinux: BTF, task_object: ObjectSpec, program: str, paths: list[str]
) -> None:
    prog = task_object.programs[program]
    assert task_object.btf is not None
    _insns, results = relocate(prog.instructions, prog.core_relocations, task_object.btf, vmlinux)
    task = vmlinux.find_id("task_struct", Kind.STRUCT)
    offsets = [r.target_value for r in results if r.kind == CoreReloKind.FIELD_BYTE_OFFSET]
    assert offsets == [vmlinux.field(task, path).byte_offset for path in paths]
    assert {r.target_type_id for r in results} == {task}


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("program", "expected"), [("parent_tgid", os.getppid), ("own_pid", threading.get_native_id)]
)
def test_relocated_task_reads_return_this_process_ids(
    vmlinux: BTF, task_object: ObjectSpec, kernel_bpf: None, program: str, expected: Callable[[], int]
) -> None:
    assert _run_raw_tp(task_object, program, vmlinux) == expected()


@pytest.mark.kernel
def test_relocated_kernel_facts_pass_their_checks(
    vmlinux: BTF, task_object: ObjectSpec, kernel_bpf: None
) -> None:
    line = _run_raw_tp(task_object, "kernel_facts", vmlinux)
    assert line == 0, f"task.bpf.c:{line}: {linecache.getline(str(DATA / 'task.bpf.c'), line).strip()}"


@pytest.mark.kernel
def test_kernel_type_id_is_the_vmlinux_id(vmlinux: BTF, task_object: ObjectSpec, kernel_bpf: None) -> None:
    assert _run_raw_tp(task_object, "task_type_id", vmlinux) == vmlinux.find_id("task_struct", Kind.STRUCT)


def _run_raw_tp(spec: ObjectSpec, program: str, vmlinux: BTF) -> int:
    prog = spec.programs[program]
    assert spec.btf is not None
    insns, _results = relocate(prog.instructions, prog.core_relocations, spec.btf, vmlinux)
    with prog_load(RAW_TRACEPOINT, encode(insns), "GPL") as fd:
        return prog_test_run(fd, data_out_size=0, repeat=0).retval


def test_flavoured_local_name_finds_the_kernel_type(vmlinux: BTF) -> None:
    from pybpf.btf.encode import build
    from pybpf.btf.types import Int, Member, Struct

    local = build([Int(1, "int", 4), Struct(2, "task_struct___mine", 4, (Member("pid", 1, 0),))])
    candidates = find_candidates(local, 2, [vmlinux])
    assert [c.type_id for c in candidates] == [vmlinux.find_id("task_struct", Kind.STRUCT)]


def test_candidate_index_is_shared_per_target_btf(vmlinux: BTF) -> None:
    assert name_index(vmlinux) is name_index(vmlinux)
