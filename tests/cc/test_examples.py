"""The examples are the users' templates: each must build here, and the kernel must accept it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cc_helpers import EXAMPLES, find_tool, require_kernel_feature, section_names
from elftools.elf.elffile import ELFFile

from pybpf.btf import BTF
from pybpf.btf.ext import BTFExt, CoreReloKind
from pybpf.cc import build

pytestmark = pytest.mark.usefixtures("bpf_cc", "vmlinux_btf_path")

EM_BPF = 247

# example -> the program sections it must define
PROGRAM_SECTIONS = {
    "minimal": ["tp/syscalls/sys_enter_write"],
    "bootstrap": ["tp/sched/sched_process_exec", "tp/sched/sched_process_exit"],
    "uprobe": [
        "uprobe",
        "uretprobe",
        "uprobe//proc/self/exe:uprobed_sub",
        "uretprobe//proc/self/exe:uprobed_sub",
    ],
    "tc": ["tc"],
    "sockfilter": ["socket"],
    "task_iter": ["iter/task"],
    "xdp": ["xdp"],
    "execsnoop": ["tp/syscalls/sys_enter_execve"],
}


# example -> (program function names, maps defined in .maps)
SPEC_CONTENTS = {
    "minimal": (["on_write"], []),
    "bootstrap": (["handle_exec", "handle_exit"], ["exec_start", "rb"]),
    "uprobe": (["uprobe_add", "uprobe_sub", "uretprobe_add", "uretprobe_sub"], []),
    "tc": (["tc_ingress"], []),
    "sockfilter": (["socket_handler"], ["rb"]),
    "task_iter": (["dump_task"], []),
    "xdp": (["xdp_count"], ["proto_count"]),
    "execsnoop": (["handle_execve"], ["events"]),
}


@pytest.fixture(scope="module")
def example_objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("examples")
    return {name: build(EXAMPLES / f"{name}.bpf.c", out / f"{name}.bpf.o") for name in PROGRAM_SECTIONS}


def test_the_table_covers_every_example_file() -> None:
    assert sorted(path.name.removesuffix(".bpf.c") for path in EXAMPLES.glob("*.bpf.c")) == sorted(
        PROGRAM_SECTIONS
    )


@pytest.mark.parametrize("name", sorted(PROGRAM_SECTIONS))
def test_example_builds_into_a_little_endian_bpf_object(example_objects: dict[str, Path], name: str) -> None:
    with example_objects[name].open("rb") as handle:
        elf = ELFFile(handle)
        assert (elf["e_machine"], elf.little_endian) == ("EM_BPF", True)


@pytest.mark.parametrize("name", sorted(PROGRAM_SECTIONS))
def test_example_defines_its_program_sections_and_license(
    example_objects: dict[str, Path], name: str
) -> None:
    names = section_names(example_objects[name])
    assert set(PROGRAM_SECTIONS[name]) | {"license", ".BTF", ".BTF.ext"} <= set(names)


@pytest.mark.parametrize("name", sorted(PROGRAM_SECTIONS))
def test_example_object_has_no_eh_frame(example_objects: dict[str, Path], name: str) -> None:
    assert ".eh_frame" not in section_names(example_objects[name])


@pytest.mark.parametrize("name", ["bootstrap", "execsnoop"])
def test_parent_pid_read_is_a_co_re_relocation_on_task_struct(
    example_objects: dict[str, Path], name: str
) -> None:
    with example_objects[name].open("rb") as handle:
        elf = ELFFile(handle)
        btf = BTF.from_bytes(bytes(elf.get_section_by_name(".BTF").data()))
        ext = BTFExt.from_bytes(bytes(elf.get_section_by_name(".BTF.ext").data()), btf)
    relocated = {
        btf[relo.type_id].name
        for relos in ext.core_relos.values()
        for relo in relos
        if relo.kind is CoreReloKind.FIELD_BYTE_OFFSET
    }
    assert "task_struct" in relocated


@pytest.mark.parametrize("name", sorted(SPEC_CONTENTS))
def test_example_parses_into_an_object_spec_with_its_programs_and_maps(
    example_objects: dict[str, Path], name: str
) -> None:
    from pybpf.spec import ObjectSpec

    spec = ObjectSpec.from_file(example_objects[name])
    programs, maps = SPEC_CONTENTS[name]
    assert (sorted(spec.programs), sorted(m for m in spec.maps if not m.startswith("."))) == (programs, maps)


@pytest.mark.parametrize(("name", "variable"), [("minimal", "target_pid"), ("bootstrap", "min_duration_ns")])
def test_example_const_volatile_filter_is_a_settable_rodata_variable(
    example_objects: dict[str, Path], name: str, variable: str
) -> None:
    from pybpf.spec import ObjectSpec

    spec = ObjectSpec.from_file(example_objects[name])
    spec.rodata[variable] = 1234
    assert spec.rodata[variable] == 1234


@pytest.fixture(scope="module")
def bpffs_dir() -> Path:
    bpftool = find_tool("bpftool")
    if bpftool is None:
        pytest.skip("bpftool is not installed")
    root = Path("/sys/fs/bpf")
    require_kernel_feature(
        os.path.ismount(root) and os.access(root, os.W_OK), "bpffs is not mounted writable at /sys/fs/bpf"
    )
    return root


@pytest.mark.kernel
@pytest.mark.tool
@pytest.mark.parametrize("name", sorted(PROGRAM_SECTIONS))
def test_kernel_verifier_accepts_example(
    example_objects: dict[str, Path], bpffs_dir: Path, name: str
) -> None:
    pin = bpffs_dir / f"pybpf-cc-test-{os.getpid()}-{name}"
    try:
        done = subprocess.run(
            [shutil.which("bpftool") or "bpftool", "prog", "loadall", str(example_objects[name]), str(pin)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(pin, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
