"""Links, legacy attach, queries and link info against the running kernel.

Attachments go to a fresh empty cgroup or a raw tracepoint whose program does nothing, so the
tests never change what the machine's processes see.
"""

from __future__ import annotations

import os
import struct

import pytest
from kernel_testlib import (
    ATTACH_CGROUP_INET_EGRESS,
    ATTACH_CGROUP_INET_INGRESS,
    MAP_ARRAY,
    PROG_CGROUP_SKB,
    PROG_RAW_TRACEPOINT,
    ret,
)

from pybpf import kernel
from pybpf.kernel import ObjectKind

pytestmark = pytest.mark.kernel

LINK_RAW_TRACEPOINT = 1
LINK_CGROUP = 3


@pytest.fixture
def skb_prog(bpf_ok: None) -> kernel.FD:
    return kernel.prog_load(
        PROG_CGROUP_SKB, ret(1), name="allow", expected_attach_type=ATTACH_CGROUP_INET_INGRESS
    )


def test_raw_tracepoint_link_reports_its_tracepoint_name(bpf_ok: None) -> None:
    with (
        kernel.prog_load(PROG_RAW_TRACEPOINT, ret(0)) as prog,
        kernel.raw_tracepoint_open("sys_enter", prog) as link,
    ):
        info = kernel.link_info(link)
        assert (info.type, info.prog_id) == (LINK_RAW_TRACEPOINT, kernel.prog_info(prog).id)
        assert info.details["tp_name"] == "sys_enter"


def test_task_fd_query_names_the_raw_tracepoint_behind_a_link_fd(bpf_ok: None) -> None:
    with (
        kernel.prog_load(PROG_RAW_TRACEPOINT, ret(0)) as prog,
        kernel.raw_tracepoint_open("sys_enter", prog) as link,
    ):
        found = kernel.task_fd_query(os.getpid(), link)
        assert (found.prog_id, found.fd_type, found.name) == (
            kernel.prog_info(prog).id,
            kernel.FDType.RAW_TRACEPOINT,
            "sys_enter",
        )


def test_raw_tracepoint_of_an_unknown_name_is_refused(bpf_ok: None) -> None:
    with kernel.prog_load(PROG_RAW_TRACEPOINT, ret(0)) as prog, pytest.raises(kernel.KernelError):
        kernel.raw_tracepoint_open("no_such_tracepoint_pybpf", prog)


def test_link_is_found_by_id_and_reopened(bpf_ok: None) -> None:
    with (
        kernel.prog_load(PROG_RAW_TRACEPOINT, ret(0)) as prog,
        kernel.raw_tracepoint_open("sys_exit", prog) as link,
    ):
        link_id = kernel.link_info(link).id
        assert link_id in set(kernel.ids(ObjectKind.LINK))
        with kernel.link_get_fd_by_id(link_id) as again:
            assert kernel.link_info(again).details["tp_name"] == "sys_exit"


def test_cgroup_link_is_listed_by_prog_query(cgroup_fd: int, skb_prog: kernel.FD) -> None:
    with skb_prog, kernel.link_create(skb_prog, cgroup_fd, ATTACH_CGROUP_INET_INGRESS) as link:
        info = kernel.link_info(link)
        assert (info.type, info.details["attach_type"]) == (LINK_CGROUP, ATTACH_CGROUP_INET_INGRESS)
        query = kernel.prog_query(cgroup_fd, ATTACH_CGROUP_INET_INGRESS)
        assert query.prog_ids == [kernel.prog_info(skb_prog).id]


def test_link_update_swaps_the_program(cgroup_fd: int, skb_prog: kernel.FD) -> None:
    other = kernel.prog_load(PROG_CGROUP_SKB, ret(0), expected_attach_type=ATTACH_CGROUP_INET_INGRESS)
    with skb_prog, other, kernel.link_create(skb_prog, cgroup_fd, ATTACH_CGROUP_INET_INGRESS) as link:
        kernel.link_update(link, other, old_prog_fd=skb_prog)
        assert kernel.link_info(link).prog_id == kernel.prog_info(other).id


def test_link_detach_empties_the_attach_point(cgroup_fd: int, skb_prog: kernel.FD) -> None:
    with skb_prog, kernel.link_create(skb_prog, cgroup_fd, ATTACH_CGROUP_INET_INGRESS) as link:
        kernel.link_detach(link)
        assert kernel.prog_query(cgroup_fd, ATTACH_CGROUP_INET_INGRESS).prog_ids == []


