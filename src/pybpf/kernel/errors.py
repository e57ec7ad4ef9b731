"""Typed errors for failed ``bpf()`` calls.

A raw errno says little: ``EINVAL`` from a map create, ``EACCES`` from the verifier and ``ENOENT``
from a lookup mean very different things to the caller.  The one table below turns (command,
errno) into a class a caller can catch, and every message names the command so that a failure deep
inside a loader still says which syscall went wrong.
"""

from __future__ import annotations

import errno as _errno
import os

from pybpf._dataclasses import dataclass
from pybpf._typing import TYPE_CHECKING
from pybpf.errors import Error, NotSupported

# The kernel's internal "operation not supported" (include/linux/errno.h); it leaks to userspace
# from several map operations and has no name in the errno module.
ENOTSUPP = 524


class KernelError(Error):
    """A ``bpf()`` command failed; ``errno`` and the command's name are kept.

    ``processed`` is set by batch operations: how many elements went through before the error;
    ``program`` by the loader: the name of the program whose load failed.
    """

    processed: int | None = None
    program: str | None = None

    def __init__(self, message: str, *, errno: int, command: str = "") -> None:
        name = _errno.errorcode.get(errno, "ENOTSUPP" if errno == ENOTSUPP else str(errno))
        prefix = f"{command}: " if command else ""
        super().__init__(f"{prefix}{message} [{name}]", errno=errno)
        self.command = command
        self.reason = message


class KeyNotFound(KernelError, KeyError):
    """Lookup or delete of a key the map does not hold (``ENOENT``); also a ``KeyError``."""

    def __str__(self) -> str:
        # KeyError's own __str__ would show repr(message) in quotes.
        return self.message


class ObjectNotFound(KernelError, LookupError):
    """No program/map/link/BTF with that id, or nothing pinned at that path (``ENOENT``)."""


class KeyExists(KernelError):
    """Update with ``BPF_NOEXIST`` of a key that is already present (``EEXIST``)."""


class MapFull(KernelError):
    """The map has no room for another element (``E2BIG`` on update, ``ENOSPC``)."""


class InvalidArgument(KernelError):
    """The kernel rejected an argument (``EINVAL``, ``EBADF``, ``EFAULT``...)."""


class Busy(KernelError):
    """The object is in use (``EBUSY``): an attach point already taken, a map being frozen."""


class PermissionDenied(KernelError):
    """The caller lacks a capability (``EPERM``/``EACCES``); the message says which one."""

    def __init__(self, message: str, *, errno: int, command: str = "", capability: str = "") -> None:
        super().__init__(message, errno=errno, command=command)
        self.capability = capability


class NotSupportedByKernel(KernelError, NotSupported):
    """The running kernel does not know a type, flag or attribute field; ``feature`` names it."""

    def __init__(self, message: str, *, errno: int, command: str = "", feature: str = "") -> None:
        super().__init__(message, errno=errno, command=command)
        self.feature = feature


# Verifier log patterns, compiled when a log is read: a load that succeeds never needs re.
_INSN_LINE = r"^(\d+): \([0-9a-f]{2}\)"
_INSN_MENTION = r"\binsn (?:idx )?(\d+)"
_STATS_LINE = r"^(processed \d+ insns|verification time|stack depth|mark_precise)"

if TYPE_CHECKING:
    from collections.abc import Callable

    SourceLookup = Callable[[int], "str | None"]


class VerifierError(KernelError):
    """The verifier rejected a program: the whole log, the failing instruction and a short summary.

    The loader knows the program's line_info; :meth:`add_source` lets it attach the C source line
    of the failing instruction without this layer knowing anything about BTF.
    """

    def __init__(
        self,
        message: str,
        *,
        errno: int,
        log: str,
        command: str = "BPF_PROG_LOAD",
        summary_lines: int = 6,
        truncated: bool = False,
    ) -> None:
        self.log = log
        self.truncated = truncated
        self.insn_index = failing_instruction(log)
        self.summary = summarize_log(log, summary_lines)
        self.source_line: str | None = None
        self._base = message
        super().__init__(self._compose(), errno=errno, command=command)

    def _compose(self) -> str:
        parts = [self._base]
        if self.insn_index is not None:
            parts.append(f"at instruction {self.insn_index}")
        if self.source_line:
            parts.append(f"(source: {self.source_line.strip()})")
        text = " ".join(parts)
        if self.summary:
            text += ":\n" + "\n".join(f"    {line}" for line in self.summary.splitlines())
        if self.truncated:
            text += "\n    (verifier log truncated)"
        return text

    def add_source(self, lookup: SourceLookup) -> VerifierError:
        """Attach the source line of the failing instruction using ``lookup(insn_index)``."""
        if self.insn_index is not None:
            self.source_line = lookup(self.insn_index)
        command = self.command
        KernelError.__init__(self, self._compose(), errno=self.errno or 0, command=command)
        return self


