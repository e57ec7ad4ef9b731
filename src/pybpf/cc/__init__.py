"""Building BPF C: compiler discovery, our ``bpf/*.h`` headers and the cached ``vmlinux.h``.

``build("prog.bpf.c")`` is all most users need; the pieces are exposed for tools that want to
show or tweak the command line.
"""

from __future__ import annotations

from .compiler import Compiler, CompilerKind, find_compiler, target_arch
from .driver import INCLUDE_DIR, BuildResult, build, build_command, default_output, run_build
from .vmlinux import cache_dir, vmlinux_header

__all__ = [
    "INCLUDE_DIR",
    "BuildResult",
    "Compiler",
    "CompilerKind",
    "build",
    "build_command",
    "cache_dir",
    "default_output",
    "find_compiler",
    "run_build",
    "target_arch",
    "vmlinux_header",
]
