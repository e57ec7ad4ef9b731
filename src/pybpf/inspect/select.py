"""bpftool's object selectors: ``id N``, ``pinned PATH``, ``name NAME``, ``tag TAG``.

A selector is the first two words of a command's arguments; ``name`` and ``tag`` may match
several objects (bpftool acts on all of them for ``show`` and refuses the ambiguity elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from pybpf._dataclasses import dataclass
from pybpf.errors import Error
from pybpf.kernel import FD, KernelError, ObjectKind, get_fd_by_id, ids, obj_get
from pybpf.kernel.info import map_info, prog_info

from .errors import SelectorError

_KEYWORDS = {
    ObjectKind.PROG: ("id", "pinned", "name", "tag"),
    ObjectKind.MAP: ("id", "pinned", "name"),
    ObjectKind.LINK: ("id", "pinned"),
    ObjectKind.BTF: ("id",),
}


@dataclass(frozen=True)
class Selector:
    """One parsed selector; ``describe()`` is how error messages name it."""

    kind: ObjectKind
    keyword: str
    value: str

    def describe(self) -> str:
        return f"{self.kind.value} {self.keyword} {self.value}"


def parse(kind: ObjectKind, words: Sequence[str]) -> tuple[Selector, list[str]]:
    """The selector at the start of ``words`` and the words after it."""
    allowed = _KEYWORDS[kind]
    if len(words) < 2:
        raise SelectorError(f"expected a {kind.value} selector: {' | '.join(k + ' ...' for k in allowed)}")
    keyword, value = words[0], words[1]
    if keyword not in allowed:
        raise SelectorError(f"unknown {kind.value} selector {keyword!r} (expected {', '.join(allowed)})")
    if keyword == "id" and not value.isdigit():
        raise SelectorError(f"{kind.value} id must be a number, not {value!r}")
    if keyword == "tag":
        try:
            if len(bytes.fromhex(value)) != 8:
                raise ValueError
        except ValueError:
            raise SelectorError(f"a program tag is 16 hex digits, not {value!r}") from None
    return Selector(kind, keyword, value), list(words[2:])


# A link fd from BPF_OBJ_GET is named "bpf-link", one from the creating call "bpf_link".
_ANON_NAMES = {
    ObjectKind.PROG: ("anon_inode:bpf-prog",),
    ObjectKind.MAP: ("anon_inode:bpf-map",),
    ObjectKind.LINK: ("anon_inode:bpf_link", "anon_inode:bpf-link"),
}


def _kind_of_fd(fd: FD, kind: ObjectKind) -> bool:
    # OBJ_GET_INFO_BY_FD answers for any BPF fd whatever info struct it is given, so ask the
    # anon inode's name instead.
    try:
        target = os.readlink(f"/proc/self/fd/{int(fd)}")
    except OSError:
        return False
    return target in _ANON_NAMES.get(kind, ())


def _by_attribute(selector: Selector) -> list[FD]:
    found: list[FD] = []
    for ident in ids(selector.kind):
        try:
            fd = get_fd_by_id(selector.kind, ident)
        except KernelError:
            continue  # gone since the id walk
        try:
            if selector.kind is ObjectKind.PROG:
                info = prog_info(fd)
                hit = (
                    info.name == selector.value
                    if selector.keyword == "name"
                    else info.tag_hex == selector.value.lower()
                )
            else:
                hit = map_info(fd).name == selector.value
        except Error:
            hit = False
        if hit:
            found.append(fd)
        else:
            fd.close()
    return found


def open_all(selector: Selector) -> list[FD]:
    """Owned fds of every object the selector matches; raises :class:`SelectorError` for none."""
    if selector.keyword == "id":
        try:
            return [get_fd_by_id(selector.kind, int(selector.value))]
        except KernelError as exc:
            raise SelectorError(f"no {selector.describe()}: {exc}", errno=exc.errno) from None
    if selector.keyword == "pinned":
        try:
            fd = obj_get(selector.value)
        except KernelError as exc:
            raise SelectorError(f"cannot open {selector.describe()}: {exc}", errno=exc.errno) from None
        if not _kind_of_fd(fd, selector.kind):
            fd.close()
            raise SelectorError(f"{selector.value} is not a pinned {selector.kind.value}")
        return [fd]
    found = _by_attribute(selector)
    if not found:
        raise SelectorError(f"no {selector.describe()}")
    return found


def open_one(selector: Selector) -> FD:
    """The single object the selector names; several matches are an error, as in bpftool."""
    found = open_all(selector)
    if len(found) > 1:
        for fd in found:
            fd.close()
        raise SelectorError(f"{selector.describe()} matches {len(found)} objects; use id")
    return found[0]


__all__ = ["Selector", "open_all", "open_one", "parse"]
