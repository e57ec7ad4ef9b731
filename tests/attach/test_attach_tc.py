"""Classic tc: direct-action bpf filters on the clsact qdisc, added and removed over rtnetlink."""

from __future__ import annotations

import socket
import struct
import subprocess
from collections.abc import Iterator

import pytest
from attach_testlib import find_tool, load_counter, read_counter, require_kernel_feature
from hypothesis import given, settings
from hypothesis import strategies as st
from netns_testlib import in_netns, ip_tool, send_udp, veth_pair

from pybpf import kernel
from pybpf.attach import attach_tc_classic, netlink, tc
from pybpf.enums import ProgramType

TC_ACT_OK = 0


@pytest.fixture
def veth_namespaces(bpf_ok: None) -> Iterator[tuple[str, str]]:
    with veth_pair() as names:
        yield names


def _tc_show(namespace: str, *args: str) -> str:
    tool = find_tool("tc")
    require_kernel_feature(tool is not None, "no tc(8) tool")
    assert tool is not None
    done = subprocess.run(
        [ip_tool(), "netns", "exec", namespace, tool, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def test_filter_request_carries_fd_name_and_direct_action_flag() -> None:
    body = tc.bpf_filter_request(7, tc.HOOKS["egress"], 3, 5, 42, "counter")
    family, ifindex, handle, parent, info = struct.unpack_from("=BxxxiIII", body)
    attrs = netlink.attributes(body, 20)
    options = netlink.attributes(attrs[tc.TCA_OPTIONS])
    assert (family, ifindex, handle, parent, info) == (socket.AF_UNSPEC, 7, 5, 0xFFFFFFF3, 0x00030300)
    assert netlink.string_of(attrs[tc.TCA_KIND]) == "bpf"
    assert (netlink.u32_of(options, tc.TCA_BPF_FD), netlink.string_of(options[tc.TCA_BPF_NAME])) == (
        42,
        "counter",
    )
    assert netlink.u32_of(options, tc.TCA_BPF_FLAGS) == tc.TCA_BPF_FLAG_ACT_DIRECT


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"direction": "sideways"}, "ingress"), ({"priority": 1 << 16}, "16")]
)
def test_bad_direction_or_priority_is_refused_before_any_request(
    kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        attach_tc_classic(0, 1, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(st.binary(max_size=128))
def test_netlink_message_parsing_never_raises_on_garbage(data: bytes) -> None:
    for _kind, _seq, payload in netlink.messages(data):
        assert len(payload) <= len(data)


@pytest.mark.kernel
@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_tc_filter_on_veth_counts_traffic_and_is_gone_after_close(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str], direction: str
) -> None:
    a, b = veth_namespaces
    prog = load_counter(ProgramType.SCHED_CLS, counter_map, TC_ACT_OK)
    with in_netns(b):
        link = attach_tc_classic(prog, "pb", direction)
    with link:
        assert "bpf" in _tc_show(b, "filter", "show", "dev", "pb", direction)
        send_udp(a, "10.213.0.2")
        assert read_counter(counter_map) >= 1
    assert _tc_show(b, "filter", "show", "dev", "pb", direction).strip() == ""
    assert "clsact" not in _tc_show(b, "qdisc", "show", "dev", "pb")


@pytest.mark.kernel
def test_closing_one_of_two_filters_keeps_the_qdisc_and_the_other_filter(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str]
) -> None:
    _a, b = veth_namespaces
    prog = load_counter(ProgramType.SCHED_CLS, counter_map, TC_ACT_OK)
    with in_netns(b):
        first = attach_tc_classic(prog, "pb", "ingress")
        second = attach_tc_classic(prog, "pb", "ingress", priority=7)
    with second:
        first.close()
        assert "pref 7" in _tc_show(b, "filter", "show", "dev", "pb", "ingress")
        assert "clsact" in _tc_show(b, "qdisc", "show", "dev", "pb")
    assert "clsact" not in _tc_show(b, "qdisc", "show", "dev", "pb")


@pytest.mark.kernel
def test_a_program_of_the_wrong_type_is_refused_with_the_netlink_errno(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str]
) -> None:
    _a, b = veth_namespaces
    prog = load_counter(ProgramType.SOCKET_FILTER, counter_map)
    with in_netns(b), pytest.raises(netlink.NetlinkError) as caught:
        attach_tc_classic(prog, "pb")
    assert caught.value.errno is not None
    assert "clsact" not in _tc_show(b, "qdisc", "show", "dev", "pb")


@pytest.mark.kernel
def test_pybpf_inspect_lists_the_filter_as_direct_action_with_its_program_id(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str]
) -> None:
    from pybpf.inspect import rtnetlink

    _a, b = veth_namespaces
    prog = load_counter(ProgramType.SCHED_CLS, counter_map, TC_ACT_OK)
    with in_netns(b):
        link = attach_tc_classic(prog, "pb", "egress", name="counter")
        with link, rtnetlink.RtNetlink() as sock:
            (found,) = rtnetlink.tc_filters(sock, socket.if_nametoindex("pb"))
    assert (found.hook, found.name, found.direct_action) == ("egress", "counter", True)
    assert found.prog_id == kernel.prog_info(prog).id
