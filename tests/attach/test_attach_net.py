"""Networking attachments: socket filters, cgroup skb, XDP and tcx on a veth pair in namespaces."""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from attach_testlib import find_tool, link_gone, load_counter, read_counter, require_kernel_feature

from pybpf import kernel
from pybpf.attach import XDPFlags, attach_cgroup, attach_socket_filter, attach_tcx, attach_xdp
from pybpf.enums import AttachType, ProgramType

pytestmark = pytest.mark.kernel

CLONE_NEWNET = 0x40000000
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

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


@contextmanager
def _in_netns(name: str) -> Iterator[None]:
    """Run the body with this thread in network namespace ``name`` (setns), then come back."""
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            _libc.setns(original, CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(original)


@pytest.fixture
def veth_namespaces(bpf_ok: None) -> Iterator[tuple[str, str]]:
    """Namespaces (a, b) joined by veth pa (10.213.0.1, in a) <-> pb (10.213.0.2, in b)."""
    ip = find_tool("ip")
    require_kernel_feature(ip is not None, "no ip(8) tool")
    assert ip is not None
    tag = os.urandom(3).hex()
    a, b = f"pybpf-a-{tag}", f"pybpf-b-{tag}"

    def run(*args: str) -> None:
        subprocess.run([ip, *args], check=True, capture_output=True, timeout=30)

    try:
        run("netns", "add", a)
        run("netns", "add", b)
        run("-n", a, "link", "add", "pa", "type", "veth", "peer", "name", "pb", "netns", b)
        run("-n", a, "addr", "add", "10.213.0.1/24", "dev", "pa")
        run("-n", b, "addr", "add", "10.213.0.2/24", "dev", "pb")
        run("-n", a, "link", "set", "pa", "up")
        run("-n", b, "link", "set", "pb", "up")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            state = subprocess.run([ip, "-n", b, "-o", "link", "show", "pb"], capture_output=True, text=True)
            if "state UP" in state.stdout:
                break
            time.sleep(0.05)
    except subprocess.CalledProcessError as exc:
        for ns in (a, b):
            subprocess.run([ip, "netns", "del", ns], capture_output=True)
        require_kernel_feature(False, f"cannot set up veth namespaces: {exc.stderr!r}")
    try:
        yield a, b
    finally:
        for ns in (a, b):
            subprocess.run([ip, "netns", "del", ns], capture_output=True, timeout=30)


def _send_udp(namespace: str, address: str, count: int = 3) -> None:
    """Send datagrams from ``namespace``: the ARP exchange and the packets cross the veth pair."""
    with _in_netns(namespace):
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sender:
        for _ in range(count):
            try:
                sender.sendto(b"pybpf", (address, 9))
            except OSError:
                pass  # unreachable until ARP resolves: still traffic on the wire
            time.sleep(0.05)


def test_xdp_link_on_veth_sees_packets_from_the_peer_namespace(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str]
) -> None:
    a, b = veth_namespaces
    prog = load_counter(ProgramType.XDP, counter_map, XDP_PASS, expected_attach_type=AttachType.XDP)
    with _in_netns(b):
        link = attach_xdp(prog, "pb", XDPFlags(0))
    with link:
        link_id = link.id
        _send_udp(a, "10.213.0.2")
        assert read_counter(counter_map) >= 1
    assert link_gone(link_id)


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_tcx_link_on_veth_counts_traffic_in_its_direction(
    counter_map: kernel.FD, veth_namespaces: tuple[str, str], direction: str
) -> None:
    a, b = veth_namespaces
    attach_type = AttachType.TCX_INGRESS if direction == "ingress" else AttachType.TCX_EGRESS
    prog = load_counter(ProgramType.SCHED_CLS, counter_map, TCX_NEXT, expected_attach_type=attach_type)
    with _in_netns(b):
        try:
            link = attach_tcx(prog, "pb", direction)
        except kernel.NotSupportedByKernel as exc:
            require_kernel_feature(False, f"no tcx: {exc}")
            raise
    with link:
        assert link.info().details["attach_type"] == attach_type
        _send_udp(a, "10.213.0.2")
        assert read_counter(counter_map) >= 1


def test_unknown_tcx_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="ingress"):
        attach_tcx(0, 1, "sideways")
