"""Compiling ``*.bpf.c`` files into BPF ELF objects.

The command line is built in one place (:func:`build_command`) so ``pybpf build --print-command``
shows exactly what :func:`build` runs.  Include order matters: the user's ``-I`` directories come
first (a project may vendor its own headers), then ours, then the generated ``vmlinux.h``; all of
them precede system directories, so an installed libbpf-dev cannot shadow our headers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from pybpf._dataclasses import dataclass

from ..errors import CompileError, ToolNotFound
from .compiler import find_compiler, target_arch
from .vmlinux import DEFAULT_BTF, vmlinux_header

INCLUDE_DIR = Path(__file__).resolve().parent / "include"

# -g: BTF and .BTF.ext (CO-RE relocations, line info) come from debug info, so it is not optional.
# Unwind tables: zig's driver asks for them by default and they end up as a .eh_frame section no
# loader wants; address-significance tables are equally useless for BPF.
BASE_FLAGS: tuple[str, ...] = (
    "-g",
    "-O2",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-fno-addrsig",
)


def default_output(source: Path) -> Path:
    """``prog.bpf.c`` -> ``prog.bpf.o`` next to the source."""
    return source.with_suffix(".o")


def _paths(source: Path | str, output: Path | str | None) -> tuple[Path, Path]:
    """The source and the object it compiles to (:func:`default_output` unless named)."""
    src = Path(source)
    return src, Path(output) if output is not None else default_output(src)


def _arch_flags(extra_flags: Sequence[str]) -> list[str]:
    # A caller cross-compiling for another architecture's pt_regs names it; defining two
    # __TARGET_ARCH_ macros would make the headers pick one arbitrarily.
    if any(flag.startswith("-D__TARGET_ARCH_") for flag in extra_flags):
        return []
    return [f"-D__TARGET_ARCH_{target_arch()}"]


def _vmlinux_include(vmlinux_btf: Path | str | None) -> list[str]:
    if vmlinux_btf is None and not DEFAULT_BTF.is_file():
        # No kernel BTF: programs that do not include vmlinux.h still build; those that do get
        # the compiler's own "file not found", which names the header.
        return []
    return ["-I", str(vmlinux_header(vmlinux_btf).parent)]


def build_command(
    source: Path | str,
    output: Path | str | None = None,
    *,
    extra_flags: Sequence[str] = (),
    include_dirs: Sequence[Path | str] = (),
    cc: str | None = None,
    vmlinux_btf: Path | str | None = None,
) -> list[str]:
    """The full compiler command :func:`build` would run (generates ``vmlinux.h`` if needed)."""
    src, out = _paths(source, output)
    compiler = find_compiler(cc)
    includes: list[str] = []
    for directory in include_dirs:
        includes += ["-I", str(directory)]
    includes += ["-I", str(INCLUDE_DIR)]
    includes += _vmlinux_include(vmlinux_btf)
    return compiler.command(
        *BASE_FLAGS,
        *_arch_flags(extra_flags),
        *includes,
        *extra_flags,
        "-c",
        str(src),
        "-o",
        str(out),
    )


@dataclass(frozen=True)
class BuildResult:
    """What one successful compilation produced: the object, the command, and any warnings."""

    output: Path
    command: list[str]
    diagnostics: str = ""


def run_build(
    source: Path | str,
    output: Path | str | None = None,
    *,
    extra_flags: Sequence[str] = (),
    include_dirs: Sequence[Path | str] = (),
    cc: str | None = None,
    vmlinux_btf: Path | str | None = None,
) -> BuildResult:
    """Like :func:`build`, but also returns the command and the compiler's warnings."""
    src, out = _paths(source, output)
    if not src.is_file():
        raise CompileError(f"source file {src} does not exist")
    command = build_command(
        src, out, extra_flags=extra_flags, include_dirs=include_dirs, cc=cc, vmlinux_btf=vmlinux_btf
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ToolNotFound(f"cannot run compiler {command[0]!r}: {exc.strerror or exc}") from None
    diagnostics = (result.stderr + result.stdout).strip()
    if result.returncode != 0:
        raise CompileError(
            f"compiling {src} failed (exit status {result.returncode})", output=diagnostics, command=command
        )
    return BuildResult(out, command, diagnostics)


def build(
    source: Path | str,
    output: Path | str | None = None,
    *,
    extra_flags: Sequence[str] = (),
    include_dirs: Sequence[Path | str] = (),
    cc: str | None = None,
    vmlinux_btf: Path | str | None = None,
) -> Path:
    """Compile one BPF C file and return the object's path (default: ``prog.bpf.c`` -> ``prog.bpf.o``).

    Raises :class:`~pybpf.errors.CompileError` (with the compiler's output) when the source does
    not compile and :class:`~pybpf.errors.ToolNotFound` when no compiler is available.
    """
    return run_build(
        source, output, extra_flags=extra_flags, include_dirs=include_dirs, cc=cc, vmlinux_btf=vmlinux_btf
    ).output
