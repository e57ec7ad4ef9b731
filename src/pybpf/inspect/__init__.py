"""Inspecting the BPF objects of the running kernel, the way ``bpftool`` does.

Each module gathers one kind of object into plain records and formats them as bpftool's plain
text or its JSON (same field names, so scripts written against ``bpftool -j`` keep working).  The
click commands in :mod:`pybpf.cli` only parse arguments and print what these functions return.
"""

from __future__ import annotations

from .errors import InspectError, SelectorError

__all__ = ["InspectError", "SelectorError"]
