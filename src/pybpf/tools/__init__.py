"""Ready tools built on the library: execsnoop, opensnoop, exitsnoop, tcpconnect, syscount, syslat.

Each BPF program is package data under ``bpf/``, compiled on first use and cached.
"""

from __future__ import annotations

from .catalog import EVENT_TOOLS, syscount, syslat
from .runner import EventTool, Filters, ToolError

__all__ = ["EVENT_TOOLS", "EventTool", "Filters", "ToolError", "syscount", "syslat"]