def test_closing_a_link_detaches_its_program(cgroup_fd: int, skb_prog: kernel.FD) -> None:
    with skb_prog:
        kernel.link_create(skb_prog, cgroup_fd, ATTACH_CGROUP_INET_INGRESS).close()
        assert kernel.prog_query(cgroup_fd, ATTACH_CGROUP_INET_INGRESS).prog_ids == []


def test_legacy_attach_and_detach_round_trip(cgroup_fd: int, bpf_ok: None) -> None:
    with kernel.prog_load(PROG_CGROUP_SKB, ret(1), expected_attach_type=ATTACH_CGROUP_INET_EGRESS) as prog:
        kernel.prog_attach(prog, cgroup_fd, ATTACH_CGROUP_INET_EGRESS, kernel.AttachFlags.ALLOW_MULTI)
        try:
            assert kernel.prog_query(cgroup_fd, ATTACH_CGROUP_INET_EGRESS).prog_ids == [
                kernel.prog_info(prog).id
            ]
        finally:
            kernel.prog_detach(cgroup_fd, ATTACH_CGROUP_INET_EGRESS, prog)
        assert kernel.prog_query(cgroup_fd, ATTACH_CGROUP_INET_EGRESS).prog_ids == []


def test_link_create_with_an_unknown_attach_type_raises_not_supported(
    cgroup_fd: int, skb_prog: kernel.FD
) -> None:
    with skb_prog, pytest.raises(kernel.NotSupportedByKernel, match="attach type 230"):
        kernel.link_create(skb_prog, cgroup_fd, 230)


def _insn(op: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", op, (src << 4) | dst, off, imm)


# bpf_map iterator: bpf_seq_write(ctx->meta->seq, "A", 1) once per map, and once at the end.
SEQ_WRITE_A = (
    _insn(0x79, 2, 1, 0)  # r2 = ctx->meta
    + _insn(0x79, 1, 2, 0)  # r1 = meta->seq
    + _insn(0x7A, 10, 0, -8, ord("A"))  # *(u64 *)(r10 - 8) = 'A'
    + _insn(0xBF, 2, 10)  # r2 = r10
    + _insn(0x07, 2, 0, 0, -8)  # r2 += -8
    + _insn(0xB7, 3, 0, 0, 1)  # r3 = 1
    + _insn(0x85, 0, 0, 0, 127)  # call bpf_seq_write
    + ret(0)
)
PROG_TRACING = 26
ATTACH_TRACE_ITER = 28
LINK_ITER = 4


def test_map_iterator_runs_once_per_map_and_once_at_the_end(bpf_ok: None) -> None:
    btf = pytest.importorskip("pybpf.btf")
    target = btf.BTF.vmlinux().find_id("bpf_iter_bpf_map")
    with (
        kernel.map_create(MAP_ARRAY, 4, 4, 1),
        kernel.prog_load(
            PROG_TRACING, SEQ_WRITE_A, expected_attach_type=ATTACH_TRACE_ITER, attach_btf_id=target
        ) as prog,
        kernel.link_create(prog, 0, ATTACH_TRACE_ITER) as link,
    ):
        info = kernel.link_info(link)
        assert (info.type, info.details["target_name"]) == (LINK_ITER, "bpf_map")
        with kernel.iter_create(link) as it:
            output = b""
            while chunk := os.read(int(it), 4096):
                output += chunk
    assert len(output) >= 2
    assert set(output) == {ord("A")}


def test_prog_query_grows_its_buffer_past_max_progs(cgroup_fd: int, bpf_ok: None) -> None:
    progs = [
        kernel.prog_load(PROG_CGROUP_SKB, ret(1), expected_attach_type=ATTACH_CGROUP_INET_INGRESS)
        for _ in range(3)
    ]
    links = [kernel.link_create(prog, cgroup_fd, ATTACH_CGROUP_INET_INGRESS) for prog in progs]
    try:
        found = kernel.prog_query(cgroup_fd, ATTACH_CGROUP_INET_INGRESS, max_progs=1).prog_ids
        assert sorted(found) == sorted(kernel.prog_info(p).id for p in progs)
    finally:
        for fd in links + progs:
            fd.close()
