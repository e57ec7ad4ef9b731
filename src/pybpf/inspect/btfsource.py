"""Where ``btf dump`` reads BTF from: a kernel BTF object by id, or the BTF a program or map carries.

bpftool's ``btf dump (id N | prog PROG | map MAP | file F)``: for a program or map the BTF is the
one its loader gave it (``btf_id`` in its info).  A kernel module's BTF is split BTF whose type
ids continue vmlinux's, so it can only be read on top of vmlinux.
"""

from __future__ import annotations

from collections.abc import Sequence

from pybpf._dataclasses import dataclass
from pybpf.kernel import BTFInfo, ObjectKind, btf_info, map_info, prog_info

from . import select
from .errors import InspectError, SelectorError


@dataclass(frozen=True)
class KernelBTF:
    """The raw bytes of one loaded BTF object, and whether they are split BTF on top of vmlinux."""

    btf_id: int
    data: bytes
    split: bool


def _btf_id_of(kind: ObjectKind, words: Sequence[str]) -> tuple[int, list[str]]:
    selector, rest = select.parse(kind, words)
    with select.open_one(selector) as fd:
        btf_id = prog_info(fd).btf_id if kind is ObjectKind.PROG else map_info(fd).btf_id
    if not btf_id:
        raise InspectError(f"{selector.describe()} has no BTF")
    return btf_id, rest


def read_kernel_btf(btf_id: int) -> KernelBTF:
    """Fetch BTF object ``btf_id`` from the kernel."""
    with select.open_one(select.Selector(ObjectKind.BTF, "id", str(btf_id))) as fd:
        info = btf_info(fd, data=True)
    if info.data is None:
        raise InspectError(f"the kernel returned no data for BTF id {btf_id}")
    return KernelBTF(btf_id, info.data, split=is_split(info))


def is_split(info: BTFInfo) -> bool:
    """Kernel BTF other than vmlinux's is a module's, split on top of vmlinux."""
    return info.kernel_btf and info.name not in ("", "vmlinux")


def resolve(words: Sequence[str]) -> tuple[KernelBTF, list[str]]:
    """``id N``, ``prog PROG`` or ``map MAP`` at the start of ``words``; the BTF and the words after."""
    if not words:
        raise SelectorError("expected: id N | prog PROG | map MAP | file FILE")
    source, rest = words[0], list(words[1:])
    if source == "id":
        if not rest or not rest[0].isdigit():
            raise SelectorError("btf id takes a number")
        return read_kernel_btf(int(rest[0])), rest[1:]
    if source in ("prog", "map"):
        btf_id, after = _btf_id_of(ObjectKind.PROG if source == "prog" else ObjectKind.MAP, rest)
        return read_kernel_btf(btf_id), after
    raise SelectorError(f"unknown BTF source {source!r}: expected id, prog, map or file")


__all__ = ["KernelBTF", "is_split", "read_kernel_btf", "resolve"]
