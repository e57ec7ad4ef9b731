"""The CO-RE test programs of ``data/`` relocated against their -DTARGET BTF and run in the kernel.

Each check in the C sources returns its line number when it fails, so a non-zero return value
points at the source line whose relocation went wrong.
"""

from __future__ import annotations

import linecache

import pytest
from core_testlib import DATA, SLEEPABLE, SOURCES, CoreObject

from pybpf.btf import BTF, Kind
from pybpf.btf.core import CoreAmbiguity, CoreError, explain_verifier_log, relocate
from pybpf.btf.ext import CoreReloKind
from pybpf.isa import encode
from pybpf.kernel import VerifierError, prog_load, prog_test_run

#: (object, program) pairs: every program of every test object, by name.
PROGRAMS = [
    ("fields", "field_reads"),
    ("fields", "field_info"),
    ("bitfields", "bitfield_reads"),
    ("bitfields", "bitfield_info"),
    ("types", "type_info"),
    ("enums", "enum_info"),
]
#: err_* programs and what stops them: the verifier (poisoned instruction) or the relocation itself.
ERR_PROGRAMS = [
    ("err_removed_field", "poison", "core_err", "removed"),
    ("err_missing_type", "poison", "core_missing", "x"),
    ("err_signed_resized", "poison", "core_err", "narrowed"),
    ("err_missing_enumerator", "poison", "core_err_e", "CEE_GONE"),
    ("err_ambiguous", "ambiguous", "core_amb", "x"),
]


def _run(obj: CoreObject, program: str, target: BTF) -> int:
    prog = obj.spec.programs[program]
    insns, _results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, target)
    with prog_load(int(prog.type), encode(insns), "GPL", prog_flags=SLEEPABLE) as fd:
        return prog_test_run(fd, data_out_size=0, repeat=0).retval


def test_every_c_test_program_is_listed() -> None:
    listed = {name for name, _ in PROGRAMS} | {"errors"}
    assert listed == set(SOURCES)


@pytest.mark.kernel
@pytest.mark.parametrize(("name", "program"), PROGRAMS)
def test_program_relocated_to_the_target_passes_its_checks_in_the_kernel(
    core_objects: dict[str, CoreObject], kernel_bpf: None, name: str, program: str
) -> None:
    obj = core_objects[name]
    line = _run(obj, program, obj.target_btf)
    source = linecache.getline(str(DATA / f"{name}.bpf.c"), line).strip() if line else ""
    assert line == 0, f"{name}.bpf.c:{line} failed: {source}"


@pytest.mark.parametrize("name", SOURCES)
def test_relocating_against_its_own_btf_gives_the_local_values(
    core_objects: dict[str, CoreObject], name: str
) -> None:
    obj = core_objects[name]
    for prog in obj.spec.programs.values():
        _insns, results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.local_btf)
        assert [r.describe() for r in results if r.poisoned or r.local_value != r.target_value] == []


# Not bitfields: the compiler may read a bitfield with a wider load than the one CO-RE computes
# (both read the same bits), so those instructions legitimately change.
@pytest.mark.parametrize("name", [n for n in SOURCES if n != "bitfields"])
def test_relocating_against_its_own_btf_keeps_the_instructions(
    core_objects: dict[str, CoreObject], name: str
) -> None:
    obj = core_objects[name]
    for prog in obj.spec.programs.values():
        insns, _results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.local_btf)
        assert insns == prog.instructions


@pytest.mark.parametrize("name", SOURCES)
def test_relocation_leaves_the_spec_instructions_untouched(
    core_objects: dict[str, CoreObject], name: str
) -> None:
    obj = core_objects[name]
    for prog in obj.spec.programs.values():
        if prog.name == "err_ambiguous":
            continue
        before = list(prog.instructions)
        relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
        assert prog.instructions == before


