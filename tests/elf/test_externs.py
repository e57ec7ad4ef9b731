"""``__kconfig`` and ``__ksym`` externs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.elf import read_object
from pybpf.enums import MapFlags
from pybpf.spec import ExternKind, MapOrigin, ObjectSpec, Relocation, RelocationKind


@pytest.fixture(scope="module")
def spec(objects: dict[str, Path]) -> ObjectSpec:
    return read_object(objects["externs"])


@pytest.mark.parametrize(
    ("name", "kind", "weak"),
    [
        ("LINUX_KERNEL_VERSION", ExternKind.KCONFIG, False),
        ("CONFIG_HZ", ExternKind.KCONFIG, True),
        ("CONFIG_BPF_SYSCALL", ExternKind.KCONFIG, False),
        ("bpf_prog_active", ExternKind.KSYM, False),
        ("missing_ksym", ExternKind.KSYM, True),
        ("bpf_task_acquire", ExternKind.KFUNC, False),
        ("bpf_task_release", ExternKind.KFUNC, False),
        ("bpf_rcu_read_lock", ExternKind.KFUNC, True),
    ],
)
def test_externs_are_classified_with_their_weakness(
    spec: ObjectSpec, name: str, kind: ExternKind, weak: bool
) -> None:
    ext = spec.externs[name]
    assert (ext.kind, ext.weak) == (kind, weak)


def test_kconfig_values_are_laid_out_aligned_in_declaration_order(spec: ObjectSpec) -> None:
    layout = {n: (e.offset, e.size) for n, e in spec.externs.items() if e.kind is ExternKind.KCONFIG}
    assert layout == {"LINUX_KERNEL_VERSION": (0, 4), "CONFIG_HZ": (4, 4), "CONFIG_BPF_SYSCALL": (8, 1)}


def test_kconfig_externs_get_a_read_only_map(spec: ObjectSpec) -> None:
    m = spec.maps[".kconfig"]
    assert m.origin is MapOrigin.KCONFIG and m.readonly and m.value_size == 9
    assert m.flags & MapFlags.RDONLY_PROG


def test_kconfig_references_carry_the_value_offset(spec: ObjectSpec) -> None:
    relocs = spec.programs["use_externs"].relocations.values()
    assert Relocation(RelocationKind.KCONFIG, "CONFIG_HZ", offset=4, weak=True) in relocs
    assert Relocation(RelocationKind.KCONFIG, "LINUX_KERNEL_VERSION") in relocs


def test_kfunc_calls_are_kfunc_relocations(spec: ObjectSpec) -> None:
    prog = spec.programs["use_externs"]
    kfuncs = [r.target for r in prog.relocations.values() if r.kind is RelocationKind.KFUNC]
    assert kfuncs == ["bpf_rcu_read_lock", "bpf_task_acquire", "bpf_task_release"]


def test_ksym_loads_are_ksym_relocations(spec: ObjectSpec) -> None:
    prog = spec.programs["use_externs"]
    ksyms = {r.target for r in prog.relocations.values() if r.kind is RelocationKind.KSYM}
    # a weak kfunc's existence check (``if (bpf_rcu_read_lock)``) loads its address too
    assert ksyms == {"bpf_prog_active", "missing_ksym", "bpf_rcu_read_lock"}


def test_externs_have_btf_descriptions(spec: ObjectSpec) -> None:
    assert spec.btf is not None
    assert all(spec.btf[e.btf_type_id].name == name for name, e in spec.externs.items())


def test_kconfig_layout_is_published_for_btf_fixup(spec: ObjectSpec) -> None:
    layout = spec.section_layouts[".kconfig"]
    assert layout.size == 9 and layout.offsets == {
        "LINUX_KERNEL_VERSION": 0,
        "CONFIG_HZ": 4,
        "CONFIG_BPF_SYSCALL": 8,
    }
