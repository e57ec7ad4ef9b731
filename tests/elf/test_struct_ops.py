"""``SEC(".struct_ops")`` variables become STRUCT_OPS maps naming their programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.elf import read_object
from pybpf.enums import MapFlags, MapType, ProgramFlags, ProgramType
from pybpf.spec import MapOrigin, ObjectSpec


@pytest.fixture(scope="module")
def spec(objects: dict[str, Path]) -> ObjectSpec:
    return read_object(objects["struct_ops"])


def test_struct_ops_variables_become_struct_ops_maps(spec: ObjectSpec) -> None:
    m = spec.maps["dummy_1"]
    assert (m.type, m.key_size, m.value_size, m.max_entries, m.origin) == (
        MapType.STRUCT_OPS,
        4,
        24,
        1,
        MapOrigin.STRUCT_OPS,
    )


def test_struct_ops_map_value_type_is_the_struct(spec: ObjectSpec) -> None:
    assert spec.btf is not None and spec.btf[spec.maps["dummy_1"].value_type_id].name == "bpf_dummy_ops"


def test_function_pointers_name_their_programs(spec: ObjectSpec) -> None:
    assert spec.maps["dummy_1"].functions == {"test_1": "test_1"}
    assert spec.maps["dummy_2"].functions == {"test_2": "test_2"}


def test_initial_struct_bytes_are_kept(spec: ObjectSpec) -> None:
    data = spec.maps["dummy_1"].data
    assert data is not None and data[16:20] == (3).to_bytes(4, "little")


def test_link_section_sets_the_link_flag(spec: ObjectSpec) -> None:
    assert spec.maps["dummy_2"].flags & MapFlags.LINK and not spec.maps["dummy_1"].flags & MapFlags.LINK


def test_struct_ops_programs_have_the_struct_ops_type(spec: ObjectSpec) -> None:
    assert spec.programs["test_1"].type is ProgramType.STRUCT_OPS
    assert spec.programs["test_2"].flags == ProgramFlags.SLEEPABLE