@pytest.mark.parametrize("name", ["fields", "bitfields"])
def test_field_offsets_and_sizes_equal_the_target_btf_layout(
    core_objects: dict[str, CoreObject], name: str
) -> None:
    obj = core_objects[name]
    target = obj.target_btf
    checked = 0
    for prog in obj.spec.programs.values():
        _insns, results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, target)
        for r in results:
            if (
                r.poisoned
                or r.target_type_id is None
                or r.kind
                not in (
                    CoreReloKind.FIELD_BYTE_OFFSET,
                    CoreReloKind.FIELD_BYTE_SIZE,
                )
            ):
                continue
            loc = target.field(r.target_type_id, r.path)
            if loc.is_bitfield:
                continue
            expected = (
                loc.byte_offset if r.kind == CoreReloKind.FIELD_BYTE_OFFSET else target.size_of(loc.type_id)
            )
            assert r.target_value == expected, r.describe()
            checked += 1
    assert checked >= 5


def test_type_ids_are_the_target_and_local_ids(core_objects: dict[str, CoreObject]) -> None:
    obj = core_objects["types"]
    prog = obj.spec.programs["type_info"]
    _insns, results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
    by_kind = {(r.kind, r.local_type): r.target_value for r in results}
    assert by_kind[(CoreReloKind.TYPE_ID_TARGET, "struct core_ty")] == obj.target_btf.find_id(
        "core_ty", Kind.STRUCT
    )
    assert by_kind[(CoreReloKind.TYPE_ID_TARGET, "struct core_absent")] == 0
    assert by_kind[(CoreReloKind.TYPE_ID_LOCAL, "struct core_absent")] == obj.local_btf.find_id(
        "core_absent", Kind.STRUCT
    )


def test_enum_values_are_the_target_btf_values(core_objects: dict[str, CoreObject]) -> None:
    obj = core_objects["enums"]
    prog = obj.spec.programs["enum_info"]
    _insns, results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
    values = {
        r.local_spec.split("::")[1].split(" ")[0]: r.target_value
        for r in results
        if r.kind == CoreReloKind.ENUMVAL_VALUE and not r.poisoned
    }
    assert values == {
        "CE_A": 1,
        "CE_B": 20,
        "CE_NEW___v2": 7,
        "CE_NEG": (-5) & (2**64 - 1),
        "CE64_SMALL": 3,
        "CE64_BIG": 0x1234567890,
    }


@pytest.mark.kernel
@pytest.mark.parametrize(("program", "stopped_by", "type_name", "member"), ERR_PROGRAMS)
def test_err_program_fails_with_an_error_naming_the_relocation(
    core_objects: dict[str, CoreObject],
    kernel_bpf: None,
    program: str,
    stopped_by: str,
    type_name: str,
    member: str,
) -> None:
    obj = core_objects["errors"]
    prog = obj.spec.programs[program]
    if stopped_by == "ambiguous":
        with pytest.raises(CoreAmbiguity, match=member):
            relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
        return
    insns, results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
    with pytest.raises(VerifierError) as info:
        prog_load(int(prog.type), encode(insns), "GPL", prog_flags=SLEEPABLE).close()
    message = explain_verifier_log(info.value.log, results)
    assert message is not None
    assert type_name in message and member in message


@pytest.mark.parametrize("program", [p for p, _, _, _ in ERR_PROGRAMS if p != "err_ambiguous"])
def test_err_program_has_a_poisoned_relocation_with_a_reason(
    core_objects: dict[str, CoreObject], program: str
) -> None:
    obj = core_objects["errors"]
    prog = obj.spec.programs[program]
    _insns, results = relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
    assert [bool(r.reason) for r in results if r.poisoned] == [True]


def test_ambiguity_error_is_a_core_error_naming_the_record(core_objects: dict[str, CoreObject]) -> None:
    obj = core_objects["errors"]
    prog = obj.spec.programs["err_ambiguous"]
    with pytest.raises(CoreError, match=r"relo #0, insn #\d+: field offset ambiguity"):
        relocate(prog.instructions, prog.core_relocations, obj.local_btf, obj.target_btf)
