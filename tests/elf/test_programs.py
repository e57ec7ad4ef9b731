"""Programs: split by symbol, subprograms linked after their callers, references resolved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pybpf.elf import parse_object, read_object
from pybpf.enums import AttachType, ProgramFlags, ProgramType
from pybpf.errors import ELFError
from pybpf.isa import Instruction
from pybpf.spec import ObjectSpec, ProgramSpec, Relocation, RelocationKind


@pytest.fixture(scope="module")
def calls(objects: dict[str, Path]) -> ObjectSpec:
    return read_object(objects["calls"])


@pytest.fixture(scope="module")
def sections(objects: dict[str, Path]) -> ObjectSpec:
    return read_object(objects["sections"])


def call_targets(prog: ProgramSpec) -> dict[int, int]:
    """slot of each pseudo call / callback lddw → slot it reaches."""
    targets = {}
    for slot, insn in zip(prog.slots(), prog.instructions, strict=True):
        if insn.is_pseudo_call or insn.is_load_imm64_func:
            targets[slot] = slot + 1 + (insn.imm_lo if insn.is_lddw else insn.imm)
    return targets


def test_several_programs_in_one_section_are_split_by_symbol(calls: ObjectSpec) -> None:
    assert [p.name for p in calls.programs.values() if p.section == "xdp"] == ["xdp_first", "xdp_second"]


def test_text_functions_are_not_programs(calls: ObjectSpec) -> None:
    assert set(calls.programs) == {"xdp_first", "xdp_second", "tc_prog", "plain"}


def test_program_without_calls_has_no_subprograms(calls: ObjectSpec) -> None:
    assert calls.programs["plain"].subprograms == {}


@pytest.mark.parametrize(
    ("program", "subprograms"),
    [
        ("xdp_first", ["middle", "global_helper", "leaf"]),
        ("xdp_second", ["loop_cb", "leaf"]),
        ("tc_prog", ["elem_cb", "loop_cb", "global_helper"]),
    ],
)
def test_reached_subprograms_are_appended_once_in_first_reference_order(
    calls: ObjectSpec, program: str, subprograms: list[str]
) -> None:
    assert list(calls.programs[program].subprograms) == subprograms


def test_every_call_and_callback_lands_on_the_start_of_its_linked_subprogram(calls: ObjectSpec) -> None:
    for prog in calls.programs.values():
        starts = {slot: name for name, slot in prog.subprograms.items()}
        for slot, target in call_targets(prog).items():
            reloc = prog.relocations[slot]
            assert starts.get(target) == reloc.target, (prog.name, slot)


def test_subprogram_calls_are_recorded_as_relocations(calls: ObjectSpec) -> None:
    prog = calls.programs["xdp_first"]
    kinds = {r.target: r.kind for r in prog.relocations.values() if r.kind is RelocationKind.SUBPROGRAM}
    assert kinds == {
        "middle": RelocationKind.SUBPROGRAM,
        "global_helper": RelocationKind.SUBPROGRAM,
        "leaf": RelocationKind.SUBPROGRAM,
    }


def test_callback_addresses_become_pseudo_func_loads(calls: ObjectSpec) -> None:
    prog = calls.programs["xdp_second"]
    loads = [i for i in prog.instructions if i.is_load_imm64_func]
    assert len(loads) == 1
    assert [r for r in prog.relocations.values() if r.kind is RelocationKind.FUNC_ADDR] == [
        Relocation(RelocationKind.FUNC_ADDR, "loop_cb")
    ]


def test_linked_program_length_is_the_sum_of_its_functions(calls: ObjectSpec) -> None:
    # xdp_first is 8 slots, middle 10, global_helper 4, leaf 14.
    assert calls.programs["xdp_first"].slot_count == 8 + 10 + 4 + 14


def test_map_reference_inside_a_subprogram_is_relocated_at_its_linked_slot(calls: ObjectSpec) -> None:
    prog = calls.programs["xdp_first"]
    leaf = prog.subprograms["leaf"]
    map_slots = [s for s, r in prog.relocations.items() if r == Relocation(RelocationKind.MAP, "values")]
    assert map_slots == [leaf + 5]
    assert prog.instructions[prog.slots().index(leaf + 5)].is_lddw


def test_func_info_follows_each_linked_function(calls: ObjectSpec) -> None:
    prog = calls.programs["xdp_first"]
    assert [f.insn for f in prog.func_info] == [0, *prog.subprograms.values()]


def test_line_info_is_rebased_to_linked_slots(calls: ObjectSpec) -> None:
    prog = calls.programs["xdp_second"]
    slots = set(prog.slots())
    assert prog.line_info and all(li.insn in slots for li in prog.line_info)
    leaf = prog.subprograms["leaf"]
    assert any(li.insn >= leaf and "bpf_map_lookup_elem" in li.text for li in prog.line_info)


def test_line_info_carries_file_and_source_text(calls: ObjectSpec) -> None:
    first = calls.programs["plain"].line_info[0]
    assert first.file.endswith("calls.bpf.c")
    assert first.text.strip() == "return 0;"


def test_programs_carry_the_object_license(calls: ObjectSpec) -> None:
    assert {p.license for p in calls.programs.values()} == {"GPL"}


SECTION_PROGRAMS = [
    ("tp_write", ProgramType.TRACEPOINT, None, "syscalls/sys_enter_write"),
    ("raw_tp_writable", ProgramType.RAW_TRACEPOINT_WRITABLE, None, "bpf_test_finish"),
    ("tp_btf_exec", ProgramType.TRACING, AttachType.TRACE_RAW_TP, "sched_process_exec"),
    ("kprobe_multi", ProgramType.KPROBE, AttachType.TRACE_KPROBE_MULTI, "vfs_*"),
    ("uprobe_readline", ProgramType.KPROBE, None, "/bin/bash:readline"),
    ("fentry_unlink", ProgramType.TRACING, AttachType.TRACE_FENTRY, "do_unlinkat"),
    ("lsm_open", ProgramType.LSM, AttachType.LSM_MAC, "file_open"),
    ("iter_task", ProgramType.TRACING, AttachType.TRACE_ITER, "task"),
    ("xdp_devmap", ProgramType.XDP, AttachType.XDP_DEVMAP, ""),
    ("tcx_egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS, ""),
    ("cgroup_connect4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT, ""),
    ("struct_ops_init", ProgramType.STRUCT_OPS, None, "dummy_init"),
    ("netfilter_prog", ProgramType.NETFILTER, AttachType.NETFILTER, ""),
]


@pytest.mark.parametrize(("name", "ptype", "attach", "target"), SECTION_PROGRAMS)
def test_compiled_programs_get_their_type_from_the_section_name(
    sections: ObjectSpec, name: str, ptype: ProgramType, attach: AttachType | None, target: str
) -> None:
    prog = sections.programs[name]
    assert (prog.type, prog.expected_attach_type, prog.attach_target) == (ptype, attach, target)


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("uprobe_sleepable", ProgramFlags.SLEEPABLE),
        ("fentry_sleepable", ProgramFlags.SLEEPABLE),
        ("lsm_sleepable", ProgramFlags.SLEEPABLE),
        ("syscall_prog", ProgramFlags.SLEEPABLE),
        ("xdp_frags", ProgramFlags.XDP_HAS_FRAGS),
        ("xdp_plain", ProgramFlags.NONE),
    ],
)
def test_program_flags_come_from_the_section_name(
    sections: ObjectSpec, name: str, flags: ProgramFlags
) -> None:
    assert sections.programs[name].flags == flags


def test_every_program_of_the_sections_object_is_parsed(sections: ObjectSpec) -> None:
    assert len(sections.programs) == 41


def test_programs_are_autoloaded_by_default_and_can_be_disabled(calls: ObjectSpec) -> None:
    spec = calls.copy()
    spec.programs["plain"].autoload = False
    assert calls.programs["plain"].autoload and not spec.programs["plain"].autoload


def test_program_bytecode_round_trips_through_decode(calls: ObjectSpec) -> None:
    from pybpf.isa import decode

    prog = calls.programs["tc_prog"]
    assert decode(prog.bytecode()) == prog.instructions


def test_unknown_program_section_raises_elf_error_naming_it(compile_c: Callable[..., bytes]) -> None:
    data = compile_c("odd", '__attribute__((section("weird/name"), used)) int odd(void *ctx) { return 0; }\n')
    with pytest.raises(ELFError, match="weird/name"):
        parse_object(data)
    spec = parse_object(data, unknown_sections="unspec")
    assert spec.programs["odd"].type is ProgramType.UNSPEC


def test_sleepable_property_toggles_the_flag() -> None:
    prog = ProgramSpec("p", "xdp", ProgramType.XDP, instructions=[Instruction(0x95)])
    prog.sleepable = True
    assert prog.flags == ProgramFlags.SLEEPABLE
    prog.sleepable = False
    assert prog.flags == ProgramFlags.NONE
