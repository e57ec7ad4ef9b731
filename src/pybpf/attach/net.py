"""Networking attachments: XDP, tcx, cgroup programs and socket filters.

XDP and tcx links name the device by ifindex (given as a number or an interface name); cgroup
links need an fd of the cgroup v2 directory, which is closed again once the link holds it.
"""

from __future__ import annotations

import os
import socket
import weakref

from pybpf.enums import AttachType
from pybpf.kernel.fd import FD
from pybpf.kernel.links import link_create, prog_attach, prog_detach

from .._enum import KernelIntFlag
from .link import FdSource, Link, fd_of

SO_ATTACH_BPF = 50
SO_DETACH_BPF = 27


class XDPFlags(KernelIntFlag):
    """``XDP_FLAGS_*`` of if_link.h (the mode bits and the update guard)."""

    UPDATE_IF_NOEXIST = 1 << 0
    SKB_MODE = 1 << 1
    DRV_MODE = 1 << 2
    HW_MODE = 1 << 3
    REPLACE = 1 << 4


def ifindex_of(interface: int | str) -> int:
    """An interface index from an index or a name (``lo``, ``veth0``)."""
    if isinstance(interface, int):
        return interface
    try:
        return socket.if_nametoindex(interface)
    except OSError:
        raise LookupError(f"no network interface named {interface!r}") from None


def attach_xdp(prog: FdSource, interface: int | str, flags: int = 0) -> Link:
    """Attach an XDP program to an interface through a BPF link (``flags``: :class:`XDPFlags`)."""
    index = ifindex_of(interface)
    fd = link_create(fd_of(prog), index, AttachType.XDP, flags)
    return Link(f"xdp ifindex {index}", bpf_links=[fd])


def attach_tcx(
    prog: FdSource,
    interface: int | str,
    direction: str = "ingress",
    *,
    flags: int = 0,
    relative_fd: int = 0,
    expected_revision: int = 0,
) -> Link:
    """Attach a sched_cls program to the tcx ``ingress`` or ``egress`` hook of an interface."""
    types = {"ingress": AttachType.TCX_INGRESS, "egress": AttachType.TCX_EGRESS}
    if direction not in types:
        raise ValueError(f"tcx direction must be 'ingress' or 'egress', not {direction!r}")
    index = ifindex_of(interface)
    fd = link_create(
        fd_of(prog),
        index,
        types[direction],
        flags,
        relative_fd=relative_fd,
        expected_revision=expected_revision,
    )
    return Link(f"tcx {direction} ifindex {index}", bpf_links=[fd])


def _open_cgroup(cgroup: str | os.PathLike[str] | int) -> tuple[int, bool]:
    if isinstance(cgroup, int):
        return cgroup, False
    return os.open(cgroup, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), True


def attach_cgroup(
    prog: FdSource,
    cgroup: str | os.PathLike[str] | int,
    attach_type: int,
    *,
    flags: int = 0,
    legacy: bool = False,
) -> Link:
    """Attach a cgroup program (skb, sock, sock_addr, sysctl...) to a cgroup v2 directory.

    ``legacy=True`` uses BPF_PROG_ATTACH (``flags``: ALLOW_MULTI...) and detaches on close.
    """
    cg_fd, owned = _open_cgroup(cgroup)
    try:
        if not legacy:
            fd = link_create(fd_of(prog), cg_fd, attach_type, flags)
            return Link(f"cgroup {cgroup} attach type {attach_type}", bpf_links=[fd])
        prog_attach(fd_of(prog), cg_fd, attach_type, flags)
        kept = FD(os.dup(cg_fd), "cgroup")
        prog_ref = FD(os.dup(fd_of(prog)), "prog")

        def undo() -> None:
            prog_detach(kept, attach_type, prog_ref)

        return Link(f"cgroup {cgroup} attach type {attach_type} (legacy)", fds=[kept, prog_ref], undo=undo)
    finally:
        if owned:
            os.close(cg_fd)


def attach_socket_filter(prog: FdSource, sock: socket.socket | int) -> Link:
    """Attach a socket filter program to ``sock`` (SO_ATTACH_BPF); close() detaches it.

    Given a socket object the link does not keep it open (closing the socket drops the filter);
    given an fd number the link holds a duplicate of it until closed.
    """
    if isinstance(sock, int):
        sock = socket.socket(fileno=os.dup(sock))
        owned = sock
    else:
        owned = None
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_BPF, fd_of(prog))
    if owned is not None:
        fd = FD(owned.detach(), "socket")

        def undo_owned() -> None:
            with socket.socket(fileno=os.dup(fd.raw)) as again:
                again.setsockopt(socket.SOL_SOCKET, SO_DETACH_BPF, 0)

        return Link(f"socket filter fd {fd.raw}", fds=[fd], undo=undo_owned)
    ref = weakref.ref(sock)

    def undo() -> None:
        target = ref()
        if target is not None and target.fileno() >= 0:
            target.setsockopt(socket.SOL_SOCKET, SO_DETACH_BPF, 0)

    return Link(f"socket filter fd {sock.fileno()}", undo=undo)


__all__ = [
    "SO_ATTACH_BPF",
    "SO_DETACH_BPF",
    "XDPFlags",
    "attach_cgroup",
    "attach_socket_filter",
    "attach_tcx",
    "attach_xdp",
    "ifindex_of",
]
