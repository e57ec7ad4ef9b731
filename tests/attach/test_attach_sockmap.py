"""sk_msg and sk_skb verdict programs on a sockmap, with TCP sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from attach_testlib import link_gone, load_counter, read_counter, require_kernel_feature

from pybpf import kernel
from pybpf.attach import attach_sockmap
from pybpf.enums import AttachType, MapType, ProgramType

pytestmark = pytest.mark.kernel

SK_PASS = 1


@contextmanager
def _tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client, server) of one TCP connection over loopback."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname(), timeout=5)
        server, _ = listener.accept()
    server.settimeout(5)
    with client, server:
        yield client, server


@pytest.fixture(params=[MapType.SOCKMAP, MapType.SOCKHASH], ids=["sockmap", "sockhash"])
def sock_map(request: pytest.FixtureRequest, bpf_ok: None) -> Iterator[kernel.FD]:
    with kernel.map_create(request.param, 4, 4, 2, name="socks") as fd:
        yield fd


def _put(sock_map: kernel.FD, slot: int, sock: socket.socket) -> None:
    kernel.map_update(sock_map, struct.pack("=I", slot), struct.pack("=I", sock.fileno()))


CASES = [
    # (attach type, program type, the socket that runs it: sender for sk_msg, receiver for sk_skb)
    (AttachType.SK_MSG_VERDICT, ProgramType.SK_MSG, "client"),
    (AttachType.SK_SKB_STREAM_VERDICT, ProgramType.SK_SKB, "server"),
    (AttachType.SK_SKB_VERDICT, ProgramType.SK_SKB, "server"),
]


@pytest.mark.parametrize("legacy", [False, True], ids=["link", "prog_attach"])
@pytest.mark.parametrize(("attach_type", "prog_type", "side"), CASES)
def test_verdict_program_on_the_sockmap_counts_traffic_of_sockets_put_in_it(
    counter_map: kernel.FD,
    sock_map: kernel.FD,
    attach_type: AttachType,
    prog_type: ProgramType,
    side: str,
    legacy: bool,
) -> None:
    prog = load_counter(prog_type, counter_map, SK_PASS, expected_attach_type=attach_type)
    with attach_sockmap(prog, sock_map, attach_type, legacy=legacy), _tcp_pair() as (client, server):
        _put(sock_map, 0, client if side == "client" else server)
        client.sendall(b"pybpf")
        assert server.recv(16) == b"pybpf"
        assert read_counter(counter_map) >= 1


@pytest.mark.parametrize("legacy", [False, True], ids=["link", "prog_attach"])
def test_after_close_sockets_put_in_the_map_no_longer_run_the_program(
    counter_map: kernel.FD, sock_map: kernel.FD, legacy: bool
) -> None:
    prog = load_counter(
        ProgramType.SK_MSG, counter_map, SK_PASS, expected_attach_type=AttachType.SK_MSG_VERDICT
    )
    attach_sockmap(prog, sock_map, AttachType.SK_MSG_VERDICT, legacy=legacy).close()
    with _tcp_pair() as (client, server):
        _put(sock_map, 0, client)
        client.sendall(b"pybpf")
        assert server.recv(16) == b"pybpf"
    assert read_counter(counter_map) == 0


def test_this_kernel_gives_a_bpf_link_that_goes_away_on_close(
    counter_map: kernel.FD, sock_map: kernel.FD
) -> None:
    prog = load_counter(
        ProgramType.SK_MSG, counter_map, SK_PASS, expected_attach_type=AttachType.SK_MSG_VERDICT
    )
    link = attach_sockmap(prog, sock_map, AttachType.SK_MSG_VERDICT)
    with link:
        require_kernel_feature(bool(link.bpf_links), "no sockmap links (kernel before 6.10)")
        link_id = link.id
    assert link_gone(link_id)


@pytest.mark.parametrize("attach_type", [AttachType.XDP, AttachType.CGROUP_INET_INGRESS, 999])
def test_an_attach_type_that_is_not_for_sockmaps_is_refused(attach_type: int) -> None:
    with pytest.raises(ValueError, match="sockmap"):
        attach_sockmap(0, 0, attach_type)


@pytest.mark.parametrize("section", ["sk_msg", "sk_skb/stream_verdict", "sk_skb/verdict"])
def test_auto_attach_points_sockmap_sections_to_attach_sockmap(section: str) -> None:
    from types import SimpleNamespace

    from pybpf.run.autoattach import NotAutoAttachable, attach_program

    with pytest.raises(NotAutoAttachable, match="attach_sockmap"):
        attach_program(SimpleNamespace(name="p", section=section, fd=0))
