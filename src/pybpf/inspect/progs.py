"""``prog list|show``: every loaded program as bpftool shows it.

A :class:`ProgRecord` holds what the kernel reports (info plus fdinfo); ``plain()`` renders
bpftool's text and ``json()`` its ``-j`` object with the same keys in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.kernel import FD, ObjectKind, ProgInfo, prog_info

from . import records
from .names import prog_type_name
from .procfs import Owner, boot_to_wallclock, fdinfo, format_wallclock


@dataclass
class ProgRecord:
    """One program: its info, memlock from fdinfo, and optionally pins and owning processes."""

    info: ProgInfo
    memlock: int | None
    pinned: list[str] = field(default_factory=list)
    pids: list[Owner] = field(default_factory=list)

    @property
    def type_name(self) -> str | None:
        return prog_type_name(self.info.type)

    def json(self) -> dict[str, Any]:
        i = self.info
        out: dict[str, Any] = {"id": i.id, "type": self.type_name or i.type}
        if i.name:
            out["name"] = i.name
        out["tag"] = i.tag_hex
        out["gpl_compatible"] = i.gpl_compatible
        if i.run_time_ns:
            out["run_time_ns"] = i.run_time_ns
            out["run_cnt"] = i.run_cnt
        if i.recursion_misses:
            out["recursion_misses"] = i.recursion_misses
        if i.ifindex:
            out["dev"] = {"ifindex": i.ifindex, "ns_dev": i.netns_dev, "ns_inode": i.netns_ino}
        if i.load_time:
            out["loaded_at"] = boot_to_wallclock(i.load_time)
            out["uid"] = i.created_by_uid
        out["bytes_xlated"] = i.xlated_prog_len
        out["jited"] = bool(i.jited_prog_len)
        if i.jited_prog_len:
            out["bytes_jited"] = i.jited_prog_len
        if self.memlock is not None:
            out["bytes_memlock"] = self.memlock
        if i.map_ids:
            out["map_ids"] = list(i.map_ids)
        if self.pinned:
            out["pinned"] = list(self.pinned)
        if i.btf_id:
            out["btf_id"] = i.btf_id
        if self.pids:
            out["pids"] = [p.json() for p in self.pids]
        return out

    def plain(self) -> str:
        i = self.info
        head = f"{i.id}: " + (f"{self.type_name}  " if self.type_name else f"type {i.type}  ")
        if i.name:
            head += f"name {i.name}  "
        head += f"tag {i.tag_hex}"
        if i.ifindex:
            head += f"  offloaded_to ifindex {i.ifindex}"
        if i.gpl_compatible:
            head += "  gpl"
        if i.run_time_ns:
            head += f" run_time_ns {i.run_time_ns} run_cnt {i.run_cnt}"
        if i.recursion_misses:
            head += f" recursion_misses {i.recursion_misses}"
        lines = [head]
        if i.load_time:
            when = format_wallclock(boot_to_wallclock(i.load_time))
            lines.append(f"\tloaded_at {when}  uid {i.created_by_uid}")
        sizes = f"\txlated {i.xlated_prog_len}B"
        sizes += f"  jited {i.jited_prog_len}B" if i.jited_prog_len else "  not jited"
        if self.memlock is not None:
            sizes += f"  memlock {self.memlock}B"
        if i.map_ids:
            sizes += "  map_ids " + ",".join(str(m) for m in i.map_ids)
        lines.append(sizes)
        lines.extend(records.closing_lines(self, btf_id=i.btf_id))
        return "\n".join(lines)


def _memlock(fd: FD) -> int | None:
    value = fdinfo(fd).get("memlock", "")
    return int(value) if value.isdigit() else None


def record(fd: FD) -> ProgRecord:
    """The record of the program behind ``fd`` (its full name from BTF, as bpftool shows it)."""
    info = prog_info(fd)
    if len(info.name) == 15:
        from pybpf._dataclasses import replace

        from .xlated import full_name

        info = replace(info, name=full_name(fd, info.name))
    return ProgRecord(info=info, memlock=_memlock(fd))


def all_fds() -> Iterator[FD]:
    """An fd per loaded program, skipping programs that vanish during the walk."""
    return records.object_fds(ObjectKind.PROG)


def gather(fds: Iterable[FD], *, with_pinned: bool = False, with_pids: bool = True) -> list[ProgRecord]:
    """Records for ``fds`` (closing each), with pinned paths and owners filled in when asked."""
    return records.gather(ObjectKind.PROG, fds, record, with_pinned=with_pinned, with_pids=with_pids)


__all__ = ["ProgRecord", "all_fds", "gather", "record"]
