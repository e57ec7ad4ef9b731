"""Pure-data behaviour of the spec classes, without any ELF file."""

from __future__ import annotations

import pytest

from pybpf.enums import MapType, ProgramType
from pybpf.isa import Instruction
from pybpf.spec import (
    GlobalValueError,
    MapOrigin,
    MapSpec,
    ObjectSpec,
    ProgramSpec,
    Relocation,
    RelocationKind,
    Variable,
)

LDDW = Instruction(0x18, dst=1, imm=0)
EXIT = Instruction(0x95)


def program() -> ProgramSpec:
    return ProgramSpec(
        "p",
        "xdp",
        ProgramType.XDP,
        instructions=[LDDW, Instruction(0xB7), EXIT],
        relocations={0: Relocation(RelocationKind.MAP, "m")},
    )


def test_slots_count_lddw_as_two() -> None:
    prog = program()
    assert prog.slots() == [0, 2, 3] and prog.slot_count == 4


def test_bytecode_is_the_encoded_instructions() -> None:
    assert len(program().bytecode()) == 32


def test_program_copy_is_independent() -> None:
    prog = program()
    copy = prog.copy()
    copy.instructions.append(EXIT)
    copy.relocations.clear()
    assert prog.slot_count == 4 and prog.relocations


def test_map_copy_copies_inner_and_slots() -> None:
    inner = MapSpec("inner", MapType.ARRAY, 4, 4, 1)
    outer = MapSpec("outer", MapType.ARRAY_OF_MAPS, 4, 4, 2, inner=inner, slots={0: "inner"})
    copy = outer.copy()
    assert copy.inner is not None
    copy.inner.max_entries = 9
    copy.slots[1] = "x"
    assert inner.max_entries == 1 and outer.slots == {0: "inner"}


@pytest.mark.parametrize(
    ("reloc", "text"),
    [
        (Relocation(RelocationKind.MAP, "events"), "map:events"),
        (Relocation(RelocationKind.MAP_VALUE, ".rodata", offset=16), "map_value:.rodata+0x10"),
        (Relocation(RelocationKind.KFUNC, "bpf_task_acquire"), "kfunc:bpf_task_acquire"),
    ],
)
def test_relocations_print_kind_target_and_offset(reloc: Relocation, text: str) -> None:
    assert str(reloc) == text


def spec_with_raw_global() -> ObjectSpec:
    data = MapSpec(
        ".data",
        MapType.ARRAY,
        4,
        8,
        1,
        data=bytes(8),
        origin=MapOrigin.GLOBAL_DATA,
        section=".data",
        variables={"x": Variable("x", 4, 4)},
    )
    return ObjectSpec(maps={".data": data})


def test_without_btf_globals_are_raw_bytes() -> None:
    spec = spec_with_raw_global()
    spec.data["x"] = b"\x01\x02\x03\x04"
    assert spec.data["x"] == b"\x01\x02\x03\x04"
    assert spec.maps[".data"].data == bytes(4) + b"\x01\x02\x03\x04"


def test_without_btf_typed_values_are_refused() -> None:
    with pytest.raises(GlobalValueError, match="raw bytes"):
        spec_with_raw_global().data["x"] = 5


def test_global_variables_cannot_be_deleted() -> None:
    from pybpf.errors import Error

    with pytest.raises(Error, match="cannot be deleted"):
        del spec_with_raw_global().data["x"]
