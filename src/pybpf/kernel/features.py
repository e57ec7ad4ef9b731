"""What the running kernel knows, read from its own BTF rather than guessed from its version.

``EINVAL`` from the kernel means both "bad argument" and "unknown type"; the kernel's BTF lists
the enum values it was built with (``enum bpf_map_type`` ...), which tells the two apart.
"""

from __future__ import annotations

import errno as _errno

from pybpf._lazy import cache
from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

from .errors import KernelError, error_for

VMLINUX = "/sys/kernel/btf/vmlinux"


@cache
def _kernel_enum(enum_name: str) -> frozenset[int] | None:
    try:
        from pybpf.btf import BTF  # not at the top: pybpf.btf imports this package

        enum: Any = BTF.vmlinux(VMLINUX).find(enum_name)
        return frozenset(int(v.value) for v in enum.values if not v.name.startswith("__MAX"))
    except Exception:  # no BTF, unreadable, or a BTF parser that cannot answer: "don't know"
        return None


def kernel_knows(enum_name: str, value: int) -> bool | None:
    """Whether the kernel's ``enum_name`` has ``value``; ``None`` when its BTF cannot tell."""
    values = _kernel_enum(enum_name)
    if values is None:
        return None
    return int(value) in values


def unknown_feature(enum_name: str, value: int, what: str) -> str:
    """``what`` when the kernel certainly lacks ``value`` of ``enum_name``, else ``""``."""
    return what if kernel_knows(enum_name, value) is False else ""


def refine_unknown(exc: KernelError, checks: list[tuple[str, int, str]]) -> KernelError:
    """Turn an ``EINVAL`` into :class:`NotSupportedByKernel` when the kernel lacks a value used.

    ``checks`` holds (enum name, value, description) for the typed values the call passed.
    """
    if exc.errno not in (_errno.EINVAL, _errno.EOPNOTSUPP):
        return exc
    for enum_name, value, what in checks:
        feature = unknown_feature(enum_name, value, what)
        if feature:
            refined = error_for(exc.command, exc.errno or _errno.EINVAL, feature=feature)
            refined.__cause__ = exc
            return refined
    return exc


__all__ = ["kernel_knows", "refine_unknown", "unknown_feature"]
