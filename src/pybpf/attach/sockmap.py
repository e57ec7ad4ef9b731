"""sk_msg and sk_skb programs on a sockmap or sockhash.

These programs attach to the map, not to a socket: every socket put in the map runs them.
Since 6.10 the kernel offers a BPF link for that (pinnable, shown by ``pybpf link list``);
older kernels only have BPF_PROG_ATTACH, which stays until BPF_PROG_DETACH, so the fallback
link keeps the map and program fds it needs to detach on close.
"""

from __future__ import annotations

import errno as _errno
import os

from pybpf.enums import AttachType
from pybpf.kernel.errors import KernelError
from pybpf.kernel.fd import FD
from pybpf.kernel.links import link_create, prog_attach, prog_detach

from .link import FdSource, Link, fd_of

SOCKMAP_ATTACH_TYPES = frozenset(
    {
        AttachType.SK_MSG_VERDICT,
        AttachType.SK_SKB_STREAM_PARSER,
        AttachType.SK_SKB_STREAM_VERDICT,
        AttachType.SK_SKB_VERDICT,
    }
)
#: What a kernel without sockmap links answers BPF_LINK_CREATE with (ENOTSUPP is 524).
_NO_LINK = {_errno.EINVAL, _errno.EOPNOTSUPP, 524}


def attach_sockmap(prog: FdSource, sock_map: FdSource, attach_type: int, *, legacy: bool = False) -> Link:
    """Attach an sk_msg/sk_skb program to a sockmap or sockhash; ``close()`` detaches it.

    Uses a BPF link where the kernel has them, else (or with ``legacy=True``) BPF_PROG_ATTACH.
    """
    try:
        kind = AttachType(attach_type)
    except ValueError:
        kind = None
    if kind not in SOCKMAP_ATTACH_TYPES:
        names = ", ".join(sorted(t.name for t in SOCKMAP_ATTACH_TYPES))
        raise ValueError(f"attach type {attach_type} is not a sockmap attach type ({names})")
    assert kind is not None
    map_fd, prog_fd = fd_of(sock_map), fd_of(prog)
    if not legacy:
        try:
            fd = link_create(prog_fd, map_fd, kind)
        except KernelError as exc:
            if exc.errno not in _NO_LINK:
                raise
        else:
            return Link(f"sockmap {kind.name.lower()} map fd {map_fd}", bpf_links=[fd])
    prog_attach(prog_fd, map_fd, kind)
    kept_map = FD(os.dup(map_fd), "map")
    kept_prog = FD(os.dup(prog_fd), "prog")

    def undo() -> None:
        prog_detach(kept_map, kind, kept_prog)

    return Link(f"sockmap {kind.name.lower()} map fd {map_fd} (legacy)", fds=[kept_map, kept_prog], undo=undo)


__all__ = ["SOCKMAP_ATTACH_TYPES", "attach_sockmap"]
