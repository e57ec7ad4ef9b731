"""Values for ``extern ... __kconfig`` variables: the running kernel's config and version.

The kernel config comes from ``/proc/config.gz`` (CONFIG_IKCONFIG_PROC) or
``/boot/config-$(uname -r)``; ``LINUX_KERNEL_VERSION`` is computed from ``uname -r`` the way
``KERNEL_VERSION(a, b, c)`` packs it, the patch level capped at 255 as the kernel's own macro does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache

from pybpf._typing import TYPE_CHECKING

from ..btf import BTF, Array, Enum, Enum64, Int, IntEncoding
from ..spec import ExternKind, ExternSpec
from .errors import ExternError

if TYPE_CHECKING:
    from pathlib import Path

_LINE = r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$"
_NOT_SET = r"^# (CONFIG_[A-Za-z0-9_]+) is not set$"

#: Architectures whose syscalls go through ``__<arch>_sys_*`` wrappers (pt_regs-taking).
_SYSCALL_WRAPPER_ARCHES = {"x86_64", "aarch64", "s390x", "riscv64", "arm64"}


def parse_config(text: str) -> dict[str, str]:
    """``CONFIG_X`` → its raw value (``y``, ``m``, ``n``, a number or a quoted string)."""
    import re  # only objects with __kconfig externs read the configuration

    assignment, not_set = re.compile(_LINE), re.compile(_NOT_SET)
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        match = assignment.match(line)
        if match:
            values[match.group(1)] = match.group(2)
            continue
        unset = not_set.match(line)
        if unset:
            values[unset.group(1)] = "n"
    return values


def config_paths() -> list[Path]:
    from pathlib import Path  # only objects with __kconfig externs get here

    return [Path("/proc/config.gz"), Path(f"/boot/config-{os.uname().release}")]


@cache
def running_config() -> Mapping[str, str]:
    """The running kernel's configuration; raises :class:`ExternError` when none is readable."""
    import gzip  # only for /proc/config.gz, and only when an object has __kconfig externs

    for path in config_paths():
        try:
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        return parse_config(raw.decode("utf-8", errors="replace"))
    tried = ", ".join(str(p) for p in config_paths())
    raise ExternError(f"no kernel config found (tried {tried}) for __kconfig externs")


def _digit_runs(text: str) -> list[int]:
    """The numbers in ``text``, in order ("6.18.0+" gives 6, 18, 0): every load asks, so no re."""
    numbers: list[int] = []
    run = ""
    for ch in text + " ":
        if "0" <= ch <= "9":
            run += ch
        elif run:
            numbers.append(int(run))
            run = ""
    return numbers


def kernel_version(release: str | None = None) -> int:
    """``KERNEL_VERSION(a, b, c)`` of a release string such as ``6.18.0-rc1``."""
    text = release if release is not None else os.uname().release
    numbers = _digit_runs(text.split("-", 1)[0])[:3]
    numbers += [0] * (3 - len(numbers))
    major, minor, patch = numbers
    return (major << 16) + (minor << 8) + min(patch, 255)


def _tristate(raw: str) -> int | None:
    return {"y": 1, "n": 0, "m": 2}.get(raw)


def encode_kconfig(btf: BTF, ext: ExternSpec, raw: str) -> bytes:
    """The bytes an extern of the object's type holds for config value ``raw``."""
    t = btf.resolve(_var_type(btf, ext))
    size = ext.size
    if isinstance(t, Array):
        if not (raw.startswith('"') and raw.endswith('"')):
            raise ExternError(f"{ext.name}: value {raw} is not a string but the extern is char[]")
        text = raw[1:-1].encode()[: max(size - 1, 0)]
        return text.ljust(size, b"\0")
    state = _tristate(raw)
    if isinstance(t, Int) and t.encoding & IntEncoding.BOOL:
        if state is None:
            raise ExternError(f"{ext.name}: value {raw} is not y/n for a bool")
        return int(state != 0).to_bytes(size, "little")
    if isinstance(t, Enum | Enum64) and state is not None:
        return state.to_bytes(size, "little")
    if isinstance(t, Int | Enum | Enum64):
        if state is not None and size == 1:
            return state.to_bytes(1, "little")
        try:
            number = int(raw.strip('"'), 0)
        except ValueError:
            raise ExternError(f"{ext.name}: value {raw} is not a number") from None
        signed = isinstance(t, Int) and bool(t.encoding & IntEncoding.SIGNED)
        try:
            return number.to_bytes(size, "little", signed=signed or number < 0)
        except OverflowError:
            raise ExternError(f"{ext.name}: value {raw} does not fit {size} bytes") from None
    raise ExternError(f"{ext.name}: unsupported __kconfig type {t.kind.name.lower()}")


def _var_type(btf: BTF, ext: ExternSpec) -> int:
    var = btf[ext.btf_type_id]
    return int(getattr(var, "type_id", ext.btf_type_id))


def _special(name: str) -> int | None:
    if name == "LINUX_KERNEL_VERSION":
        return kernel_version()
    if name == "LINUX_HAS_SYSCALL_WRAPPER":
        return int(os.uname().machine in _SYSCALL_WRAPPER_ARCHES)
    if name == "LINUX_HAS_BPF_COOKIE":
        return 1
    return None


def kconfig_data(
    btf: BTF | None, externs: Iterable[ExternSpec], value_size: int, config: Mapping[str, str] | None = None
) -> bytes:
    """The initial contents of the ``.kconfig`` map for these externs."""
    data = bytearray(value_size)
    needed = [e for e in externs if e.kind is ExternKind.KCONFIG]
    for ext in needed:
        if btf is None or not ext.btf_type_id:
            raise ExternError(f"{ext.name}: __kconfig extern without BTF")
        special = _special(ext.name)
        if special is not None:
            raw = special.to_bytes(ext.size, "little")
        else:
            values = config if config is not None else running_config()
            value = values.get(ext.name)
            if value is None:
                if ext.weak:
                    continue
                raise ExternError(f"{ext.name}: not in the running kernel's config (declare it __weak)")
            raw = encode_kconfig(btf, ext, value)
        if ext.offset + len(raw) > value_size:
            raise ExternError(f"{ext.name}: offset {ext.offset} outside the .kconfig map")
        data[ext.offset : ext.offset + len(raw)] = raw
    return bytes(data)


__all__ = [
    "config_paths",
    "encode_kconfig",
    "kconfig_data",
    "kernel_version",
    "parse_config",
    "running_config",
]
