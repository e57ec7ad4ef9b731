"""USDT (SystemTap SDT) probes: reading the notes, decoding arguments, attaching programs.

BPF programs include ``<bpf/usdt.bpf.h>`` and read arguments with ``bpf_usdt_arg()`` or the
``BPF_USDT()`` signature; :func:`attach_usdt` fills the spec map those read and owns the uprobes.
"""

from __future__ import annotations

from .args import MAX_ARGS, ArgKind, UsdtArg, UsdtArgError, parse_arg, parse_args, split_args
from .attach import UsdtLink, UsdtNotFound, attach_usdt, resolve_binary
from .notes import UsdtProbe, find_probes, iter_notes, read_probes
from .specs import SITE_SIZE, encode_site

__all__ = [
    "MAX_ARGS",
    "SITE_SIZE",
    "ArgKind",
    "UsdtArg",
    "UsdtArgError",
    "UsdtLink",
    "UsdtNotFound",
    "UsdtProbe",
    "attach_usdt",
    "encode_site",
    "find_probes",
    "iter_notes",
    "parse_arg",
    "parse_args",
    "read_probes",
    "resolve_binary",
    "split_args",
]
