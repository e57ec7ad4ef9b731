"""``link list|show|pin|detach``: BPF links as bpftool shows them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.enums import LinkType
from pybpf.kernel import FD, LinkInfo, ObjectKind, link_info

from . import records
from .names import attach_type_name, link_type_name
from .procfs import Owner

# The order bpftool prints each link type's own fields in, and which of them are attach types.
_DETAIL_ORDER = (
    "tp_name",
    "target_name",
    "map_id",
    "attach_type",
    "target_obj_id",
    "target_btf_id",
    "cgroup_id",
    "netns_ino",
    "ifindex",
)


@dataclass
class LinkRecord:
    """One link: its info, plus pins and owners when asked."""

    info: LinkInfo
    pinned: list[str] = field(default_factory=list)
    pids: list[Owner] = field(default_factory=list)

    def _details(self) -> list[tuple[str, Any]]:
        d = self.info.details
        out: list[tuple[str, Any]] = []
        for key in _DETAIL_ORDER:
            if key not in d:
                continue
            value = d[key]
            if key == "attach_type" and isinstance(value, int):
                value = attach_type_name(value) or value
            out.append((key, value))
        return out

    def json(self) -> dict[str, Any]:
        i = self.info
        out: dict[str, Any] = {"id": i.id, "type": link_type_name(i.type) or i.type, "prog_id": i.prog_id}
        out.update(self._details())
        if self.pinned:
            out["pinned"] = list(self.pinned)
        if self.pids:
            out["pids"] = [p.json() for p in self.pids]
        return out

    def plain(self) -> str:
        i = self.info
        kind = link_type_name(i.type)
        head = f"{i.id}: " + (f"{kind}  " if kind else f"type {i.type}  ") + f"prog {i.prog_id}  "
        parts = []
        for key, value in self._details():
            if key == "tp_name":
                parts.append(f"tp '{value}'  ")
            else:
                parts.append(f"{key} {value}  ")
        lines = [head]
        if parts:
            lines.append("\t" + "".join(parts))
        lines.extend(records.closing_lines(self))
        return "\n".join(lines)


def all_fds() -> Iterator[FD]:
    """An fd per link, skipping links that vanish during the walk."""
    return records.object_fds(ObjectKind.LINK)


def _record(fd: FD) -> LinkRecord:
    return LinkRecord(link_info(fd))


def gather(fds: Iterable[FD], *, with_pinned: bool = False, with_pids: bool = True) -> list[LinkRecord]:
    return records.gather(ObjectKind.LINK, fds, _record, with_pinned=with_pinned, with_pids=with_pids)


__all__ = ["LinkRecord", "LinkType", "all_fds", "gather"]
