"""``btf list|show``: BTF objects loaded in the kernel, and which programs and maps use them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.kernel import (
    FD,
    BTFInfo,
    KernelError,
    ObjectKind,
    btf_info,
    get_fd_by_id,
    ids,
    map_info,
    prog_info,
)

from . import records
from .procfs import Owner, owners


@dataclass
class BTFRecord:
    """One BTF object, with the programs and maps that refer to it."""

    info: BTFInfo
    prog_ids: list[int] = field(default_factory=list)
    map_ids: list[int] = field(default_factory=list)
    pids: list[Owner] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        i = self.info
        out: dict[str, Any] = {
            "id": i.id,
            "size": i.size,
            "prog_ids": list(self.prog_ids),
            "map_ids": list(self.map_ids),
            "kernel": i.kernel_btf,
        }
        if i.name:
            out["name"] = i.name
        if self.pids:
            out["pids"] = [p.json() for p in self.pids]
        return out

    def plain(self) -> str:
        i = self.info
        # bpftool brackets kernel BTF names: "name [vmlinux]".
        name = f"[{i.name}]" if i.kernel_btf and i.name else (i.name or "<anon>")
        line = f"{i.id}: name {name}  size {i.size}B"
        if self.prog_ids:
            line += "  prog_ids " + ",".join(map(str, self.prog_ids))
        if self.map_ids:
            line += "  map_ids " + ",".join(map(str, self.map_ids))
        if self.pids:
            line += "\n\tpids " + ", ".join(p.plain() for p in self.pids)
        return line


def all_fds() -> Iterator[FD]:
    """An fd per BTF object, skipping objects that vanish during the walk."""
    return records.object_fds(ObjectKind.BTF)


def _users() -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """BTF id -> ids of the programs, and of the maps, that carry it."""
    progs: dict[int, list[int]] = defaultdict(list)
    maps: dict[int, list[int]] = defaultdict(list)
    for kind, table in ((ObjectKind.PROG, progs), (ObjectKind.MAP, maps)):
        for ident in ids(kind):
            try:
                with get_fd_by_id(kind, ident) as fd:
                    btf_id = prog_info(fd).btf_id if kind is ObjectKind.PROG else map_info(fd).btf_id
            except KernelError:
                continue
            if btf_id:
                table[btf_id].append(ident)
    return progs, maps


def gather(fds: Iterable[FD], *, with_pids: bool = True) -> list[BTFRecord]:
    found = records.read_each(fds, lambda fd: BTFRecord(btf_info(fd)))
    progs, maps = _users()
    holders = owners(ObjectKind.BTF) if with_pids else {}
    for rec in found:
        rec.prog_ids = progs.get(rec.info.id, [])
        rec.map_ids = maps.get(rec.info.id, [])
        rec.pids = holders.get(rec.info.id, [])
    return found


__all__ = ["BTFRecord", "all_fds", "gather"]
