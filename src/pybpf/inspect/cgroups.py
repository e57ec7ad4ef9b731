"""``cgroup list|tree``: programs attached to cgroups (cgroup v2), found with BPF_PROG_QUERY."""

from __future__ import annotations

import errno as _errno
import os
from typing import Any

from pybpf._dataclasses import dataclass
from pybpf.enums import AttachType
from pybpf.kernel import KernelError, prog_get_fd_by_id, prog_info

from .errors import InspectError
from .names import attach_type_name
from .query import prog_query

#: The attach types whose target is a cgroup, in bpftool's order (the enum's).
CGROUP_ATTACH_TYPES = tuple(
    t for t in AttachType if t.name.startswith("CGROUP_") or t is AttachType.LSM_CGROUP
)
QUERY_EFFECTIVE = 1 << 0
_FLAGS = {0: "", 1 << 0: "override", 1 << 1: "multi"}


@dataclass(frozen=True)
class Attached:
    """One program attached to a cgroup for one attach type."""

    prog_id: int
    attach_type: int
    attach_flags: int
    name: str
    attach_btf_obj_id: int
    attach_btf_id: int

    @property
    def flags_text(self) -> str:
        return _FLAGS.get(self.attach_flags, f"{self.attach_flags:#x}")

    def json(self) -> dict[str, Any]:
        return {
            "id": self.prog_id,
            "attach_type": attach_type_name(self.attach_type) or self.attach_type,
            "attach_flags": self.flags_text,
            "name": self.name,
            "attach_btf_name": "",
            "attach_btf_obj_id": self.attach_btf_obj_id,
            "attach_btf_id": self.attach_btf_id,
        }

    def plain(self, indent: str = "") -> str:
        kind = attach_type_name(self.attach_type) or str(self.attach_type)
        return f"{indent}{self.prog_id:<8} {kind:<15} {self.flags_text:<15} {self.name:<15}"


HEADER = f"{'ID':<8} {'AttachType':<15} {'AttachFlags':<15} {'Name':<15}"


def cgroup2_root() -> str | None:
    """Where cgroup v2 is mounted (``/sys/fs/cgroup`` or ``/sys/fs/cgroup/unified``)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 2 and fields[2] == "cgroup2":
                    return fields[1]
    except OSError:
        pass
    return None


def attached(path: str, *, effective: bool = False) -> list[Attached]:
    """Programs attached to the cgroup at ``path``, every cgroup attach type."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise InspectError(f"cannot open cgroup {path}: {exc.strerror}", errno=exc.errno) from None
    out: list[Attached] = []
    try:
        for attach_type in CGROUP_ATTACH_TYPES:
            try:
                result = prog_query(fd, attach_type, QUERY_EFFECTIVE if effective else 0)
            except KernelError as exc:
                if exc.errno in (_errno.EINVAL, _errno.EBADF, _errno.ENOTSUP, _errno.EOPNOTSUPP):
                    continue
                raise
            for ident in result.prog_ids:
                out.append(_describe(ident, attach_type, result.attach_flags))
    finally:
        os.close(fd)
    return out


def _describe(ident: int, attach_type: int, flags: int) -> Attached:
    try:
        with prog_get_fd_by_id(ident) as pfd:
            info = prog_info(pfd)
        return Attached(ident, attach_type, flags, info.name, info.attach_btf_obj_id, info.attach_btf_id)
    except KernelError:
        return Attached(ident, attach_type, flags, "", 0, 0)


def tree(root: str | None = None, *, effective: bool = False) -> list[tuple[str, list[Attached]]]:
    """Every cgroup under ``root`` (default: the cgroup v2 mount) that has programs attached."""
    base = root or cgroup2_root()
    if base is None:
        raise InspectError("cgroup v2 is not mounted")
    out: list[tuple[str, list[Attached]]] = []
    for dirpath, _dirs, _files in os.walk(base):
        try:
            found = attached(dirpath, effective=effective)
        except InspectError:
            continue
        if found:
            out.append((dirpath, found))
    return out


__all__ = ["CGROUP_ATTACH_TYPES", "HEADER", "Attached", "attached", "cgroup2_root", "tree"]
