"""Tracing attachments: tracepoints, raw tracepoints, BTF-typed tracing (tp_btf, fentry, fexit,
LSM) and kprobes.

Tracepoints go through a perf event; the preferred way ties it to a BPF link (BPF_LINK_CREATE
with BPF_PERF_EVENT, 5.15+) so ``bpftool link`` sees it, the fallback is the older ioctl pair.
"""

from __future__ import annotations

import ctypes
import errno as _errno
from pathlib import Path
from typing import Any

from pybpf.enums import AttachType, ProgramType
from pybpf.errors import Error
from pybpf.kernel.config import trampoline_unsupported
from pybpf.kernel.errors import KernelError, NotSupportedByKernel
from pybpf.kernel.fd import FD
from pybpf.kernel.links import link_create, raw_tracepoint_open
from pybpf.kernel.progs import prog_load
from pybpf.tracefs import tracepoint_id

from .link import FdSource, Link, fd_of
from .perf_event import (
    IOC_ENABLE,
    IOC_SET_BPF,
    PerfEventAttr,
    PerfType,
    perf_event_open,
    perf_ioctl,
    pmu_format_bit,
    pmu_type,
)

# What the kernel's BTF calls the attach target of each BTF-typed section kind.
_BTF_TARGETS = {
    "tp_btf": ("btf_trace_", "TYPEDEF"),
    "fentry": ("", "FUNC"),
    "fexit": ("", "FUNC"),
    "fmod_ret": ("", "FUNC"),
    "lsm": ("bpf_lsm_", "FUNC"),
    "iter": ("bpf_iter_", "FUNC"),
}


class TargetNotFound(Error, LookupError):
    """The kernel's BTF has no function or tracepoint of that name."""


def attach_btf_id(kind: str, target: str, *, btf_path: str | Path | None = None) -> int:
    """The ``attach_btf_id`` to load a ``kind`` program (tp_btf, fentry, fexit, lsm, iter) with.

    For ``tp_btf/sched_switch`` that is the typedef ``btf_trace_sched_switch``; for
    ``lsm/file_open`` the function ``bpf_lsm_file_open``; for fentry/fexit the function itself.
    """
    from pybpf.btf import BTF
    from pybpf.btf.types import Kind

    try:
        prefix, kind_name = _BTF_TARGETS[kind]
    except KeyError:
        raise ValueError(f"unknown BTF attach kind {kind!r} (one of {', '.join(_BTF_TARGETS)})") from None
    btf = BTF.from_file(btf_path) if btf_path is not None else BTF.vmlinux()
    name = prefix + target
    for type_id in btf.find_ids(name):
        if btf[type_id].kind == Kind[kind_name]:
            return type_id
    raise TargetNotFound(f"the kernel's BTF has no {kind_name.lower()} {name!r} (for {kind}/{target})")


def bind_perf_event(prog: FdSource, perf_fd: FD, cookie: int | None = None) -> FD | None:
    """Run ``prog`` on an open perf event: returns a BPF link fd, or ``None`` after the ioctls.

    Closes ``perf_fd`` when neither way works, so callers never leak it.
    """
    try:
        return link_create(
            fd_of(prog), perf_fd, AttachType.PERF_EVENT, bpf_cookie=cookie if cookie is not None else 0
        )
    except KernelError as exc:
        if exc.errno not in (_errno.EINVAL, _errno.EOPNOTSUPP, _errno.E2BIG, 524):
            perf_fd.close()
            raise
    try:
        perf_ioctl(perf_fd, IOC_SET_BPF, fd_of(prog))
        perf_ioctl(perf_fd, IOC_ENABLE, 0)
    except KernelError:
        perf_fd.close()
        raise
    return None


def _perf_event_link(prog: FdSource, perf_fd: FD, description: str, cookie: int | None = None) -> Link:
    link_fd = bind_perf_event(prog, perf_fd, cookie)
    return Link(description, bpf_links=[link_fd] if link_fd is not None else [], fds=[perf_fd])


def attach_tracepoint(prog: FdSource, category: str, name: str, *, cookie: int | None = None) -> Link:
    """Attach a tracepoint program to ``category/name`` (e.g. ``syscalls``, ``sys_enter_getpid``)."""
    attr = PerfEventAttr(
        type=PerfType.TRACEPOINT, config=tracepoint_id(category, name), sample_period=1, wakeup_events=1
    )
    perf_fd = perf_event_open(attr, pid=-1, cpu=0)
    return _perf_event_link(prog, perf_fd, f"tracepoint {category}/{name}", cookie)


def attach_raw_tracepoint(prog: FdSource, name: str) -> Link:
    """Attach a raw tracepoint program to tracepoint ``name`` (``sys_enter``, ``sched_switch``)."""
    return Link(f"raw_tracepoint {name}", bpf_links=[raw_tracepoint_open(name, fd_of(prog))])


