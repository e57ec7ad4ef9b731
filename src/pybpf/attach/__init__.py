"""Attaching loaded programs to the kernel: every attach function returns a :class:`Link`.

The functions take program fds (an :class:`~pybpf.kernel.FD`, an int, or anything with an
``.fd``, such as the loader's ``Program``), so they work with or without the loader.
"""

from __future__ import annotations

from .iterator import IterLink, attach_iter
from .link import AttachError, FdSource, HasFD, Link, LinkClosed, fd_of, link_ids, open_pinned_link
from .net import XDPFlags, attach_cgroup, attach_socket_filter, attach_tcx, attach_xdp, ifindex_of
from .netlink import NetlinkError
from .perf import attach_perf_event
from .perf_event import HardwareEvent, PerfEventAttr, PerfType, SoftwareEvent, perf_event_open
from .sockmap import attach_sockmap
from .structops import StructOpsState, attach_struct_ops, struct_ops_state
from .tc import attach_tc_classic
from .tracing import (
    TargetNotFound,
    attach_btf_id,
    attach_fentry,
    attach_kprobe,
    attach_lsm,
    attach_raw_tracepoint,
    attach_tp_btf,
    attach_tracepoint,
    attach_tracing,
    kprobes_available,
    load_btf_program,
)
from .uprobe import ResolvedSymbol, SymbolNotFound, attach_uprobe, find_library, resolve_symbol

__all__ = [
    "AttachError",
    "FdSource",
    "HardwareEvent",
    "HasFD",
    "IterLink",
    "Link",
    "LinkClosed",
    "NetlinkError",
    "PerfEventAttr",
    "PerfType",
    "ResolvedSymbol",
    "SoftwareEvent",
    "StructOpsState",
    "SymbolNotFound",
    "TargetNotFound",
    "XDPFlags",
    "attach_btf_id",
    "attach_cgroup",
    "attach_fentry",
    "attach_iter",
    "attach_kprobe",
    "attach_lsm",
    "attach_perf_event",
    "attach_raw_tracepoint",
    "attach_socket_filter",
    "attach_sockmap",
    "attach_struct_ops",
    "attach_tc_classic",
    "attach_tcx",
    "attach_tp_btf",
    "attach_tracepoint",
    "attach_tracing",
    "attach_uprobe",
    "attach_xdp",
    "fd_of",
    "find_library",
    "ifindex_of",
    "kprobes_available",
    "link_ids",
    "load_btf_program",
    "open_pinned_link",
    "perf_event_open",
    "resolve_symbol",
    "struct_ops_state",
]
