"""The kernel layer's flag names are the ones of pybpf.enums, not a second table."""

from __future__ import annotations

import pytest

from pybpf import enums, kernel


@pytest.mark.parametrize(
    ("name", "enum_cls"), [("MapCreateFlags", enums.MapFlags), ("ProgFlags", enums.ProgramFlags)]
)
def test_kernel_flag_names_are_the_enums_of_pybpf_enums(name: str, enum_cls: type) -> None:
    assert getattr(kernel, name) is enum_cls


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        (enums.ProgramFlags.SLEEPABLE, 1 << 4),
        (enums.ProgramFlags.TOKEN_FD, 1 << 16),
        (enums.MapFlags.NUMA_NODE, 4),
    ],
)
def test_flags_kept_from_the_kernel_layer_have_their_uapi_values(flag: int, value: int) -> None:
    assert flag == value
