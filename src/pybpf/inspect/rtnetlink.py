"""Reading links with their XDP programs and tc filters over rtnetlink.

The socket client is the attach package's (:mod:`pybpf.attach.netlink`); only dump requests
are sent from here.  Replies are parsed defensively, because a truncated or odd attribute must
not turn ``net list`` into a traceback.
"""

from __future__ import annotations

import errno as _errno
import socket
import struct

from pybpf._dataclasses import dataclass
from pybpf.attach import netlink
from pybpf.attach.netlink import attributes

from .errors import InspectError

RTM_NEWLINK = 16
RTM_GETLINK = 18
RTM_NEWTFILTER = 44
RTM_GETTFILTER = 46
IFLA_IFNAME = 3
IFLA_XDP = 43
IFLA_XDP_ATTACHED = 2
IFLA_XDP_PROG_ID = 4
IFLA_XDP_DRV_PROG_ID = 5
IFLA_XDP_SKB_PROG_ID = 6
IFLA_XDP_HW_PROG_ID = 7
TCA_KIND = 1
TCA_OPTIONS = 2
TCA_BPF_NAME = 7
TCA_BPF_FLAGS = 8
TCA_BPF_TAG = 10
TCA_BPF_ID = 11
TCA_BPF_FLAG_ACT_DIRECT = 1
#: tc parents of the clsact qdisc's two hooks: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_{INGRESS,EGRESS}).
TC_INGRESS = 0xFFFFFFF2
TC_EGRESS = 0xFFFFFFF3

_IFINFO = struct.Struct("=BxHiII")
_TCMSG = struct.Struct("=BxxxiIII")
_u32 = netlink.u32_of
_string = netlink.string_of


class RtNetlink(netlink.RtNetlink):
    """The attach package's client, failing with :class:`InspectError` as inspection commands do."""

    error_class = InspectError


@dataclass(frozen=True)
class Interface:
    ifindex: int
    name: str
    xdp: list[tuple[str, int]]  # (mode, program id)


_XDP_MODES = {IFLA_XDP_DRV_PROG_ID: "driver", IFLA_XDP_SKB_PROG_ID: "generic", IFLA_XDP_HW_PROG_ID: "offload"}
_ATTACHED_MODE = {1: "driver", 2: "generic", 3: "offload"}


def interfaces(nl: RtNetlink) -> list[Interface]:
    """Every interface of this network namespace, with its XDP programs by mode."""
    out: list[Interface] = []
    for kind, payload in nl.dump(RTM_GETLINK, _IFINFO.pack(socket.AF_UNSPEC, 0, 0, 0, 0)):
        if kind != RTM_NEWLINK or len(payload) < _IFINFO.size:
            continue
        ifindex = _IFINFO.unpack_from(payload)[2]
        attrs = attributes(payload, _IFINFO.size)
        xdp: list[tuple[str, int]] = []
        nested = attrs.get(IFLA_XDP)
        if nested:
            x = attributes(nested)
            attached = x.get(IFLA_XDP_ATTACHED, b"\0")[:1]
            mode = attached[0] if attached else 0
            if mode == 4:  # several modes at once: each has its own id
                for key, name in _XDP_MODES.items():
                    prog = _u32(x, key)
                    if prog:
                        xdp.append((name, prog))
            elif mode in _ATTACHED_MODE:
                prog = _u32(x, IFLA_XDP_PROG_ID)
                if prog:
                    xdp.append((_ATTACHED_MODE[mode], prog))
        out.append(Interface(ifindex, _string(attrs.get(IFLA_IFNAME)), xdp))
    return sorted(out, key=lambda i: i.ifindex)


@dataclass(frozen=True)
class TcFilter:
    ifindex: int
    hook: str  # "ingress" / "egress"
    kind: str
    name: str
    prog_id: int
    direct_action: bool
    tag: str


def tc_filters(nl: RtNetlink, ifindex: int) -> list[TcFilter]:
    """The ``bpf`` filters on the clsact hooks of one interface."""
    out: list[TcFilter] = []
    for hook, parent in (("ingress", TC_INGRESS), ("egress", TC_EGRESS)):
        try:
            replies = list(nl.dump(RTM_GETTFILTER, _TCMSG.pack(socket.AF_UNSPEC, ifindex, 0, parent, 0)))
        except InspectError as exc:
            if exc.errno in (_errno.EINVAL, _errno.ENOENT, _errno.EOPNOTSUPP):
                continue  # no clsact qdisc on this interface
            raise
        for kind, payload in replies:
            if kind != RTM_NEWTFILTER or len(payload) < _TCMSG.size:
                continue
            attrs = attributes(payload, _TCMSG.size)
            if _string(attrs.get(TCA_KIND)) != "bpf":
                continue
            opts = attributes(attrs.get(TCA_OPTIONS, b""))
            prog = _u32(opts, TCA_BPF_ID)
            if not prog:
                continue
            flags = _u32(opts, TCA_BPF_FLAGS) or 0
            out.append(
                TcFilter(
                    ifindex,
                    hook,
                    "bpf",
                    _string(opts.get(TCA_BPF_NAME)),
                    prog,
                    bool(flags & TCA_BPF_FLAG_ACT_DIRECT),
                    opts.get(TCA_BPF_TAG, b"").hex(),
                )
            )
    return out


__all__ = ["Interface", "RtNetlink", "TcFilter", "attributes", "interfaces", "tc_filters"]
