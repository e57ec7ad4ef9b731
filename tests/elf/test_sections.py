"""The SEC() name table: program type, expected attach type, flags and attach target."""

from __future__ import annotations

import pytest

from pybpf.elf import SECTION_DEFS, match_section
from pybpf.enums import AttachType as A
from pybpf.enums import ProgramType as P

CASES = [
    # section, program type, expected attach type, attach target
    ("socket", P.SOCKET_FILTER, None, ""),
    ("tp/syscalls/sys_enter_openat", P.TRACEPOINT, None, "syscalls/sys_enter_openat"),
    ("tracepoint/sched/sched_switch", P.TRACEPOINT, None, "sched/sched_switch"),
    ("raw_tp/sys_enter", P.RAW_TRACEPOINT, None, "sys_enter"),
    ("raw_tracepoint/sys_exit", P.RAW_TRACEPOINT, None, "sys_exit"),
    ("raw_tp.w/bpf_test_finish", P.RAW_TRACEPOINT_WRITABLE, None, "bpf_test_finish"),
    ("tp_btf/sched_switch", P.TRACING, A.TRACE_RAW_TP, "sched_switch"),
    ("kprobe/do_unlinkat", P.KPROBE, None, "do_unlinkat"),
    ("kretprobe/do_unlinkat", P.KPROBE, None, "do_unlinkat"),
    ("kprobe.multi/vfs_*", P.KPROBE, A.TRACE_KPROBE_MULTI, "vfs_*"),
    ("uprobe//bin/bash:readline", P.KPROBE, None, "/bin/bash:readline"),
    ("uretprobe//bin/bash:readline", P.KPROBE, None, "/bin/bash:readline"),
    ("uprobe.multi//bin/bash:read*", P.KPROBE, A.TRACE_UPROBE_MULTI, "/bin/bash:read*"),
    ("usdt/libc.so.6:libc:setjmp", P.KPROBE, None, "libc.so.6:libc:setjmp"),
    ("fentry/do_unlinkat", P.TRACING, A.TRACE_FENTRY, "do_unlinkat"),
    ("fexit/do_unlinkat", P.TRACING, A.TRACE_FEXIT, "do_unlinkat"),
    ("fmod_ret/security_file_open", P.TRACING, A.MODIFY_RETURN, "security_file_open"),
    ("lsm/file_open", P.LSM, A.LSM_MAC, "file_open"),
    ("lsm_cgroup/socket_bind", P.LSM, A.LSM_CGROUP, "socket_bind"),
    ("iter/task", P.TRACING, A.TRACE_ITER, "task"),
    ("xdp", P.XDP, A.XDP, ""),
    ("xdp.frags", P.XDP, A.XDP, ""),
    ("xdp/devmap", P.XDP, A.XDP_DEVMAP, ""),
    ("xdp/cpumap", P.XDP, A.XDP_CPUMAP, ""),
    ("tc", P.SCHED_CLS, None, ""),
    ("tcx/ingress", P.SCHED_CLS, A.TCX_INGRESS, ""),
    ("tcx/egress", P.SCHED_CLS, A.TCX_EGRESS, ""),
    ("netkit/primary", P.SCHED_CLS, A.NETKIT_PRIMARY, ""),
    ("classifier", P.SCHED_CLS, None, ""),
    ("action", P.SCHED_ACT, None, ""),
    ("sk_skb/stream_parser", P.SK_SKB, A.SK_SKB_STREAM_PARSER, ""),
    ("sk_skb/stream_verdict", P.SK_SKB, A.SK_SKB_STREAM_VERDICT, ""),
    ("sk_msg", P.SK_MSG, A.SK_MSG_VERDICT, ""),
    ("sk_lookup", P.SK_LOOKUP, A.SK_LOOKUP, ""),
    ("sk_reuseport", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, ""),
    ("cgroup_skb/ingress", P.CGROUP_SKB, A.CGROUP_INET_INGRESS, ""),
    ("cgroup_skb/egress", P.CGROUP_SKB, A.CGROUP_INET_EGRESS, ""),
    ("cgroup/skb", P.CGROUP_SKB, None, ""),
    ("cgroup/sock", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, ""),
    ("cgroup/sock_create", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, ""),
    ("cgroup/sock_release", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, ""),
    ("cgroup/post_bind4", P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, ""),
    ("cgroup/bind6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, ""),
    ("cgroup/connect4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, ""),
    ("cgroup/connect_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, ""),
    ("cgroup/sendmsg6", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, ""),
    ("cgroup/recvmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, ""),
    ("cgroup/getpeername6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, ""),
    ("cgroup/getsockname4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, ""),
    ("cgroup/sysctl", P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, ""),
    ("cgroup/getsockopt", P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, ""),
    ("cgroup/setsockopt", P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, ""),
    ("cgroup/dev", P.CGROUP_DEVICE, A.CGROUP_DEVICE, ""),
    ("sockops", P.SOCK_OPS, A.CGROUP_SOCK_OPS, ""),
    ("perf_event", P.PERF_EVENT, None, ""),
    ("struct_ops/dummy_init", P.STRUCT_OPS, None, "dummy_init"),
    ("syscall", P.SYSCALL, None, ""),
    ("flow_dissector", P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, ""),
    ("netfilter", P.NETFILTER, A.NETFILTER, ""),
    ("lwt_in", P.LWT_IN, None, ""),
    ("lwt_out", P.LWT_OUT, None, ""),
    ("lwt_xmit", P.LWT_XMIT, None, ""),
    ("lwt_seg6local", P.LWT_SEG6LOCAL, None, ""),
    ("lirc_mode2", P.LIRC_MODE2, A.LIRC_MODE2, ""),
]


@pytest.mark.parametrize(("section", "ptype", "attach", "target"), CASES)
def test_section_name_gives_program_type_attach_type_and_target(
    section: str, ptype: P, attach: A | None, target: str
) -> None:
    match = match_section(section)
    assert match is not None
    assert (match.definition.program_type, match.definition.expected_attach_type, match.target) == (
        ptype,
        attach,
        target,
    )


SLEEPABLE = [
    "uprobe.s//bin/sh:main",
    "fentry.s/do_unlinkat",
    "lsm.s/bprm_committed_creds",
    "iter.s/task",
    "syscall",
    "struct_ops.s/init",
]


@pytest.mark.parametrize("section", SLEEPABLE)
def test_sleepable_sections_are_marked_sleepable(section: str) -> None:
    match = match_section(section)
    assert match is not None and match.definition.sleepable


@pytest.mark.parametrize("section", ["xdp", "tp/a/b", "fentry/f", "socket"])
def test_ordinary_sections_are_not_sleepable(section: str) -> None:
    match = match_section(section)
    assert match is not None and not match.definition.sleepable


@pytest.mark.parametrize("section", ["xdp.frags", "xdp.frags/devmap", "xdp.frags/cpumap"])
def test_frags_sections_are_marked_xdp_frags(section: str) -> None:
    match = match_section(section)
    assert match is not None and match.definition.xdp_frags


@pytest.mark.parametrize(
    ("section", "auto_attach"),
    [
        ("tp/a/b", True),
        ("kprobe/f", True),
        ("fentry/f", True),
        ("xdp", False),
        ("tc", False),
        ("cgroup/dev", False),
    ],
)
def test_auto_attach_flag_follows_the_program_kind(section: str, auto_attach: bool) -> None:
    match = match_section(section)
    assert match is not None and match.definition.auto_attach is auto_attach


@pytest.mark.parametrize(
    "section", ["tpx", "tp_foo", "xdpx", "xdp/unknown", "kprobex/f", "cgroup/unknown", "", "sk_skbx"]
)
def test_names_outside_the_conventions_do_not_match(section: str) -> None:
    assert match_section(section) is None


def test_prefix_rows_require_a_target_after_the_slash() -> None:
    # "tp" alone matches the "tp+" row with an empty target, "tp_btf" must not match "tp+".
    assert match_section("tp") is not None
    match = match_section("tp_btf/x")
    assert match is not None and match.definition.program_type is P.TRACING


def test_table_rows_are_unique() -> None:
    patterns = [d.pattern for d in SECTION_DEFS]
    assert len(patterns) == len(set(patterns))