def failing_instruction(log: str) -> int | None:
    """Index of the last instruction the verifier printed before giving up, if any.

    Checks done before the walk (unreachable code, jumps out of range) print no instruction
    lines; their message names the instruction instead ("unreachable insn 2").
    """
    import re

    found: int | None = None
    lines = log.splitlines()
    for line in lines:
        match = re.match(_INSN_LINE, line)
        if match:
            found = int(match.group(1))
    if found is None:
        for line in reversed(lines):
            mention = re.search(_INSN_MENTION, line)
            if mention:
                return int(mention.group(1))
    return found


def summarize_log(log: str, lines: int = 6) -> str:
    """The last meaningful lines of a verifier log (statistics lines dropped)."""
    import re

    kept = [line.rstrip() for line in log.splitlines() if line.strip() and not re.match(_STATS_LINE, line)]
    return "\n".join(kept[-lines:])


@dataclass(frozen=True)
class _Rule:
    cls: type[KernelError]
    message: str


# Capability the kernel checks first for each command (kernel/bpf/syscall.c): used to tell the
# user what is missing instead of a bare EPERM.
_CAPABILITY = {
    "BPF_MAP_CREATE": "CAP_BPF",
    "BPF_PROG_LOAD": "CAP_BPF (plus CAP_PERFMON for tracing or CAP_NET_ADMIN for networking programs)",
    "BPF_BTF_LOAD": "CAP_BPF",
    "BPF_PROG_ATTACH": "CAP_NET_ADMIN (or CAP_SYS_ADMIN for cgroup programs)",
    "BPF_PROG_DETACH": "CAP_NET_ADMIN (or CAP_SYS_ADMIN for cgroup programs)",
    "BPF_PROG_QUERY": "CAP_NET_ADMIN",
    "BPF_RAW_TRACEPOINT_OPEN": "CAP_PERFMON",
    "BPF_ENABLE_STATS": "CAP_SYS_ADMIN",
    "BPF_TASK_FD_QUERY": "CAP_SYS_ADMIN",
    "BPF_PROG_TEST_RUN": "CAP_SYS_ADMIN",
    "BPF_LINK_CREATE": "CAP_BPF (plus the program type's capability)",
}
for _cmd in ("PROG", "MAP", "LINK", "BTF"):
    _CAPABILITY[f"BPF_{_cmd}_GET_NEXT_ID"] = "CAP_SYS_ADMIN"
    _CAPABILITY[f"BPF_{_cmd}_GET_FD_BY_ID"] = "CAP_SYS_ADMIN"

