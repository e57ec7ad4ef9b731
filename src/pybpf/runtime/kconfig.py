"""Values for ``extern ... __kconfig`` variables, encoded as the object declares them.

The values come from the running kernel's config and release (:mod:`pybpf.kernel.config`);
``LINUX_KERNEL_VERSION`` and friends are computed, not read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from ..btf import BTF, Array, Enum, Enum64, Int, IntEncoding
from ..kernel import config
from ..spec import ExternKind, ExternSpec
from .errors import ExternError

#: Architectures whose syscalls go through ``__<arch>_sys_*`` wrappers (pt_regs-taking).
_SYSCALL_WRAPPER_ARCHES = {"x86_64", "aarch64", "s390x", "riscv64", "arm64"}


def running_config() -> Mapping[str, str]:
    """The running kernel's configuration; raises :class:`ExternError` when none is readable."""
    values = config.running_config()
    if values is None:
        tried = ", ".join(config.config_paths())
        raise ExternError(f"no kernel config found (tried {tried}) for __kconfig externs")
    return values


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
        return config.kernel_version()
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


__all__ = ["encode_kconfig", "kconfig_data", "running_config"]
