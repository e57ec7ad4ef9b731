"""Walking the kernel's objects of one kind into records, as every ``list`` command does.

Objects come and go while we look: an id that no longer opens, or an fd whose info call fails,
is skipped rather than failing the whole listing (bpftool does the same).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from pybpf.kernel import FD, KernelError, ObjectKind, get_fd_by_id, ids

from .procfs import Owner, owners, pinned_paths


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


class Listed(Protocol):
    """A record that carries the object's info and is told where it is pinned and who holds it."""

    pinned: list[str]
    pids: list[Owner]

    @property
    def info(self) -> _Identified: ...


T = TypeVar("T")
R = TypeVar("R", bound=Listed)


def object_fds(kind: ObjectKind) -> Iterator[FD]:
    """An fd per object of ``kind``, skipping objects that vanish during the walk."""
    for ident in ids(kind):
        try:
            yield get_fd_by_id(kind, ident)
        except KernelError:
            continue


def read_each(fds: Iterable[FD], read: Callable[[FD], T]) -> list[T]:
    """``read(fd)`` for every fd (closing each), skipping objects the kernel no longer reports."""
    records: list[T] = []
    for fd in fds:
        with fd:
            try:
                records.append(read(fd))
            except KernelError:
                continue
    return records


def gather(
    kind: ObjectKind,
    fds: Iterable[FD],
    read: Callable[[FD], R],
    *,
    with_pinned: bool = False,
    with_pids: bool = True,
) -> list[R]:
    """Records for ``fds`` (closing each), with pinned paths and owners filled in when asked."""
    records = read_each(fds, read)
    pins = pinned_paths(kind) if with_pinned else {}
    holders = owners(kind) if with_pids else {}
    for rec in records:
        rec.pinned = sorted(pins.get(rec.info.id, []))
        rec.pids = holders.get(rec.info.id, [])
    return records


def closing_lines(rec: Listed, *, btf_id: int = 0) -> list[str]:
    """The last lines of bpftool's plain listing of one object: pins, its BTF id, its holders."""
    lines = [f"\tpinned {p}" for p in rec.pinned]
    if btf_id:
        lines.append(f"\tbtf_id {btf_id}")
    if rec.pids:
        lines.append("\tpids " + ", ".join(p.plain() for p in rec.pids))
    return lines


__all__ = ["Listed", "closing_lines", "gather", "object_fds", "read_each"]
