"""The running kernel's build configuration, to name the option behind a missing feature.

"Operation not permitted" on an fentry load tells a user nothing; "CONFIG_FUNCTION_GRAPH_TRACER is
not set" tells them what to rebuild.  The config is read from /proc/config.gz or /boot.
"""

from __future__ import annotations

import gzip
import os
import zlib
from functools import cache
from pathlib import Path


@cache
def kernel_config() -> dict[str, str]:
    """``CONFIG_*`` → value (``y``, ``m``, a string); empty when the kernel does not publish it."""
    sources = [Path("/proc/config.gz"), Path(f"/boot/config-{os.uname().release}")]
    for source in sources:
        try:
            raw = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
            continue
        return parse_config(raw.decode("utf-8", errors="replace"))
    return {}


def parse_config(text: str) -> dict[str, str]:
    """Parse kconfig text; ``# CONFIG_X is not set`` lines map to ``"n"``."""
    options: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# CONFIG_") and line.endswith(" is not set"):
            options[line[2:-11]] = "n"
        elif line.startswith("CONFIG_") and "=" in line:
            name, _, value = line.partition("=")
            options[name] = value.strip('"')
    return options


def missing_options(names: list[str]) -> list[str]:
    """Which of ``names`` the running kernel was built without (unknown config: none listed)."""
    config = kernel_config()
    if not config:
        return []
    return [name for name in names if config.get(name, "n") == "n"]


__all__ = ["kernel_config", "missing_options", "parse_config"]
