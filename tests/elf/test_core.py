"""CO-RE relocation records follow their instructions into the linked program."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.btf.ext import CoreReloKind
from pybpf.elf import read_object
from pybpf.spec import ProgramSpec


@pytest.fixture(scope="module")
def prog(objects: dict[str, Path]) -> ProgramSpec:
    return read_object(objects["core"]).programs["on_fork"]


def test_core_records_of_the_entry_function_keep_their_slots(prog: ProgramSpec) -> None:
    entry = [
        (r.insn, r.kind, r.access) for r in prog.core_relocations if r.insn < prog.subprograms["parent_pid"]
    ]
    assert entry == [(0, CoreReloKind.FIELD_BYTE_OFFSET, "0:1"), (3, CoreReloKind.FIELD_EXISTS, "0:0")]


def test_core_records_of_a_subprogram_move_with_it(prog: ProgramSpec) -> None:
    base = prog.subprograms["parent_pid"]
    moved = [(r.insn - base, r.access) for r in prog.core_relocations if r.insn >= base]
    assert moved == [(0, "0:2"), (1, "0:0")]


def test_core_records_point_at_the_accessed_struct(objects: dict[str, Path], prog: ProgramSpec) -> None:
    btf = read_object(objects["core"]).btf
    assert btf is not None
    assert {btf[r.type_id].name for r in prog.core_relocations} == {"task_struct"}
