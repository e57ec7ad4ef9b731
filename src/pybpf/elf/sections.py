"""``SEC()`` names → program type, expected attach type and flags.

The table mirrors the conventions libbpf established (and that every BPF C program in the wild
follows), so an object written for libbpf gets the same program types here.  Matching rules, in
table order, first match wins:

* ``"name"``: the section name must equal it exactly;
* ``"name+"``: exactly ``name``, or ``name/<target>``;
* ``"name/"``: must start with ``name/`` (the target is mandatory).

What follows the prefix's ``/`` is the attach target (``tp/syscalls/sys_enter_open`` →
``syscalls/sys_enter_open``): attaching needs it, parsing only records it.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, set_field

from ..enums import AttachType, ProgramType

#: The sections holding struct_ops maps (``SEC(".struct_ops.link")`` ones are attached as links).
STRUCT_OPS_SECTIONS = (".struct_ops", ".struct_ops.link")

P = ProgramType
A = AttachType


@dataclass(frozen=True, slots=True, init=False)
class SectionDef:
    """One row of the table.

    ``attach_btf``: the target names a kernel (or program) BTF function, resolved at load time.
    ``auto_attach``: ``attach_all()`` can attach such a program from its section name alone.
    ``attachable``: attached with ``BPF_PROG_ATTACH``/links to a cgroup, socket, netdev... chosen by
    the caller, so the section name gives the attach type but not the place.
    """

    pattern: str
    program_type: ProgramType
    expected_attach_type: AttachType | None = None
    sleepable: bool = False
    xdp_frags: bool = False
    attach_btf: bool = False
    auto_attach: bool = False
    attachable: bool = False
    usdt: bool = False

    @property
    def prefix(self) -> str:
        return self.pattern.rstrip("+")

    def match(self, section: str) -> str | None:
        """The attach target text if ``section`` matches this row (``""`` when none), else None."""
        pattern = self.pattern
        if pattern.endswith("/"):
            return section[len(pattern) :] if section.startswith(pattern) else None
        if pattern.endswith("+"):
            prefix = pattern[:-1]
            if section == prefix:
                return ""
            if section.startswith(prefix + "/"):
                return section[len(prefix) + 1 :]
            return None
        return "" if section == pattern else None

    def __init__(
        self,
        pattern: str,
        program_type: ProgramType,
        expected_attach_type: AttachType | None = None,
        sleepable: bool = False,
        xdp_frags: bool = False,
        attach_btf: bool = False,
        auto_attach: bool = False,
        attachable: bool = False,
        usdt: bool = False,
    ) -> None:
        set_field(self, "pattern", pattern)
        set_field(self, "program_type", program_type)
        set_field(self, "expected_attach_type", expected_attach_type)
        set_field(self, "sleepable", sleepable)
        set_field(self, "xdp_frags", xdp_frags)
        set_field(self, "attach_btf", attach_btf)
        set_field(self, "auto_attach", auto_attach)
        set_field(self, "attachable", attachable)
        set_field(self, "usdt", usdt)


def _d(
    pattern: str,
    ptype: ProgramType,
    atype: AttachType | None = None,
    /,
    **flags: bool,
) -> SectionDef:
    return SectionDef(pattern, ptype, atype, **flags)


_AUTO = {"auto_attach": True}
_BTF = {"attach_btf": True, "auto_attach": True}
_BTF_S = {"attach_btf": True, "auto_attach": True, "sleepable": True}
_ATT = {"attachable": True}

SECTION_DEFS: tuple[SectionDef, ...] = (
    _d("socket", P.SOCKET_FILTER),
    _d("sk_reuseport/migrate", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, **_ATT),
    _d("sk_reuseport", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, **_ATT),
    _d("kprobe+", P.KPROBE, **_AUTO),
    _d("uprobe+", P.KPROBE, **_AUTO),
    _d("uprobe.s+", P.KPROBE, sleepable=True, auto_attach=True),
    _d("kretprobe+", P.KPROBE, **_AUTO),
    _d("uretprobe+", P.KPROBE, **_AUTO),
    _d("uretprobe.s+", P.KPROBE, sleepable=True, auto_attach=True),
    _d("kprobe.multi+", P.KPROBE, A.TRACE_KPROBE_MULTI, **_AUTO),
    _d("kretprobe.multi+", P.KPROBE, A.TRACE_KPROBE_MULTI, **_AUTO),
    _d("kprobe.session+", P.KPROBE, A.TRACE_KPROBE_SESSION, **_AUTO),
    _d("uprobe.multi+", P.KPROBE, A.TRACE_UPROBE_MULTI, **_AUTO),
    _d("uretprobe.multi+", P.KPROBE, A.TRACE_UPROBE_MULTI, **_AUTO),
    _d("uprobe.session+", P.KPROBE, A.TRACE_UPROBE_SESSION, **_AUTO),
    _d("uprobe.multi.s+", P.KPROBE, A.TRACE_UPROBE_MULTI, sleepable=True, auto_attach=True),
    _d("uretprobe.multi.s+", P.KPROBE, A.TRACE_UPROBE_MULTI, sleepable=True, auto_attach=True),
    _d("uprobe.session.s+", P.KPROBE, A.TRACE_UPROBE_SESSION, sleepable=True, auto_attach=True),
    _d("ksyscall+", P.KPROBE, **_AUTO),
    _d("kretsyscall+", P.KPROBE, **_AUTO),
    _d("usdt+", P.KPROBE, usdt=True, auto_attach=True),
    _d("usdt.s+", P.KPROBE, usdt=True, sleepable=True, auto_attach=True),
    _d("tc/ingress", P.SCHED_CLS, A.TCX_INGRESS),
    _d("tc/egress", P.SCHED_CLS, A.TCX_EGRESS),
    _d("tcx/ingress", P.SCHED_CLS, A.TCX_INGRESS),
    _d("tcx/egress", P.SCHED_CLS, A.TCX_EGRESS),
    _d("tc", P.SCHED_CLS),
    _d("classifier", P.SCHED_CLS),
    _d("action", P.SCHED_ACT),
    _d("netkit/primary", P.SCHED_CLS, A.NETKIT_PRIMARY),
    _d("netkit/peer", P.SCHED_CLS, A.NETKIT_PEER),
    _d("tracepoint+", P.TRACEPOINT, **_AUTO),
    _d("tp+", P.TRACEPOINT, **_AUTO),
    _d("raw_tracepoint+", P.RAW_TRACEPOINT, **_AUTO),
    _d("raw_tp+", P.RAW_TRACEPOINT, **_AUTO),
    _d("raw_tracepoint.w+", P.RAW_TRACEPOINT_WRITABLE, **_AUTO),
    _d("raw_tp.w+", P.RAW_TRACEPOINT_WRITABLE, **_AUTO),
    _d("tp_btf+", P.TRACING, A.TRACE_RAW_TP, **_BTF),
    _d("fentry+", P.TRACING, A.TRACE_FENTRY, **_BTF),
    _d("fmod_ret+", P.TRACING, A.MODIFY_RETURN, **_BTF),
    _d("fexit+", P.TRACING, A.TRACE_FEXIT, **_BTF),
    _d("fentry.s+", P.TRACING, A.TRACE_FENTRY, **_BTF_S),
    _d("fmod_ret.s+", P.TRACING, A.MODIFY_RETURN, **_BTF_S),
    _d("fexit.s+", P.TRACING, A.TRACE_FEXIT, **_BTF_S),
    _d("freplace+", P.EXT, **_BTF),
    _d("lsm+", P.LSM, A.LSM_MAC, **_BTF),
    _d("lsm.s+", P.LSM, A.LSM_MAC, **_BTF_S),
    _d("lsm_cgroup+", P.LSM, A.LSM_CGROUP, attach_btf=True),
    _d("iter+", P.TRACING, A.TRACE_ITER, **_BTF),
    _d("iter.s+", P.TRACING, A.TRACE_ITER, **_BTF_S),
    _d("syscall", P.SYSCALL, sleepable=True),
    _d("xdp.frags/devmap", P.XDP, A.XDP_DEVMAP, xdp_frags=True),
    _d("xdp/devmap", P.XDP, A.XDP_DEVMAP, **_ATT),
    _d("xdp.frags/cpumap", P.XDP, A.XDP_CPUMAP, xdp_frags=True),
    _d("xdp/cpumap", P.XDP, A.XDP_CPUMAP, **_ATT),
    _d("xdp.frags", P.XDP, A.XDP, xdp_frags=True),
    _d("xdp", P.XDP, A.XDP, **_ATT),
    _d("perf_event", P.PERF_EVENT),
    _d("lwt_in", P.LWT_IN),
    _d("lwt_out", P.LWT_OUT),
    _d("lwt_xmit", P.LWT_XMIT),
    _d("lwt_seg6local", P.LWT_SEG6LOCAL),
    _d("sockops", P.SOCK_OPS, A.CGROUP_SOCK_OPS, **_ATT),
    _d("sk_skb/stream_parser", P.SK_SKB, A.SK_SKB_STREAM_PARSER, **_ATT),
    _d("sk_skb/stream_verdict", P.SK_SKB, A.SK_SKB_STREAM_VERDICT, **_ATT),
    _d("sk_skb/verdict", P.SK_SKB, A.SK_SKB_VERDICT, **_ATT),
    _d("sk_skb", P.SK_SKB),
    _d("sk_msg", P.SK_MSG, A.SK_MSG_VERDICT, **_ATT),
    _d("lirc_mode2", P.LIRC_MODE2, A.LIRC_MODE2, **_ATT),
    _d("flow_dissector", P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, **_ATT),
    _d("cgroup_skb/ingress", P.CGROUP_SKB, A.CGROUP_INET_INGRESS, **_ATT),
    _d("cgroup_skb/egress", P.CGROUP_SKB, A.CGROUP_INET_EGRESS, **_ATT),
    _d("cgroup/skb", P.CGROUP_SKB),
    _d("cgroup/sock_create", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, **_ATT),
    _d("cgroup/sock_release", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, **_ATT),
    _d("cgroup/sock", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, **_ATT),
    _d("cgroup/post_bind4", P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, **_ATT),
    _d("cgroup/post_bind6", P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, **_ATT),
    _d("cgroup/bind4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, **_ATT),
    _d("cgroup/bind6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, **_ATT),
    _d("cgroup/connect4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, **_ATT),
    _d("cgroup/connect6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, **_ATT),
    _d("cgroup/connect_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, **_ATT),
    _d("cgroup/sendmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, **_ATT),
    _d("cgroup/sendmsg6", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, **_ATT),
    _d("cgroup/sendmsg_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, **_ATT),
    _d("cgroup/recvmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, **_ATT),
    _d("cgroup/recvmsg6", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, **_ATT),
    _d("cgroup/recvmsg_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, **_ATT),
    _d("cgroup/getpeername4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, **_ATT),
    _d("cgroup/getpeername6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, **_ATT),
    _d("cgroup/getpeername_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, **_ATT),
    _d("cgroup/getsockname4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, **_ATT),
    _d("cgroup/getsockname6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, **_ATT),
    _d("cgroup/getsockname_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, **_ATT),
    _d("cgroup/sysctl", P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, **_ATT),
    _d("cgroup/getsockopt", P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, **_ATT),
    _d("cgroup/setsockopt", P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, **_ATT),
    _d("cgroup/dev", P.CGROUP_DEVICE, A.CGROUP_DEVICE, **_ATT),
    _d("struct_ops+", P.STRUCT_OPS),
    _d("struct_ops.s+", P.STRUCT_OPS, sleepable=True),
    _d("sk_lookup", P.SK_LOOKUP, A.SK_LOOKUP, **_ATT),
    _d("netfilter", P.NETFILTER, A.NETFILTER),
)


@dataclass(frozen=True, slots=True, init=False)
class SectionMatch:
    """A section name resolved against the table."""

    definition: SectionDef
    target: str

    def __init__(self, definition: SectionDef, target: str) -> None:
        set_field(self, "definition", definition)
        set_field(self, "target", target)


def match_section(section: str) -> SectionMatch | None:
    """The table row for a program section name, or None when no convention claims it."""
    for definition in SECTION_DEFS:
        target = definition.match(section)
        if target is not None:
            return SectionMatch(definition, target)
    return None


__all__ = ["SECTION_DEFS", "SectionDef", "SectionMatch", "match_section"]
