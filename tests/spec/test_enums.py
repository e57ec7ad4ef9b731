"""Our ABI enums against the running kernel's own definitions (read from its BTF)."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

import pytest

from pybpf.btf import BTF, Enum, Kind
from pybpf.enums import AttachType, LinkType, MapFlags, MapType, ProgramType


@pytest.fixture(scope="module")
def kernel_enums(vmlinux_btf_path: Path) -> dict[str, int]:
    btf = BTF.from_file(vmlinux_btf_path)
    values: dict[str, int] = {}
    for name in ("bpf_prog_type", "bpf_attach_type", "bpf_map_type", "bpf_link_type"):
        t = btf.find(name, Kind.ENUM)
        assert isinstance(t, Enum)
        values.update({v.name: v.value for v in t.values})
    return values


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("enum_cls", "prefix"),
    [
        (ProgramType, "BPF_PROG_TYPE_"),
        (AttachType, "BPF_"),
        (MapType, "BPF_MAP_TYPE_"),
        (LinkType, "BPF_LINK_TYPE_"),
    ],
)
def test_enum_values_match_the_running_kernel(
    kernel_enums: dict[str, int], enum_cls: type[IntEnum], prefix: str
) -> None:
    known = {m.name: m.value for m in enum_cls if prefix + m.name in kernel_enums}
    assert known, "no member found in the kernel's enum"
    assert known == {name: kernel_enums[prefix + name] for name in known}


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        (MapFlags.NO_PREALLOC, 1),
        (MapFlags.RDONLY_PROG, 128),
        (MapFlags.MMAPABLE, 1024),
        (MapFlags.INNER_MAP, 4096),
    ],
)
def test_map_flag_values_are_the_uapi_ones(flag: MapFlags, value: int) -> None:
    assert flag == value


def test_map_type_helpers_classify_map_in_map_and_per_cpu() -> None:
    assert MapType.HASH_OF_MAPS.is_map_in_map and not MapType.HASH.is_map_in_map
    assert MapType.PERCPU_ARRAY.is_per_cpu and not MapType.ARRAY.is_per_cpu
