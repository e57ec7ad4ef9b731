"""Network namespaces for the attach tests: a veth pair whose ends live in two namespaces.

Only namespace-local addresses (10.213.0.0/24) are used; the namespaces are removed afterwards.
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from attach_testlib import find_tool, require_kernel_feature

CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


@contextmanager
def in_netns(name: str) -> Iterator[None]:
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


def ip_tool() -> str:
    ip = find_tool("ip")
    require_kernel_feature(ip is not None, "no ip(8) tool")
    assert ip is not None
    return ip


@contextmanager
def veth_pair() -> Iterator[tuple[str, str]]:
    """Namespaces (a, b) joined by veth pa (10.213.0.1, in a) <-> pb (10.213.0.2, in b)."""
    ip = ip_tool()
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


def send_udp(namespace: str, address: str, count: int = 3) -> None:
    """Send datagrams from ``namespace``: the ARP exchange and the packets cross the veth pair."""
    with in_netns(namespace):
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sender:
        for _ in range(count):
            try:
                sender.sendto(b"pybpf", (address, 9))
            except OSError:
                pass  # unreachable until ARP resolves: still traffic on the wire
            time.sleep(0.05)
