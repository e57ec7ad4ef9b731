"""``feature probe`` against bpftool's own probes."""

from __future__ import annotations

from typing import Any

import pytest

from pybpf.enums import MapType
from pybpf.inspect import feature


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
def test_feature_probe_cli_prints_every_section(bpf_ok: None, pybpf_cli: Any) -> None:
    text = pybpf_cli("feature", "probe", "--no-helpers").output
    for heading in ("program types", "map types", "attach types"):
        assert f"Scanning eBPF {heading}..." in text
    assert "eBPF program_type xdp is available" in text
