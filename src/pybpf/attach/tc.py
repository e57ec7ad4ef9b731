"""Classic tc: a ``bpf`` filter in direct-action mode on the clsact qdisc, set up by rtnetlink.

Kernels before 6.6 have no tcx links; there a sched_cls program hangs on a tc filter, which is
not a BPF object and does not go away when our fds close.  The link therefore keeps the netlink
socket it was made with (bound to that interface's namespace) and deletes the filter on close,
and the clsact qdisc too when we added it, our last filter on it is gone, and nobody else's is left.
"""

from __future__ import annotations

import os
import socket
import struct
import threading

from pybpf.errors import Error

from . import netlink as nl
from .link import FdSource, Link, fd_of
from .net import ifindex_of

RTM_NEWQDISC = 36
RTM_DELQDISC = 37
RTM_NEWTFILTER = 44
RTM_DELTFILTER = 45
RTM_GETTFILTER = 46
TCA_KIND = 1
TCA_OPTIONS = 2
TCA_BPF_FD = 6
TCA_BPF_NAME = 7
TCA_BPF_FLAGS = 8
TCA_BPF_FLAG_ACT_DIRECT = 1
#: The clsact qdisc: parent TC_H_CLSACT, handle TC_H_MAKE(TC_H_CLSACT, 0).
TC_H_CLSACT = 0xFFFFFFF1
CLSACT_HANDLE = 0xFFFF0000
#: Filter parents of its two hooks: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_{INGRESS,EGRESS}).
HOOKS = {"ingress": 0xFFFFFFF2, "egress": 0xFFFFFFF3}
#: htons(ETH_P_ALL): the filter sees every protocol.
ETH_P_ALL_BE = 0x0300

_TCMSG = struct.Struct("=BxxxiIII")

#: (netns inode, ifindex) -> how many of our live filters sit on a clsact qdisc that we added.
_owned_qdiscs: dict[tuple[int, int], int] = {}
_owned_lock = threading.Lock()


def tcmsg(ifindex: int, handle: int, parent: int, info: int) -> bytes:
    return _TCMSG.pack(socket.AF_UNSPEC, ifindex, handle, parent, info)


def filter_info(priority: int) -> int:
    """``tcm_info`` of a filter: priority in the high half, protocol in the low."""
    return (priority << 16) | ETH_P_ALL_BE


def bpf_filter_request(
    ifindex: int, parent: int, priority: int, handle: int, prog_fd: int, name: str
) -> bytes:
    """The body of RTM_NEWTFILTER adding a direct-action ``bpf`` filter."""
    options = (
        nl.u32_attribute(TCA_BPF_FD, prog_fd)
        + nl.string_attribute(TCA_BPF_NAME, name)
        + nl.u32_attribute(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)
    )
    return (
        tcmsg(ifindex, handle, parent, filter_info(priority))
        + nl.string_attribute(TCA_KIND, "bpf")
        + nl.attribute(TCA_OPTIONS | nl.NLA_F_NESTED, options)
    )


def _clsact(ifindex: int) -> bytes:
    return tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0) + nl.string_attribute(TCA_KIND, "clsact")


def _add_clsact(sock: nl.RtNetlink, ifindex: int) -> bool:
    """Add the clsact qdisc; False when it was already there."""
    try:
        sock.request(
            RTM_NEWQDISC, nl.NLM_F_CREATE | nl.NLM_F_EXCL, _clsact(ifindex), "adding the clsact qdisc"
        )
    except Error as exc:
        if exc.errno == 17:  # EEXIST
            return False
        raise
    return True


def _echoed_filter(echoed: list[tuple[int, bytes]]) -> tuple[int, int] | None:
    """(handle, priority) of the filter the kernel echoed back, when it did."""
    for kind, payload in echoed:
        if kind == RTM_NEWTFILTER and len(payload) >= _TCMSG.size:
            _family, _ifindex, handle, _parent, info = _TCMSG.unpack_from(payload)
            return handle, info >> 16
    return None


def _has_filters(sock: nl.RtNetlink, ifindex: int) -> bool:
    for parent in HOOKS.values():
        try:
            if any(
                kind == RTM_NEWTFILTER for kind, _ in sock.dump(RTM_GETTFILTER, tcmsg(ifindex, 0, parent, 0))
            ):
                return True
        except Error:
            continue
    return False


def _release_qdisc(key: tuple[int, int]) -> bool:
    """Count one of our filters off the qdisc; True when it was the last."""
    with _owned_lock:
        left = _owned_qdiscs.get(key, 1) - 1
        if left > 0:
            _owned_qdiscs[key] = left
            return False
        _owned_qdiscs.pop(key, None)
        return True


def attach_tc_classic(
    prog: FdSource,
    interface: int | str,
    direction: str = "ingress",
    *,
    priority: int = 0,
    handle: int = 0,
    name: str = "pybpf",
) -> Link:
    """Attach a sched_cls program as a direct-action tc filter (for kernels without tcx).

    ``priority`` and ``handle`` 0 let the kernel choose; the link learns what it chose (the
    request asks for an echo) so that ``close()`` deletes exactly this filter.
    """
    if direction not in HOOKS:
        raise ValueError(f"tc direction must be 'ingress' or 'egress', not {direction!r}")
    if not 0 <= priority <= 0xFFFF:
        raise ValueError(f"tc priority must fit 16 bits, not {priority}")
    index = ifindex_of(interface)
    parent = HOOKS[direction]
    sock = nl.RtNetlink()
    try:
        created = _add_clsact(sock, index)
        try:
            echoed = sock.request(
                RTM_NEWTFILTER,
                nl.NLM_F_CREATE | nl.NLM_F_EXCL | nl.NLM_F_ECHO,
                bpf_filter_request(index, parent, priority, handle, fd_of(prog), name),
                f"adding a bpf filter on ifindex {index} {direction}",
            )
        except Exception:
            if created:
                sock.request(RTM_DELQDISC, 0, _clsact(index), "removing the clsact qdisc")
            raise
    except Exception:
        sock.close()
        raise
    chosen = _echoed_filter(echoed) or (handle, priority)
    key = (os.stat("/proc/thread-self/ns/net").st_ino, index)
    with _owned_lock:
        shares = created or key in _owned_qdiscs
        if shares:
            _owned_qdiscs[key] = _owned_qdiscs.get(key, 0) + 1

    def undo() -> None:
        try:
            sock.request(
                RTM_DELTFILTER,
                0,
                tcmsg(index, chosen[0], parent, filter_info(chosen[1]))
                + nl.string_attribute(TCA_KIND, "bpf"),
                "removing the bpf filter",
            )
            if shares and _release_qdisc(key) and not _has_filters(sock, index):
                sock.request(RTM_DELQDISC, 0, _clsact(index), "removing the clsact qdisc")
        finally:
            sock.close()

    return Link(f"tc {direction} ifindex {index} prio {chosen[1]} handle {chosen[0]:#x}", undo=undo)


__all__ = ["attach_tc_classic", "bpf_filter_request", "filter_info"]
