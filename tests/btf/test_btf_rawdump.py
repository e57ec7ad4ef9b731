"""``raw`` and ``json`` dumps against bpftool's, line for line and key for key."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pybpf.btf import BTF, Kind
from pybpf.btf.rawdump import dump_json, dump_raw, json_type, raw_lines

# Same lookup as tests/conftest.py:find_tool (test modules cannot import conftest).
BPFTOOL = shutil.which("bpftool")
needs_bpftool = pytest.mark.skipif(BPFTOOL is None, reason="bpftool is not installed")


def bpftool(*args: str) -> str:
    assert BPFTOOL is not None
    return subprocess.run([BPFTOOL, *args], capture_output=True, text=True, check=True).stdout


def split_by_type(text: str) -> dict[int, list[str]]:
    """bpftool's raw dump, as the lines belonging to each type id."""
    out: dict[int, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("["):
            current = out.setdefault(int(line[1 : line.index("]")]), [])
        current.append(line)
    return out


@pytest.fixture(scope="module")
def vmlinux_reference(vmlinux_btf_path: Path) -> dict[int, list[str]]:
    if BPFTOOL is None:
        pytest.skip("bpftool is not installed")
    return split_by_type(bpftool("btf", "dump", "file", str(vmlinux_btf_path)))


@pytest.fixture(scope="module")
def vmlinux(vmlinux_btf_path: Path) -> BTF:
    return BTF.from_file(vmlinux_btf_path)


def sample_ids(btf: BTF, count: int = 2000) -> list[int]:
    """``count`` ids spread over the whole range plus the first type of every kind present."""
    n = len(btf)
    ids = set(range(1, n, max(1, n // count)))
    seen: set[Kind] = set()
    for type_id in range(1, n):
        kind = btf.kind_of(type_id)
        if kind not in seen:
            seen.add(kind)
            ids.add(type_id)
    return sorted(ids)


@needs_bpftool
@pytest.mark.tool
@pytest.mark.parametrize("name", ["kinds", "core"])
def test_raw_dump_of_compiled_object_matches_bpftool(bpf_objects: dict[str, Path], name: str) -> None:
    path = bpf_objects[name]
    ours = dump_raw(BTF.from_bytes(_btf_section(path)))
    assert ours.splitlines() == bpftool("btf", "dump", "file", str(path)).splitlines()


@needs_bpftool
@pytest.mark.tool
@pytest.mark.parametrize("name", ["kinds", "core"])
@pytest.mark.parametrize(("pretty", "flags"), [(False, ["-j"]), (True, ["-j", "-p"])])
def test_json_dump_of_compiled_object_is_byte_identical_to_bpftool(
    bpf_objects: dict[str, Path], name: str, pretty: bool, flags: list[str]
) -> None:
    path = bpf_objects[name]
    ours = dump_json(BTF.from_bytes(_btf_section(path)), pretty=pretty)
    assert ours == bpftool(*flags, "btf", "dump", "file", str(path))


@pytest.mark.tool
@pytest.mark.kernel
def test_raw_dump_of_vmlinux_sample_matches_bpftool(
    vmlinux: BTF, vmlinux_reference: dict[int, list[str]]
) -> None:
    ids = sample_ids(vmlinux)
    mismatched = [i for i in ids if raw_lines(vmlinux, vmlinux[i]) != vmlinux_reference[i]]
    assert mismatched == []
    assert len(vmlinux_reference) == len(vmlinux) - 1


@needs_bpftool
@pytest.mark.tool
@pytest.mark.kernel
def test_json_dump_of_vmlinux_sample_matches_bpftool(vmlinux: BTF, vmlinux_btf_path: Path) -> None:
    reference = json.loads(bpftool("-j", "btf", "dump", "file", str(vmlinux_btf_path)))["types"]
    for type_id in sample_ids(vmlinux, 500):
        assert json_type(vmlinux[type_id]) == reference[type_id - 1]


def test_compiled_object_has_every_kind_the_compiler_emits(btf_sections: dict[str, bytes]) -> None:
    btf = BTF.from_bytes(btf_sections["kinds"])
    kinds = {t.kind for t in btf}
    assert kinds == set(Kind) - {Kind.VOID}


def test_unsigned_enum_value_above_2_31_prints_as_bpftool_widens_it() -> None:
    from pybpf.btf import Enum, EnumValue
    from pybpf.btf.encode import build

    btf = build([Enum(0, "u", 4, (EnumValue("MAX", 0xFFFFFFFF),), False)])
    assert dump_raw(btf) == "[1] ENUM 'u' encoding=UNSIGNED size=4 vlen=1\n\t'MAX' val=4294967295\n"
    assert json_type(btf[1])["values"] == [{"name": "MAX", "val": 2**64 - 1}]


def _btf_section(path: Path) -> bytes:
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        data: bytes = ELFFile(f).get_section_by_name(".BTF").data()
        return data
