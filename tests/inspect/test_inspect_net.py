"""``net list`` in a scratch network namespace, against ``bpftool net list`` run inside it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests_inspect_lib import DATA

from pybpf import kernel
from pybpf.enums import AttachType, ProgramType
from pybpf.inspect import rtnetlink
from testlib import compile_bpf, find_tool, in_netns, require_kernel_feature

_RETURN_2 = bytes.fromhex("b7000000020000009500000000000000")  # XDP_PASS
_RETURN_0 = bytes.fromhex("b7000000000000009500000000000000")  # TC_ACT_OK


@pytest.fixture
def netns(bpf_ok: None, tmp_path: Any) -> Iterator[str]:
    """A namespace with veth va <-> vb (both up), a tc filter on va ingress, removed afterwards."""
    ip, tc = find_tool("ip"), find_tool("tc")
    require_kernel_feature(ip is not None and tc is not None, "no ip(8)/tc(8) tools")
    assert ip is not None and tc is not None
    name = f"pybpf-insp-{os.urandom(3).hex()}"
    obj = compile_bpf(DATA / "tcfilter.bpf.c", tmp_path / "tcfilter.bpf.o")

    def run(*args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=30)

    try:
        run(ip, "netns", "add", name)
        run(ip, "-n", name, "link", "add", "va", "type", "veth", "peer", "name", "vb")
        run(ip, "-n", name, "link", "set", "va", "up")
        run(ip, "-n", name, "link", "set", "vb", "up")
        run(ip, "netns", "exec", name, tc, "qdisc", "add", "dev", "va", "clsact")
        run(
            ip,
            "netns",
            "exec",
            name,
            tc,
            "filter",
            "add",
            "dev",
            "va",
            "ingress",
            "bpf",
            "da",
            "obj",
            str(obj),
            "sec",
            "tc",
        )
    except subprocess.CalledProcessError as exc:
        subprocess.run([ip, "netns", "del", name], capture_output=True)
        require_kernel_feature(False, f"cannot set up a namespace with veth and tc: {exc.stderr!r}")
    try:
        yield name
    finally:
        subprocess.run([ip, "netns", "del", name], capture_output=True, timeout=30)


@pytest.fixture
def attached(netns: str) -> Iterator[str]:
    """XDP on va (a link) and tcx ingress on vb, inside the namespace."""
    from pybpf.attach import attach_tcx, attach_xdp

    with (
        kernel.prog_load(ProgramType.XDP, _RETURN_2, name="insp_netxdp") as xdp,
        kernel.prog_load(
            ProgramType.SCHED_CLS, _RETURN_0, name="insp_tcx", expected_attach_type=AttachType.TCX_INGRESS
        ) as cls,
    ):
        with in_netns(netns):
            xlink = attach_xdp(xdp, "va")
            tlink = attach_tcx(cls, "vb", "ingress")
        with xlink, tlink:
            yield netns


def _bpftool_in(netns: str) -> Any:
    tool = find_tool("bpftool")
    if tool is None:
        pytest.skip("bpftool is not installed")
    done = subprocess.run(
        ["ip", "netns", "exec", netns, tool, "-j", "net", "list"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.kernel
def test_net_list_xdp_and_tc_match_bpftool(attached: str, pybpf_cli: Any) -> None:
    with in_netns(attached):
        ours = pybpf_cli("net", "list", "--json").json()
    theirs = _bpftool_in(attached)
    assert ours[0]["xdp"] == theirs[0]["xdp"]
    classic = [e for e in ours[0]["tc"] if e["kind"].startswith("clsact/")]
    assert classic == theirs[0]["tc"]
    assert [e["mode"] for e in ours[0]["xdp"]] == ["driver"]


@pytest.mark.kernel
def test_net_list_shows_tcx_attachments(attached: str, pybpf_cli: Any) -> None:
    with in_netns(attached):
        ours = pybpf_cli("net", "list", "dev", "vb", "--json").json()
    assert [(e["kind"], e["name"]) for e in ours[0]["tc"]] == [("tcx/ingress", "insp_tcx")]


@pytest.mark.kernel
def test_net_list_of_missing_device_is_an_error(bpf_ok: None, pybpf_cli: Any) -> None:
    result = pybpf_cli("net", "list", "dev", "pybpf-no-such-if")
    assert result.exit_code != 0 and result.stderr.startswith("pybpf: error: ")


@pytest.mark.parametrize(
    "data",
    [b"", b"\x04\x00", b"\x08\x00\x03\x00ab", b"\xff\xff\x03\x00abcd", b"\x03\x00\x03\x00abcd"],
)
def test_netlink_attributes_never_fail_on_truncated_input(data: bytes) -> None:
    assert isinstance(rtnetlink.attributes(data), dict)


def test_netlink_attributes_read_nested_payloads() -> None:
    payload = b"\x08\x00\x03\x00va\x00\x00" + b"\x08\x00\x0b\x00\x2a\x00\x00\x00"
    assert rtnetlink.attributes(payload) == {3: b"va\x00\x00", 11: b"\x2a\x00\x00\x00"}
