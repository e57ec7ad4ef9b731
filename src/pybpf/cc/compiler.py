"""Finding a C compiler that can target BPF.

A pip-installed toolkit cannot count on a system clang, so the ``ziglang`` wheel (which bundles a
full clang) is the fallback.  The two spell the target differently, which is why a
:class:`Compiler` remembers which kind it is instead of callers guessing from a path.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shlex
import shutil
import sys

from pybpf._dataclasses import dataclass

from .._enum import ConstantEnum
from ..errors import ToolNotFound

#: Environment variable naming the compiler command (split like a shell would split it).
CC_ENV = "PYBPF_CC"

INSTALL_HINT = "install a compiler with: pip install 'pybpf[cc]' (or put clang on PATH)"


class CompilerKind(ConstantEnum):
    """Which front end a command is; decides how the BPF target is spelled."""

    CLANG = "clang"
    ZIG = "zig"


@dataclass(frozen=True)
class Compiler:
    """A ready-to-run compiler command (``argv`` prefix) and the flags that select the BPF target."""

    argv: tuple[str, ...]
    kind: CompilerKind

    @property
    def target_flags(self) -> tuple[str, ...]:
        # zig's driver insists on an OS component in the triple; plain clang takes the short form.
        if self.kind is CompilerKind.ZIG:
            return ("-target", "bpfel-freestanding")
        return ("-target", "bpfel")

    def command(self, *args: str) -> list[str]:
        return [*self.argv, *self.target_flags, *args]


def _kind_of(argv: tuple[str, ...]) -> CompilerKind:
    """``zig cc`` / ``python -m ziglang cc`` need zig's triple; ``zig clang`` is plain clang."""
    for position, part in enumerate(argv[:-1]):
        name = os.path.basename(part)
        if (name.startswith("zig") or name == "ziglang") and argv[position + 1] == "cc":
            return CompilerKind.ZIG
    return CompilerKind.CLANG


def _resolve(spec: str, origin: str) -> Compiler:
    """Turn a user-given command string into a :class:`Compiler`, checking the program exists."""
    try:
        argv = tuple(shlex.split(spec))
    except ValueError as exc:
        raise ToolNotFound(f"{origin} {spec!r} is not a valid command: {exc}") from None
    if not argv:
        raise ToolNotFound(f"{origin} is empty; {INSTALL_HINT}")
    program = argv[0]
    found = shutil.which(program)
    if found is None:
        raise ToolNotFound(f"compiler {program!r} (from {origin}) was not found; {INSTALL_HINT}")
    return Compiler((found, *argv[1:]), _kind_of(argv))


def _zig_compiler() -> Compiler | None:
    if importlib.util.find_spec("ziglang") is None:
        return None
    return Compiler((sys.executable, "-m", "ziglang", "cc"), CompilerKind.ZIG)


def find_compiler(cc: str | None = None) -> Compiler:
    """The compiler to use: ``cc`` if given, else ``$PYBPF_CC`` (unless empty), else clang on PATH,
    else the ziglang wheel.

    An explicit choice that does not exist is an error rather than a silent fallback, so a user
    who asked for a particular clang never ends up with a different one.
    """
    if cc is not None:
        return _resolve(cc, "the cc argument")
    override = os.environ.get(CC_ENV, "").strip()
    if override:
        return _resolve(override, f"${CC_ENV}")
    clang = shutil.which("clang")
    if clang is not None:
        return Compiler((clang,), CompilerKind.CLANG)
    zig = _zig_compiler()
    if zig is not None:
        return zig
    raise ToolNotFound(f"no C compiler for BPF found: {INSTALL_HINT}")


# platform.machine() spellings -> the suffix of the __TARGET_ARCH_* macro the headers expect.
_ARCH_MACROS = {
    "x86_64": "x86",
    "amd64": "x86",
    "i386": "x86",
    "i686": "x86",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "s390x": "s390",
    "ppc64le": "powerpc",
    "ppc64": "powerpc",
    "riscv64": "riscv",
    "loongarch64": "loongarch",
    "mips64": "mips",
}


def target_arch(machine: str | None = None) -> str:
    """The ``__TARGET_ARCH_<arch>`` suffix for this host: BPF code reading pt_regs needs it."""
    name = (machine or platform.machine()).lower()
    return _ARCH_MACROS.get(name, name)
