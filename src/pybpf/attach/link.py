"""``Link``: one attachment, owning every fd that keeps it alive.

An attachment may hang on a BPF link fd, a perf event fd, both (tracepoints: the link refers to
the perf event), several (one perf event per CPU), or on no fd at all (a socket filter lives on
the socket).  Callers should not have to know which: ``close()`` undoes it, exactly once, and the
garbage collector does the same as a backstop.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

from pybpf._closing import Closing
from pybpf.errors import Error
from pybpf.kernel.fd import FD
from pybpf.kernel.info import LinkInfo, link_info
from pybpf.kernel.links import link_detach, link_update
from pybpf.kernel.objects import ObjectKind, ids, obj_get, obj_pin


@runtime_checkable
class HasFD(Protocol):
    """Anything with an ``fd`` attribute: the loader's ``Program``/``Map`` objects."""

    @property
    def fd(self) -> FD | int: ...


FdSource = FD | int | HasFD


class AttachError(Error):
    """An attachment could not be made for a reason that is not a failed syscall."""


class LinkClosed(AttachError):
    """An operation on a link that has been closed."""


def fd_of(obj: FdSource) -> int:
    """The fd number of an :class:`FD`, an int, or an object with ``.fd`` (program, map)."""
    if isinstance(obj, (FD, int)):
        return int(obj)
    return int(obj.fd)


def _release(undo: Callable[[], None] | None, fds: list[FD]) -> None:
    try:
        if undo is not None:
            undo()
    except Exception:  # detaching at exit/GC must not raise
        pass
    for fd in reversed(fds):
        fd.close()


class Link(Closing):
    """An attached program; ``close()`` detaches (idempotent), also via ``with`` or at GC.

    ``bpf_links`` are BPF link fds (pinnable, updatable); ``fds`` every fd owned, in the order
    they were opened; ``undo`` runs first on close for attachments without a link fd.
    """

    def __init__(
        self,
        description: str,
        *,
        bpf_links: Sequence[FD] = (),
        fds: Sequence[FD] = (),
        undo: Callable[[], None] | None = None,
    ) -> None:
        self.description = description
        self._bpf_links = list(bpf_links)
        owned = list(fds)
        # Link fds close before the perf events they refer to.
        owned.extend(fd for fd in self._bpf_links if all(fd is not other for other in owned))
        self._fds = owned
        self._finalizer = weakref.finalize(self, _release, undo, owned)

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def _check(self) -> None:
        if self.closed:
            raise LinkClosed(f"link {self.description} is closed")

    @property
    def fd(self) -> FD:
        """The BPF link fd, else the first fd owned."""
        self._check()
        if self._bpf_links:
            return self._bpf_links[0]
        if self._fds:
            return self._fds[0]
        raise AttachError(f"link {self.description} holds no file descriptor")

    @property
    def fds(self) -> list[FD]:
        return list(self._fds)

    @property
    def bpf_links(self) -> list[FD]:
        return list(self._bpf_links)

    def _link_fd(self, what: str) -> FD:
        self._check()
        if not self._bpf_links:
            raise AttachError(f"{self.description} is not a BPF link (no link fd): cannot {what}")
        return self._bpf_links[0]

    @property
    def id(self) -> int:
        """The kernel's link id (as ``bpftool link`` shows)."""
        return self.info().id

    def info(self) -> LinkInfo:
        return link_info(self._link_fd("read link info"))

    def ids(self) -> list[int]:
        """Ids of every BPF link this attachment holds (several for per-CPU perf events)."""
        self._check()
        return [link_info(fd).id for fd in self._bpf_links]

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin on bpffs: the attachment then outlives this process until the pin is removed."""
        if len(self._bpf_links) > 1:
            raise AttachError(f"{self.description} holds {len(self._bpf_links)} links; pin them one by one")
        obj_pin(self._link_fd("pin"), path)

    def update(self, new_prog: FdSource, *, old_prog: FdSource | None = None) -> None:
        """Replace the program atomically (where the link type allows it: XDP, cgroup, tcx, iter...)."""
        for fd in self._bpf_links or [self._link_fd("update")]:
            link_update(fd, fd_of(new_prog), old_prog_fd=fd_of(old_prog) if old_prog is not None else None)

    def detach(self) -> None:
        """Detach now while keeping the fds (BPF_LINK_DETACH); ``close()`` still needed."""
        for fd in self._bpf_links or [self._link_fd("detach")]:
            link_detach(fd)

    def close(self) -> None:
        """Detach and release every fd; later calls do nothing."""
        self._finalizer()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ", ".join(str(fd.raw) for fd in self._fds if not fd.closed)
        return f"<{type(self).__name__} {self.description} [{state}]>"


def open_pinned_link(path: str | os.PathLike[str]) -> Link:
    """A :class:`Link` for a link pinned on bpffs; closing it leaves the pin (and attachment)."""
    fd = obj_get(path)
    fd.kind = "link"
    return Link(f"pinned {os.fspath(path)}", bpf_links=[fd])


def link_ids() -> Iterator[int]:
    """Ids of every BPF link alive in the system."""
    return ids(ObjectKind.LINK)


__all__ = ["AttachError", "FdSource", "HasFD", "Link", "LinkClosed", "fd_of", "link_ids", "open_pinned_link"]
