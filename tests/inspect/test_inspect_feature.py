"""``feature probe`` against bpftool's own probes."""

from __future__ import annotations

import os
from typing import Any

import pytest

from pybpf.enums import MapType
from pybpf.inspect import feature, sysconfig
from testlib import require_kernel_feature


@pytest.fixture(scope="module")
def probed() -> dict[str, Any]:
    from pybpf import kernel

    try:
        kernel.map_create(MapType.ARRAY, 4, 4, 1).close()
    except kernel.KernelError as exc:
        pytest.skip(f"bpf() refused: {exc}")
    return feature.probe().json()


@pytest.mark.kernel
@pytest.mark.parametrize("section", ["program_types", "map_types"])
def test_feature_probe_types_match_bpftool(probed: dict[str, Any], bpftool: Any, section: str) -> None:
    theirs = bpftool("feature", "probe", "kernel")[section]
    ours = probed[section]
    assert {k: ours.get(k) for k in theirs} == theirs


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("prog_type", "helper", "expected"),
    [
        ("xdp", "bpf_map_lookup_elem", True),
        ("xdp", "bpf_xdp_adjust_head", True),
        ("socket_filter", "bpf_xdp_adjust_head", False),
        ("socket_filter", "bpf_bind", False),
        ("cgroup_sock_addr", "bpf_bind", True),
    ],
)
def test_feature_probe_helpers_follow_program_type_rules(
    probed: dict[str, Any], prog_type: str, helper: str, expected: bool
) -> None:
    assert (helper in probed["helpers"][f"{prog_type}_available_helpers"]) is expected


@pytest.mark.kernel
@pytest.mark.parametrize("attach", ["cgroup_inet_egress", "xdp", "tcx_ingress", "cgroup_inet4_connect"])
def test_feature_probe_finds_common_attach_types(probed: dict[str, Any], attach: str) -> None:
    assert probed["attach_types"][f"have_{attach}_attach_type"] is True


@pytest.mark.kernel
def test_feature_probe_cli_prints_a_table_per_section(bpf_ok: None, pybpf_cli: Any) -> None:
    text = pybpf_cli("feature", "probe", "--no-helpers").output
    for heading in ("Program types (", "Map types (", "Attach types (", "System settings:", "Verifier and"):
        assert heading in text
    assert any(line.split() == ["xdp", "yes"] for line in text.splitlines())


@pytest.mark.kernel
@pytest.mark.parametrize("bpftool_wording", ["Scanning eBPF", "is available", "eBPF program_type"])
def test_feature_probe_plain_output_uses_its_own_wording(
    bpf_ok: None, pybpf_cli: Any, bpftool_wording: str
) -> None:
    assert bpftool_wording not in pybpf_cli("feature", "probe", "--no-helpers").output


@pytest.mark.kernel
@pytest.mark.parametrize("section", ["system_config", "syscall_config", "misc"])
def test_feature_probe_system_sections_match_bpftool(
    probed: dict[str, Any], bpftool: Any, section: str
) -> None:
    theirs = bpftool("feature", "probe", "kernel")[section]
    ours = probed[section]
    assert {k: ours.get(k) for k in theirs} == theirs


@pytest.mark.kernel
def test_feature_probe_finds_the_v4_isa_on_a_kernel_that_has_it(probed: dict[str, Any]) -> None:
    release = tuple(int(part) for part in os.uname().release.split("-")[0].split(".")[:2])
    require_kernel_feature(release >= (6, 6), "ISA v4 needs Linux 6.6")
    assert probed["misc"]["have_v4_isa_extension"] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONFIG_BPF=y\n", {"CONFIG_BPF": "y"}),
        ("# CONFIG_TEST_BPF is not set\n", {}),
        ('CONFIG_HZ=250\nCONFIG_X="a b"\n', {"CONFIG_HZ": "250", "CONFIG_X": "a b"}),
        ("garbage\n=\nCONFIG_Y\n", {}),
    ],
)
def test_kernel_config_lines_parse_to_options(text: str, expected: dict[str, str]) -> None:
    assert sysconfig.parse_config(text) == expected


def test_an_option_missing_from_the_kernel_config_is_null() -> None:
    found = sysconfig.system_config({"CONFIG_BPF": "y"})
    assert (found["CONFIG_BPF"], found["CONFIG_TEST_BPF"]) == ("y", None)


def test_an_unreadable_sysctl_reads_as_minus_one(tmp_path: Any) -> None:
    assert sysconfig.read_sysctl(str(tmp_path / "missing")) == -1
