"""Attach every program of a loaded object by its ``SEC()`` name, the way libbpf's skeletons do.

A program whose hook this kernel cannot offer (kprobes without CONFIG_KPROBES, fentry without
trampolines) is *skipped* with the attach package's reason instead of aborting the whole run:
``pybpf run`` on an object with one kprobe and three tracepoints should still trace the three.
Programs that need a target the section cannot name (XDP, tc, cgroup, socket filters) are
skipped too, with a hint, because guessing an interface or a cgroup would surprise the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pybpf._dataclasses import dataclass, field

from ..attach import (
    IterLink,
    Link,
    attach_iter,
    attach_kprobe,
    attach_lsm,
    attach_perf_event,
    attach_raw_tracepoint,
    attach_struct_ops,
    attach_tp_btf,
    attach_tracepoint,
    attach_tracing,
    attach_uprobe,
)
from ..attach.perf_event import PerfType, SoftwareEvent
from ..enums import MapType
from ..errors import Error, NotSupported


class AttachableProgram(Protocol):
    """What auto-attach needs of a loaded program (the runtime's ``Program``)."""

    name: str
    section: str

    @property
    def fd(self) -> Any: ...


class AttachableObject(Protocol):
    @property
    def programs(self) -> Any: ...


@dataclass(frozen=True)
class Skipped:
    """A program left unattached and the reason a user can act on."""

    program: str
    section: str
    reason: str


@dataclass
class AttachReport:
    """What :func:`attach_all` did: live links by program name, skips with reasons, iterator output.

    ``close()`` detaches every link (idempotent), so a caller can hold the report in ``with``.
    """

    links: dict[str, Link] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    #: What each iterator program printed on its one pass at attach time.
    iter_output: dict[str, bytes] = field(default_factory=dict)

    @property
    def attached(self) -> list[str]:
        return list(self.links)

    def describe(self) -> list[str]:
        """One human line per program: ``attached handle_exec (tracepoint sched/sched_process_exec)``."""
        lines = [f"attached {name} ({link.description})" for name, link in self.links.items()]
        lines += [f"skipped {s.program} ({s.section}): {s.reason}" for s in self.skipped]
        return lines

    def close(self) -> None:
        for link in self.links.values():
            link.close()

    def __enter__(self) -> AttachReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NotAutoAttachable(NotSupported):
    """The section names no target auto-attach can use (``SEC("xdp")``, ``SEC("uprobe")``)."""


def _split_kind(section: str) -> tuple[str, str]:
    kind, _, target = section.partition("/")
    return kind, target


def _tracepoint(prog: AttachableProgram, target: str) -> Link:
    category, sep, name = target.partition("/")
    if not sep or not category or not name:
        raise NotAutoAttachable(f"tracepoint section needs CATEGORY/NAME, got {target!r}")
    return attach_tracepoint(prog, category, name)


def _raw_tp(prog: AttachableProgram, target: str) -> Link:
    if not target:
        raise NotAutoAttachable("raw tracepoint section names no tracepoint")
    return attach_raw_tracepoint(prog, target)


def parse_uprobe_target(target: str) -> tuple[str, str | None, int]:
    """``/bin/bash:readline+0x10`` -> (binary, symbol, offset); a bare number is a file offset."""
    binary, sep, where = target.rpartition(":")
    if not sep or not binary or not where:
        raise NotAutoAttachable(f"uprobe section needs BINARY:FUNCTION, got {target!r}")
    symbol, plus, off_text = where.partition("+")
    if not symbol:
        raise NotAutoAttachable(f"uprobe section needs BINARY:FUNCTION, got {target!r}")
    try:
        offset = int(off_text, 0) if plus else 0
        if symbol and symbol[0].isdigit():
            return binary, None, int(symbol, 0) + offset
    except ValueError:
        raise NotAutoAttachable(f"bad offset in uprobe target {target!r}") from None
    return binary, symbol, offset


def _uprobe(retprobe: bool) -> Callable[[AttachableProgram, str], Link]:
    def attach(prog: AttachableProgram, target: str) -> Link:
        binary, symbol, offset = parse_uprobe_target(target)
        return attach_uprobe(prog, binary, symbol, offset=offset, retprobe=retprobe)

    return attach


def parse_usdt_target(target: str) -> tuple[str, str, str]:
    """``/usr/bin/python3:python:function__entry`` -> (binary, provider, name), libbpf's form.

    The last two colons split, so only the binary's path may itself hold a colon.
    """
    binary, provider, name = ["", "", "", *target.rsplit(":", 2)][-3:]
    if not binary or not provider or not name:
        raise NotAutoAttachable(
            f"usdt section needs BINARY:PROVIDER:NAME, got {target!r}; "
            "attach it explicitly with pybpf.usdt.attach_usdt"
        )
    return binary, provider, name


def _usdt(prog: AttachableProgram, target: str) -> Link:
    from ..usdt import attach_usdt  # the USDT package imports the attach package: keep it lazy

    if not target:
        raise NotAutoAttachable(
            "usdt section names no BINARY:PROVIDER:NAME; attach it explicitly with pybpf.usdt.attach_usdt"
        )
    binary, provider, name = parse_usdt_target(target)
    return attach_usdt(prog, binary, provider, name)


def _kprobe(retprobe: bool) -> Callable[[AttachableProgram, str], Link]:
    def attach(prog: AttachableProgram, target: str) -> Link:
        function, plus, off_text = target.partition("+")
        if not function:
            raise NotAutoAttachable("kprobe section names no kernel function")
        try:
            offset = int(off_text, 0) if plus and off_text else 0
        except ValueError:
            raise NotAutoAttachable(f"bad offset in kprobe target {target!r}") from None
        return attach_kprobe(prog, function, offset=offset, retprobe=retprobe)

    return attach


def _perf_event(prog: AttachableProgram, target: str) -> Link:
    # No target in the section: sample the CPU clock 99 times a second, the profilers' default.
    return attach_perf_event(prog, PerfType.SOFTWARE, SoftwareEvent.CPU_CLOCK, sample_freq=99)


def _iter(prog: AttachableProgram, target: str) -> Link:
    return attach_iter(prog, target=target)


def _trampoline(kind: str) -> Callable[[AttachableProgram, str], Link]:
    def attach(prog: AttachableProgram, target: str) -> Link:
        if kind == "tp_btf":
            return attach_tp_btf(prog, target)
        if kind == "lsm":
            return attach_lsm(prog, target)
        return attach_tracing(prog, f"{kind} {target}".strip())

    return attach


_NEEDS_TARGET = {
    "xdp": "an interface (pybpf.attach.attach_xdp)",
    "tc": "an interface (pybpf.attach.attach_tcx, or attach_tc_classic on kernels without tcx)",
    "tcx": "an interface (pybpf.attach.attach_tcx)",
    "classifier": "an interface (pybpf.attach.attach_tcx, or attach_tc_classic on kernels without tcx)",
    "sk_msg": "a sockmap or sockhash (pybpf.attach.attach_sockmap)",
    "sk_skb": "a sockmap or sockhash (pybpf.attach.attach_sockmap)",
    "socket": "a socket (pybpf.attach.attach_socket_filter)",
    "cgroup": "a cgroup (pybpf.attach.attach_cgroup)",
    "cgroup_skb": "a cgroup (pybpf.attach.attach_cgroup)",
    "sockops": "a cgroup (pybpf.attach.attach_cgroup)",
    "struct_ops": "a struct_ops map",
}

ATTACHERS: dict[str, Callable[[AttachableProgram, str], Link]] = {
    "tp": _tracepoint,
    "tracepoint": _tracepoint,
    "raw_tp": _raw_tp,
    "raw_tracepoint": _raw_tp,
    "raw_tp.w": _raw_tp,
    "raw_tracepoint.w": _raw_tp,
    "tp_btf": _trampoline("tp_btf"),
    "uprobe": _uprobe(False),
    "uprobe.s": _uprobe(False),
    "uretprobe": _uprobe(True),
    "uretprobe.s": _uprobe(True),
    "kprobe": _kprobe(False),
    "kretprobe": _kprobe(True),
    "usdt": _usdt,
    "usdt.s": _usdt,
    "perf_event": _perf_event,
    "iter": _iter,
    "iter.s": _iter,
    "fentry": _trampoline("fentry"),
    "fexit": _trampoline("fexit"),
    "fmod_ret": _trampoline("fmod_ret"),
    "fentry.s": _trampoline("fentry"),
    "fexit.s": _trampoline("fexit"),
    "lsm": _trampoline("lsm"),
    "lsm.s": _trampoline("lsm"),
}


def attach_program(prog: AttachableProgram) -> Link:
    """Attach one program by its section name; raises :class:`NotAutoAttachable` when it cannot."""
    kind, target = _split_kind(prog.section)
    attacher = ATTACHERS.get(kind)
    if attacher is None:
        family = kind.split("/")[0].split(".")[0]
        need = _NEEDS_TARGET.get(family) or _NEEDS_TARGET.get(kind.split("_")[0])
        if need:
            raise NotAutoAttachable(f"needs {need}; attach it explicitly")
        raise NotAutoAttachable(f"section {prog.section!r} has no automatic attach point")
    return attacher(prog, target)


def attach_all(obj: AttachableObject, *, run_iterators: bool = True) -> AttachReport:
    """Attach every program of ``obj`` by its section name and say what was skipped and why.

    Errors the user can do nothing about in this run (kernel features missing, targets absent,
    sections without a target) become :class:`Skipped` entries; nothing is raised for them.
    Iterators are attached, then read once (``iter_output``), as ``bpftool iter`` would.
    """
    report = AttachReport()
    ops_maps = _struct_ops_maps(obj)
    for name, prog in obj.programs.items():
        if ops_maps and _split_kind(prog.section)[0].startswith("struct_ops"):
            continue  # runs as a member of a struct_ops map, registered below
        try:
            link = attach_program(prog)
        except (Error, OSError) as exc:
            report.skipped.append(Skipped(name, prog.section, _reason(exc)))
            continue
        report.links[name] = link
        if run_iterators and isinstance(link, IterLink):
            try:
                report.iter_output[name] = link.read()
            except (Error, OSError) as exc:
                report.skipped.append(Skipped(name, prog.section, f"iterator read failed: {_reason(exc)}"))
    for name, ops in ops_maps.items():
        try:
            report.links[name] = attach_struct_ops(ops)
        except (Error, OSError) as exc:
            report.skipped.append(Skipped(name, "struct_ops", _reason(exc)))
    return report


def _struct_ops_maps(obj: AttachableObject) -> dict[str, Any]:
    """The object's struct_ops maps: attach_all registers them (their programs have no hook)."""
    maps = getattr(obj, "maps", None) or {}
    return {name: m for name, m in maps.items() if getattr(m, "type", None) == MapType.STRUCT_OPS}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


__all__ = [
    "ATTACHERS",
    "AttachReport",
    "AttachableObject",
    "AttachableProgram",
    "NotAutoAttachable",
    "Skipped",
    "attach_all",
    "attach_program",
    "parse_uprobe_target",
    "parse_usdt_target",
]
