"""The running kernel's build configuration and release, read once for every layer that asks.

Three questions need it: ``extern ... __kconfig`` variables take their values from it (the
loader), a refused fentry or LSM program is explained by the options the kernel lacks (the
loader and the attach layer), and ``feature probe`` lists build options as bpftool does.  The
config comes from ``/proc/config.gz`` (CONFIG_IKCONFIG_PROC) or ``/boot/config-$(uname -r)``.
"""

from __future__ import annotations

import errno as _errno
import os

from pybpf._lazy import cache
from pybpf._typing import TYPE_CHECKING

from .errors import KernelError, NotSupportedByKernel

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_NOT_SET = " is not set"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _is_option(name: str) -> bool:
    return name.startswith("CONFIG_") and len(name) > 7 and all(ch in _NAME_CHARS for ch in name)


def parse_config(text: str) -> dict[str, str]:
    """``CONFIG_X`` → its value as written: ``y``, ``m``, a number or a quoted string.

    ``# CONFIG_X is not set`` lines give ``"n"``, which is also what an absent option means.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# CONFIG_") and line.endswith(_NOT_SET):
            name = line[2 : -len(_NOT_SET)]
            if _is_option(name):
                values[name] = "n"
        elif line.startswith("CONFIG_"):
            name, sep, value = line.partition("=")
            if sep and _is_option(name):
                values[name] = value
    return values


def unquoted(value: str) -> str:
    """A config value without the quotes strings are written with."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def config_paths() -> list[str]:
    return ["/proc/config.gz", f"/boot/config-{os.uname().release}"]


@cache
def running_config() -> Mapping[str, str] | None:
    """The running kernel's configuration, or None when it publishes none."""
    for path in config_paths():
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError:
            continue
        if path.endswith(".gz"):
            import gzip  # only kernels with CONFIG_IKCONFIG_PROC, only when asked
            import zlib

            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                continue
        return parse_config(raw.decode("utf-8", errors="replace"))
    return None


def missing_options(names: Iterable[str], config: Mapping[str, str] | None = None) -> list[str]:
    """Which of ``names`` the kernel was built without; none when its config is unknown."""
    values = running_config() if config is None else config
    if values is None:
        return []
    return [name for name in names if values.get(name, "n") == "n"]


def kernel_version(release: str | None = None) -> int:
    """``KERNEL_VERSION(a, b, c)`` of a release string such as ``6.18.0-rc1``.

    The patch level is capped at 255, as the kernel's own macro does.
    """
    text = release if release is not None else os.uname().release
    numbers = _digit_runs(text.split("-", 1)[0])[:3]
    numbers += [0] * (3 - len(numbers))
    major, minor, patch = numbers
    return (major << 16) + (minor << 8) + min(patch, 255)


def _digit_runs(text: str) -> list[int]:
    """The numbers in ``text``, in order ("6.18.0+" gives 6, 18, 0)."""
    numbers: list[int] = []
    run = ""
    for ch in text + " ":
        if "0" <= ch <= "9":
            run += ch
        elif run:
            numbers.append(int(run))
            run = ""
    return numbers


#: What BPF trampolines (fentry, fexit, fmod_ret, LSM) rely on besides BTF.
TRAMPOLINE_OPTIONS = (
    "CONFIG_BPF_JIT",
    "CONFIG_DEBUG_INFO_BTF",
    "CONFIG_FUNCTION_TRACER",
    "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS",
    "CONFIG_FUNCTION_GRAPH_TRACER",
)
_KIND_OPTIONS = {"lsm": ("CONFIG_BPF_LSM",), "fmod_ret": ("CONFIG_FUNCTION_ERROR_INJECTION",)}
_REFUSALS = (_errno.EPERM, _errno.EOPNOTSUPP, _errno.ENOTSUP, 524)  # 524: the kernel's ENOTSUPP


def trampoline_unsupported(exc: KernelError, kind: str, target: str = "") -> KernelError:
    """A refused fentry/fexit/fmod_ret/LSM load or attach as :class:`NotSupportedByKernel`.

    "Operation not permitted" tells a user nothing; naming CONFIG_FUNCTION_GRAPH_TRACER tells
    them what to rebuild.  Errors that are not refusals come back unchanged.
    """
    if exc.errno not in _REFUSALS:
        return exc
    missing = missing_options(TRAMPOLINE_OPTIONS + _KIND_OPTIONS.get(kind, ()))
    what = f"{kind}/{target}" if target else kind
    if missing:
        reason = "the kernel was built without " + ", ".join(missing)
    else:
        reason = "the kernel refuses BPF trampolines here (lockdown, or no trampoline support for this arch)"
    return NotSupportedByKernel(
        f"{what} programs are not available: {reason}",
        errno=exc.errno or 0,
        command=exc.command,
        feature=missing[0] if missing else "BPF trampoline",
    )


__all__ = [
    "TRAMPOLINE_OPTIONS",
    "config_paths",
    "kernel_version",
    "missing_options",
    "parse_config",
    "running_config",
    "trampoline_unsupported",
    "unquoted",
]