_TRACING_TYPES = {
    "tp_btf": (ProgramType.TRACING, AttachType.TRACE_RAW_TP),
    "fentry": (ProgramType.TRACING, AttachType.TRACE_FENTRY),
    "fexit": (ProgramType.TRACING, AttachType.TRACE_FEXIT),
    "fmod_ret": (ProgramType.TRACING, AttachType.MODIFY_RETURN),
    "lsm": (ProgramType.LSM, AttachType.LSM_MAC),
    "iter": (ProgramType.TRACING, AttachType.TRACE_ITER),
}


def load_btf_program(kind: str, target: str, insns: bytes, license: str = "GPL", **options: Any) -> FD:
    """Load a BTF-typed program for ``kind/target`` (program type, expected attach type and
    attach_btf_id filled in); a kernel without trampolines gets :class:`NotSupportedByKernel`."""
    if kind not in _TRACING_TYPES:
        raise ValueError(f"unknown BTF attach kind {kind!r} (one of {', '.join(_TRACING_TYPES)})")
    prog_type, attach_type = _TRACING_TYPES[kind]
    btf_id = attach_btf_id(kind, target)
    try:
        return prog_load(
            prog_type, insns, license, expected_attach_type=attach_type, attach_btf_id=btf_id, **options
        )
    except KernelError as exc:
        if kind in ("tp_btf", "iter"):
            raise
        raise trampoline_unsupported(exc, kind, target) from None


def attach_tracing(prog: FdSource, description: str = "tracing") -> Link:
    """Attach a BTF-typed program (tp_btf, fentry, fexit, fmod_ret, LSM) loaded with attach_btf_id.

    The target was fixed at load time; the kernel only needs the program.
    """
    try:
        fd = raw_tracepoint_open(None, fd_of(prog))
    except KernelError as exc:
        kind = description.split()[0]
        if kind in ("tp_btf", "tracing"):
            raise
        raise trampoline_unsupported(exc, kind) from None
    return Link(description, bpf_links=[fd])


def attach_tp_btf(prog: FdSource, name: str = "") -> Link:
    """Attach a ``tp_btf`` program (loaded with :func:`attach_btf_id` ``("tp_btf", name)``)."""
    return attach_tracing(prog, f"tp_btf {name}".strip())


def attach_fentry(prog: FdSource, function: str = "") -> Link:
    """Attach an fentry/fexit/fmod_ret program (its target was given at load)."""
    return attach_tracing(prog, f"fentry {function}".strip())


def attach_lsm(prog: FdSource, hook: str = "") -> Link:
    """Attach an LSM program (needs ``bpf`` in the kernel's ``lsm=`` list to have an effect)."""
    return attach_tracing(prog, f"lsm {hook}".strip())


def kprobes_available() -> bool:
    """Whether this kernel has the kprobe PMU (CONFIG_KPROBES and CONFIG_KPROBE_EVENTS)."""
    return Path("/sys/bus/event_source/devices/kprobe/type").exists()


def attach_kprobe(prog: FdSource, function: str, *, offset: int = 0, retprobe: bool = False) -> Link:
    """Attach a kprobe program to kernel ``function`` (+``offset``), or a kretprobe.

    Raises :class:`NotSupportedByKernel` naming CONFIG_KPROBES when the kernel has no kprobe PMU.
    """
    if not kprobes_available():
        raise NotSupportedByKernel(
            "this kernel has no kprobe PMU: it was built without CONFIG_KPROBES (and CONFIG_KPROBE_EVENTS)",
            errno=_errno.ENOENT,
            command="perf_event_open",
            feature="CONFIG_KPROBES",
        )
    name = ctypes.create_string_buffer(function.encode())
    config = 1 << pmu_format_bit("kprobe", "retprobe") if retprobe else 0
    attr = PerfEventAttr(
        type=pmu_type("kprobe"),
        config=config,
        sample_period=1,
        wakeup_events=1,
        config1=ctypes.addressof(name),
        config2=offset,
    )
    perf_fd = perf_event_open(attr, pid=-1, cpu=0)
    del name
    kind = "kretprobe" if retprobe else "kprobe"
    return _perf_event_link(prog, perf_fd, f"{kind} {function}+{offset:#x}")


__all__ = [
    "TargetNotFound",
    "attach_btf_id",
    "attach_fentry",
    "attach_kprobe",
    "attach_lsm",
    "attach_raw_tracepoint",
    "attach_tp_btf",
    "attach_tracepoint",
    "attach_tracing",
    "bind_perf_event",
    "kprobes_available",
    "load_btf_program",
    "trampoline_unsupported",
]