# (command or "*", errno) -> rule; command-specific rows win over the "*" rows.
ERRNO_TABLE: dict[tuple[str, int], _Rule] = {
    ("*", _errno.ENOENT): _Rule(ObjectNotFound, "no such object"),
    ("BPF_MAP_LOOKUP_ELEM", _errno.ENOENT): _Rule(KeyNotFound, "key not found"),
    ("BPF_MAP_DELETE_ELEM", _errno.ENOENT): _Rule(KeyNotFound, "key not found"),
    ("BPF_MAP_LOOKUP_AND_DELETE_ELEM", _errno.ENOENT): _Rule(KeyNotFound, "key not found"),
    ("BPF_MAP_GET_NEXT_KEY", _errno.ENOENT): _Rule(KeyNotFound, "no key after this one"),
    ("BPF_MAP_UPDATE_ELEM", _errno.ENOENT): _Rule(KeyNotFound, "key not found (BPF_EXIST)"),
    ("BPF_MAP_DELETE_BATCH", _errno.ENOENT): _Rule(KeyNotFound, "a key of the batch was not found"),
    ("BPF_OBJ_GET", _errno.ENOENT): _Rule(ObjectNotFound, "nothing pinned at this path"),
    ("*", _errno.EEXIST): _Rule(KernelError, "already exists"),
    ("BPF_MAP_UPDATE_ELEM", _errno.EEXIST): _Rule(KeyExists, "key already exists (BPF_NOEXIST)"),
    ("BPF_MAP_UPDATE_BATCH", _errno.EEXIST): _Rule(KeyExists, "key already exists (BPF_NOEXIST)"),
    ("BPF_MAP_UPDATE_ELEM", _errno.E2BIG): _Rule(MapFull, "map is full"),
    ("BPF_MAP_UPDATE_BATCH", _errno.E2BIG): _Rule(MapFull, "map is full"),
    ("*", _errno.ENOSPC): _Rule(KernelError, "the output buffer is too small"),
    ("BPF_MAP_UPDATE_ELEM", _errno.ENOSPC): _Rule(MapFull, "no space left in the map"),
    ("BPF_MAP_UPDATE_BATCH", _errno.ENOSPC): _Rule(MapFull, "no space left in the map"),
    ("BPF_MAP_CREATE", _errno.ENOSPC): _Rule(KernelError, "no space left"),
    ("BPF_PROG_LOAD", _errno.E2BIG): _Rule(
        KernelError, "program too large or too complex for the verifier (instruction or complexity limit)"
    ),
    ("*", _errno.E2BIG): _Rule(
        NotSupportedByKernel, "the kernel does not know a field of this command's attributes (too new?)"
    ),
    ("*", _errno.EOPNOTSUPP): _Rule(NotSupportedByKernel, "operation not supported"),
    ("*", ENOTSUPP): _Rule(NotSupportedByKernel, "operation not supported for this object"),
    ("*", _errno.ENOSYS): _Rule(NotSupportedByKernel, "the bpf() syscall is not available"),
    ("*", _errno.EINVAL): _Rule(InvalidArgument, "invalid argument"),
    ("*", _errno.EBADF): _Rule(InvalidArgument, "bad file descriptor"),
    ("*", _errno.EFAULT): _Rule(InvalidArgument, "bad address"),
    ("*", _errno.EBUSY): _Rule(Busy, "busy"),
    ("*", _errno.EPERM): _Rule(PermissionDenied, "operation not permitted"),
    ("BPF_MAP_UPDATE_ELEM", _errno.EPERM): _Rule(
        PermissionDenied, "the map is frozen or read-only for user space (BPF_F_RDONLY)"
    ),
    ("BPF_MAP_DELETE_ELEM", _errno.EPERM): _Rule(
        PermissionDenied, "the map is frozen or read-only for user space (BPF_F_RDONLY)"
    ),
    ("BPF_MAP_UPDATE_BATCH", _errno.EPERM): _Rule(
        PermissionDenied, "the map is frozen or read-only for user space (BPF_F_RDONLY)"
    ),
    ("*", _errno.EACCES): _Rule(PermissionDenied, "permission denied"),
}


def _privilege_hint(command: str) -> str:
    capability = _CAPABILITY.get(command, "CAP_BPF or CAP_SYS_ADMIN")
    hint = f"needs {capability}"
    if os.geteuid() != 0:
        hint += "; unprivileged use is governed by /proc/sys/kernel/unprivileged_bpf_disabled"
    else:
        hint += (
            " (running as root: a seccomp filter, LSM or container may forbid bpf(); "
            "see also /proc/sys/kernel/unprivileged_bpf_disabled)"
        )
    return hint


def error_for(command: str, errno: int, *, detail: str = "", feature: str = "") -> KernelError:
    """The typed exception for ``errno`` returned by ``command``.

    ``detail`` adds what the caller was doing; ``feature`` names what the kernel does not support
    (a map type, a program type), given by callers that checked the kernel's BTF: it turns
    ``EINVAL``/``EOPNOTSUPP`` into :class:`NotSupportedByKernel`.
    """
    specific = ERRNO_TABLE.get((command, errno))
    rule = specific or ERRNO_TABLE.get(("*", errno))
    if rule is None:
        rule = _Rule(KernelError, os.strerror(errno))
    message = rule.message
    if detail:
        message = f"{message}: {detail}"
    cls = rule.cls
    if errno in (_errno.EINVAL, _errno.EOPNOTSUPP, ENOTSUPP) and feature:
        cls = NotSupportedByKernel
        message = f"the running kernel does not support {feature}" + (f" ({detail})" if detail else "")
    if cls is PermissionDenied:
        capability = _CAPABILITY.get(command, "CAP_BPF or CAP_SYS_ADMIN")
        if specific is None:
            message = f"{message}; {_privilege_hint(command)}"
        return PermissionDenied(message, errno=errno, command=command, capability=capability)
    if cls is NotSupportedByKernel:
        return NotSupportedByKernel(message, errno=errno, command=command, feature=feature or command)
    return cls(message, errno=errno, command=command)


__all__ = [
    "ENOTSUPP",
    "ERRNO_TABLE",
    "Busy",
    "InvalidArgument",
    "KernelError",
    "KeyExists",
    "KeyNotFound",
    "MapFull",
    "NotSupportedByKernel",
    "ObjectNotFound",
    "PermissionDenied",
    "VerifierError",
    "error_for",
    "failing_instruction",
    "summarize_log",
]
