"""Userspace maps behave as the kernel's: flags, errors, eviction, iteration order, per-CPU values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vm_builders import map_at, one_program

from pybpf.enums import MapType, ProgramType
from pybpf.errors import Error
from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction
from pybpf.isa.opcodes import AluOp, JmpOp, Size
from pybpf.kernel.errors import InvalidArgument, KeyExists, KeyNotFound, MapFull
from pybpf.runtime import PerCPU
from pybpf.spec import MapOrigin, MapSpec, ObjectSpec, ProgramSpec, Relocation, RelocationKind
from pybpf.vm import VMFault
from pybpf.vm.maps import EXIST, NOEXIST, Map
from pybpf.vm.runtime import load


def one_map(type: MapType, key: int = 4, value: int = 8, entries: int = 4, **options: Any) -> Map:
    spec = ObjectSpec(maps={"m": MapSpec("m", type, key, value, entries)})
    return load(spec, **options).maps["m"]


def test_hash_map_stores_and_returns_values() -> None:
    m = one_map(MapType.HASH)
    m[1] = 10
    assert m[1] == b"\x0a" + bytes(7)


@pytest.mark.parametrize(
    ("present", "flags", "error"),
    [(True, NOEXIST, KeyExists), (False, EXIST, KeyNotFound)],
)
def test_hash_update_flags_raise_the_kernel_errors(present: bool, flags: int, error: type[Exception]) -> None:
    m = one_map(MapType.HASH)
    if present:
        m[1] = 1
    with pytest.raises(error):
        m.update(1, 2, flags)


def test_full_hash_map_refuses_a_new_key_with_map_full() -> None:
    m = one_map(MapType.HASH, entries=2)
    m[1], m[2] = 1, 2
    with pytest.raises(MapFull):
        m[3] = 3


def test_full_hash_map_still_accepts_updates_of_existing_keys() -> None:
    m = one_map(MapType.HASH, entries=1)
    m[1] = 1
    m[1] = 5
    assert int.from_bytes(m[1], "little") == 5


def test_deleting_a_missing_key_raises_key_not_found() -> None:
    with pytest.raises(KeyNotFound):
        del one_map(MapType.HASH)[9]


def test_array_iterates_in_index_order_with_every_index_present() -> None:
    m = one_map(MapType.ARRAY, entries=3)
    m[2] = 7
    assert [int.from_bytes(k, "little") for k in m] == [0, 1, 2]
    assert len(m) == 3


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (lambda m: m.update(0, 1, NOEXIST), KeyExists),
        (lambda m: m.__setitem__(4, 1), MapFull),
        (lambda m: m.__getitem__(4), KeyNotFound),
        (lambda m: m.__delitem__(0), InvalidArgument),
    ],
    ids=["noexist", "update-past-end", "lookup-past-end", "delete"],
)
def test_array_refuses_what_the_kernel_refuses(operation, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        operation(one_map(MapType.ARRAY))


@pytest.mark.parametrize("type", [MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH])
def test_per_cpu_maps_hold_one_value_per_configured_cpu(type: MapType) -> None:
    m = one_map(type, cpus=3)
    m[1] = [1, 2, 3]
    value = m[1]
    assert isinstance(value, PerCPU)
    assert [int.from_bytes(v, "little") for v in value] == [1, 2, 3]


def test_lru_hash_evicts_the_least_recently_used_key_when_full() -> None:
    m = one_map(MapType.LRU_HASH, entries=2)
    m[1], m[2] = 1, 2
    m[1] = 11  # key 1 is now the more recent
    m[3] = 3
    assert sorted(int.from_bytes(k, "little") for k in m) == [1, 3]


def test_lpm_trie_lookup_finds_the_longest_matching_prefix() -> None:
    m = one_map(MapType.LPM_TRIE, key=8, value=4, entries=8)
    m["10.0.0.0/8"] = 8
    m["10.1.0.0/16"] = 16
    assert int.from_bytes(m[(32, "10.1.2.3")], "little") == 16
    assert int.from_bytes(m[(32, "10.2.0.1")], "little") == 8
    with pytest.raises(KeyNotFound):
        m[(32, "11.0.0.1")]


@pytest.mark.parametrize(("type", "order"), [(MapType.QUEUE, [1, 2, 3]), (MapType.STACK, [3, 2, 1])])
def test_queue_and_stack_pop_in_their_order(type: MapType, order: list[int]) -> None:
    m = one_map(type, key=0, value=4, entries=3)
    for value in (1, 2, 3):
        m.push(value)
    assert [int.from_bytes(m.pop(), "little") for _ in range(3)] == order


def test_full_queue_push_fails_unless_exist_overwrites_the_oldest() -> None:
    m = one_map(MapType.QUEUE, key=0, value=4, entries=2)
    m.push(1)
    m.push(2)
    with pytest.raises(MapFull):
        m.push(3)
    m.push(3, EXIST)
    assert int.from_bytes(m.peek(), "little") == 2


def test_popping_an_empty_queue_raises_key_not_found() -> None:
    with pytest.raises(KeyNotFound):
        one_map(MapType.QUEUE, key=0, value=4).pop()


def test_queue_has_no_keys_to_iterate() -> None:
    with pytest.raises(Error):
        list(one_map(MapType.QUEUE, key=0, value=4))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["set", "del", "noexist"]), st.integers(0, 5), st.integers(0, 255)),
        max_size=30,
    )
)
def test_hash_map_behaves_like_a_bounded_dict(ops: list[tuple[str, int, int]]) -> None:
    m = one_map(MapType.HASH, value=1, entries=4)
    model: dict[int, int] = {}
    for op, key, value in ops:
        if op == "del":
            if key in model:
                del model[key], m[key]
            else:
                with pytest.raises(KeyNotFound):
                    del m[key]
        elif op == "noexist" and key in model:
            with pytest.raises(KeyExists):
                m.update(key, value, NOEXIST)
        elif key not in model and len(model) == 4:
            with pytest.raises(MapFull):
                m[key] = value
        else:
            m.update(key, value)
            model[key] = value
    assert {int.from_bytes(k, "little"): v[0] for k, v in m.items()} == model


def _counter_program() -> ProgramSpec:
    """Look up key 0 of map ``m`` and add 1 to its 8-byte value (a hand-written program)."""
    insns = [
        c.st_mem(Size.W, 10, -4, 0),
        c.ld_map_fd(1, 0),
        c.mov64_reg(2, 10),
        c.alu64_imm(AluOp.ADD, 2, -4),
        c.call_helper(1),
        c.jmp_imm(JmpOp.JEQ, 0, 0, 3),
        c.ldx_mem(Size.DW, 1, 0),
        c.alu64_imm(AluOp.ADD, 1, 1),
        c.stx_mem(Size.DW, 0, 1),
        c.mov64_imm(0, 0),
        c.exit(),
    ]
    return ProgramSpec(
        "count",
        "xdp",
        ProgramType.XDP,
        instructions=insns,
        relocations=map_at(1, "m"),
    )


@pytest.mark.parametrize("type", [MapType.ARRAY, MapType.HASH])
def test_program_writes_through_the_pointer_lookup_returns(type: MapType) -> None:
    spec = ObjectSpec(programs={"count": _counter_program()}, maps={"m": MapSpec("m", type, 4, 8, 4)})
    obj = load(spec)
    obj.maps["m"][0] = 41
    obj.programs["count"].test_run(bytes(64))
    assert int.from_bytes(obj.maps["m"][0], "little") == 42


def test_program_on_cpu_one_updates_only_that_cpus_slot() -> None:
    spec = ObjectSpec(
        programs={"count": _counter_program()}, maps={"m": MapSpec("m", MapType.PERCPU_ARRAY, 4, 8, 1)}
    )
    obj = load(spec, cpus=2, cpu=1)
    obj.programs["count"].test_run(bytes(64), repeat=3)
    assert [int.from_bytes(v, "little") for v in obj.maps["m"][0]] == [0, 3]


def _store_through(offset: int) -> list[Instruction]:
    """Look up key 0 of map ``m`` and store 8 bytes at ``value + offset``."""
    return [
        c.st_mem(Size.W, 10, -4, 0),
        c.ld_map_fd(1, 0),
        c.mov64_reg(2, 10),
        c.alu64_imm(AluOp.ADD, 2, -4),
        c.call_helper(1),
        c.jmp_imm(JmpOp.JEQ, 0, 0, 1),
        c.st_mem(Size.DW, 0, offset, 1),
        c.mov64_imm(0, 0),
        c.exit(),
    ]


def test_a_store_past_a_hash_value_faults_naming_the_map() -> None:
    spec = one_program(
        _store_through(8),
        MapSpec("m", MapType.HASH, 4, 8, 4),
        section="xdp",
        type=ProgramType.XDP,
        relocations=map_at(1, "m"),
    )
    obj = load(spec)
    obj.maps["m"][0] = 0
    with pytest.raises(VMFault, match="map 'm' value"):
        obj.programs["p"].test_run(bytes(64))


def test_programs_cannot_write_to_rodata() -> None:
    insns = [c.ld_imm64(1, 0), c.st_mem(Size.DW, 1, 0, 7), c.mov64_imm(0, 0), c.exit()]
    rodata = MapSpec(
        ".rodata",
        MapType.ARRAY,
        4,
        8,
        1,
        data=bytes(8),
        readonly=True,
        origin=MapOrigin.GLOBAL_DATA,
        section=".rodata",
    )
    relocations = {0: Relocation(RelocationKind.MAP_VALUE, ".rodata")}
    obj = load(one_program(insns, rodata, section="xdp", type=ProgramType.XDP, relocations=relocations))
    with pytest.raises(VMFault, match="read-only"):
        obj.programs["p"].test_run(bytes(64))


def test_hash_of_maps_slots_take_maps_of_the_object() -> None:
    spec = ObjectSpec(
        maps={
            "outer": MapSpec("outer", MapType.HASH_OF_MAPS, 4, 4, 2),
            "inner": MapSpec("inner", MapType.ARRAY, 4, 4, 1),
        }
    )
    obj = load(spec)
    obj.maps["outer"][5] = obj.maps["inner"]
    assert obj.maps["outer"][5] == obj.maps["inner"].id
    with pytest.raises(InvalidArgument):
        obj.maps["outer"][6] = 999  # no such map
