"""Networking attachments: socket filters, cgroup skb, XDP and tcx on a veth pair in namespaces."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_testlib import link_gone, load_counter, read_counter, require_kernel_feature
from netns_testlib import in_netns, send_udp, veth_pair

from pybpf import kernel
from pybpf.attach import XDPFlags, attach_cgroup, attach_socket_filter, attach_tcx, attach_xdp
from pybpf.enums import AttachType, ProgramType

pytestmark = pytest.mark.kernel

XDP_PASS = 2
TCX_NEXT = -1


def _udp_pair() -> tuple[socket.socket, socket.socket]:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.2)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return rx, tx


def test_socket_filter_returning_zero_drops_datagrams_until_closed(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.SOCKET_FILTER, counter_map, retval=0)
    rx, tx = _udp_pair()
    with rx, tx:
        with attach_socket_filter(prog, rx):
            tx.sendto(b"dropped", rx.getsockname())
            with pytest.raises(TimeoutError):
                rx.recv(100)
        assert read_counter(counter_map) == 1
        tx.sendto(b"kept", rx.getsockname())
        assert rx.recv(100) == b"kept"
    assert read_counter(counter_map) == 1


def test_socket_filter_on_a_raw_fd_number_sees_socketpair_traffic(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.SOCKET_FILTER, counter_map, retval=0xFFFF)
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with left, right, attach_socket_filter(prog, right.fileno()):
        left.send(b"ping")
        assert right.recv(10) == b"ping"
    assert read_counter(counter_map) == 1


def _cgroup_v2_sender(cgroup: Path, port: int) -> None:
    """Run a process inside ``cgroup`` that sends one UDP datagram to 127.0.0.1:port."""
    script = (
        "import os, socket, sys\n"
        f"open({str(cgroup / 'cgroup.procs')!r}, 'w').write(str(os.getpid()))\n"
        f"socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {port}))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)


def test_cgroup_skb_egress_link_counts_packets_of_processes_in_the_cgroup(
    counter_map: kernel.FD, cgroup_dir: Path
) -> None:
    prog = load_counter(
        ProgramType.CGROUP_SKB, counter_map, retval=1, expected_attach_type=AttachType.CGROUP_INET_EGRESS
    )
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    with rx:
        with attach_cgroup(prog, cgroup_dir, AttachType.CGROUP_INET_EGRESS) as link:
            assert link.info().details["attach_type"] == AttachType.CGROUP_INET_EGRESS
            _cgroup_v2_sender(cgroup_dir, rx.getsockname()[1])
        assert read_counter(counter_map) >= 1
        after = read_counter(counter_map)
        _cgroup_v2_sender(cgroup_dir, rx.getsockname()[1])
        assert read_counter(counter_map) == after


def test_cgroup_link_update_swaps_the_program(counter_map: kernel.FD, cgroup_dir: Path) -> None:
    first = load_counter(
        ProgramType.CGROUP_SKB, counter_map, 1, expected_attach_type=AttachType.CGROUP_INET_EGRESS
    )
    second = load_counter(
        ProgramType.CGROUP_SKB, counter_map, 1, expected_attach_type=AttachType.CGROUP_INET_EGRESS
    )
    with attach_cgroup(first, cgroup_dir, AttachType.CGROUP_INET_EGRESS) as link:
        link.update(second, old_prog=first)
        assert link.info().prog_id == kernel.prog_info(second).id


def test_legacy_cgroup_attach_is_detached_on_close(counter_map: kernel.FD, cgroup_dir: Path) -> None:
    prog = load_counter(
        ProgramType.CGROUP_SKB, counter_map, 1, expected_attach_type=AttachType.CGROUP_INET_EGRESS
    )
    fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with attach_cgroup(prog, cgroup_dir, AttachType.CGROUP_INET_EGRESS, legacy=True):
            assert kernel.prog_query(fd, AttachType.CGROUP_INET_EGRESS).prog_ids == [
                kernel.prog_info(prog).id
            ]
        assert kernel.prog_query(fd, AttachType.CGROUP_INET_EGRESS).prog_ids == []
    finally:
        os.close(fd)


# -- XDP and tcx on veth, each end in its own namespace ------------------------------------------


@pytest.fixture
def veth_namespaces(bpf_ok: None) -> Iterator[tuple[str, str]]:
    with veth_pair() as names:
        yield names


def test_xdp_link_on_veth_sees_packets_from_the_peer_namespace(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str]
) -> None:
    a, b = veth_namespaces
    prog = load_counter(ProgramType.XDP, counter_map, XDP_PASS, expected_attach_type=AttachType.XDP)
    with in_netns(b):
        link = attach_xdp(prog, "pb", XDPFlags(0))
    with link:
        link_id = link.id
        send_udp(a, "10.213.0.2")
        assert read_counter(counter_map) >= 1
    assert link_gone(link_id)


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_tcx_link_on_veth_counts_traffic_in_its_direction(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str], direction: str
) -> None:
    a, b = veth_namespaces
    attach_type = AttachType.TCX_INGRESS if direction == "ingress" else AttachType.TCX_EGRESS
    prog = load_counter(ProgramType.SCHED_CLS, counter_map, TCX_NEXT, expected_attach_type=attach_type)
    with in_netns(b):
        try:
            link = attach_tcx(prog, "pb", direction)
        except kernel.NotSupportedByKernel as exc:
            require_kernel_feature(False, f"no tcx: {exc}")
            raise
    with link:
        assert link.info().details["attach_type"] == attach_type
        send_udp(a, "10.213.0.2")
        assert read_counter(counter_map) >= 1


def test_unknown_tcx_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="ingress"):
        attach_tcx(0, 1, "sideways")
