"""XDP, tc and socket filter programs loaded from C give the expected BPF_PROG_TEST_RUN results."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from load_testlib import ETH_IPV4, ETH_IPV6, SKB_MARK, ethernet, ipv4, skb_ctx

import pybpf.runtime
from pybpf.runtime import Object

pytestmark = pytest.mark.kernel

DST = bytes.fromhex("0a0b0c0d0e0f")
SRC = bytes.fromhex("020406080a0c")
XDP_TX = 3


@pytest.fixture
def packets(bpf_ok: None, build_object: Callable[[str], Path]) -> Iterator[Object]:
    with pybpf.runtime.load(build_object("packets")) as obj:
        yield obj


def test_xdp_program_bounces_the_frame_with_addresses_swapped(packets: Object) -> None:
    frame = ethernet(DST, SRC, ETH_IPV4, ipv4(17, bytes(8)))
    result = packets.programs["xdp_bounce"].test_run(frame)
    assert result.retval == XDP_TX
    assert result.data == SRC + DST + frame[12:]


def test_tc_program_writes_the_packet_length_into_the_output_context_mark(packets: Object) -> None:
    frame = ethernet(DST, SRC, ETH_IPV4, ipv4(6, bytes(30)))
    result = packets.programs["tc_mark"].test_run(frame, ctx=skb_ctx())
    assert result.retval == 0
    assert struct.unpack_from("<I", result.ctx, SKB_MARK)[0] == len(frame)


@pytest.mark.parametrize(
    ("ethertype", "expected"),
    [(ETH_IPV4, 64), (ETH_IPV6, 0), (0x0806, 0)],
    ids=["ipv4-kept", "ipv6-dropped", "arp-dropped"],
)
def test_socket_filter_keeps_only_ipv4(packets: Object, ethertype: int, expected: int) -> None:
    frame = ethernet(DST, SRC, ethertype, bytes(60))
    assert packets.programs["sock_ipv4"].test_run(frame).retval == expected


def test_loaded_program_info_names_the_program_and_its_type(packets: Object) -> None:
    prog = packets.programs["xdp_bounce"]
    info = prog.info
    assert (info.name, info.type) == ("xdp_bounce", int(prog.type))
    assert info.nr_line_info > 0


def test_log_level_keeps_the_verifier_log_of_a_successful_load(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    with pybpf.runtime.load(build_object("packets"), log_level=2) as obj:
        assert "processed" in obj.programs["xdp_bounce"].verifier_log


def test_program_pinned_in_bpffs_is_the_same_kernel_program(packets: Object, bpffs_dir: Path) -> None:
    from pybpf.kernel import obj_get, prog_info

    prog = packets.programs["sock_ipv4"]
    prog.pin(bpffs_dir / "sock_ipv4")
    with obj_get(bpffs_dir / "sock_ipv4") as fd:
        assert prog_info(fd).id == prog.id
