"""Perf event programs: a program run on every sample of a hardware or software event.

A system-wide event is one perf event per CPU; one :class:`Link` owns them all so the caller
detaches with a single ``close()``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pybpf.kernel.errors import KernelError
from pybpf.kernel.fd import FD

from .link import FdSource, Link
from .perf_event import AttrFlags, PerfEventAttr, PerfType, online_cpus, perf_event_open
from .tracing import bind_perf_event


def attach_perf_event(
    prog: FdSource,
    type: int = PerfType.SOFTWARE,
    config: int = 0,
    *,
    sample_period: int | None = None,
    sample_freq: int | None = None,
    cpus: Iterable[int] | None = None,
    pid: int = -1,
    cookie: int | None = None,
) -> Link:
    """Attach a perf-event program to ``type``/``config`` sampled every ``sample_period`` events
    (or ``sample_freq`` times a second) on each of ``cpus`` (all online CPUs by default).

    With ``pid`` set the event follows that process on any CPU (``cpus`` is then ignored).
    """
    if (sample_period is None) == (sample_freq is None):
        if sample_freq is None:
            raise ValueError("give exactly one of sample_period or sample_freq")
        raise ValueError("sample_period and sample_freq exclude each other")
    flags = AttrFlags.FREQ if sample_freq is not None else 0
    period = sample_freq if sample_freq is not None else sample_period
    targets = [-1] if pid >= 0 else list(cpus if cpus is not None else online_cpus())
    links: list[FD] = []
    perf_fds: list[FD] = []
    try:
        for cpu in targets:
            attr = PerfEventAttr(type=type, config=config, sample_period=period or 0, flags=flags)
            perf_fd = perf_event_open(attr, pid=pid, cpu=cpu)
            link_fd = bind_perf_event(prog, perf_fd, cookie)
            perf_fds.append(perf_fd)
            if link_fd is not None:
                links.append(link_fd)
    except (KernelError, OSError):
        for fd in links + perf_fds:
            fd.close()
        raise
    where = f"pid {pid}" if pid >= 0 else f"cpus {','.join(map(str, targets))}"
    return Link(f"perf_event type {type} config {config} {where}", bpf_links=links, fds=perf_fds)


__all__ = ["attach_perf_event"]
