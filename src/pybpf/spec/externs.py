"""Extern symbols an object expects the runtime to provide (``__kconfig`` and ``__ksym``)."""

from __future__ import annotations

from pybpf._dataclasses import dataclass

from .._enum import ConstantEnum


class ExternKind(ConstantEnum):
    #: ``extern T CONFIG_X __kconfig``: a value from the kernel config, stored in ``.kconfig``.
    KCONFIG = "kconfig"
    #: ``extern T sym __ksym``: address of a kernel variable (per-CPU or not).
    KSYM = "ksym"
    #: ``extern int func(...) __ksym``: a kernel function callable from BPF.
    KFUNC = "kfunc"


@dataclass(slots=True)
class ExternSpec:
    """An undefined symbol of the object.

    ``btf_type_id`` is the VAR or FUNC describing it in the object's BTF (0 without BTF); for
    KCONFIG, ``offset``/``size`` locate its value inside the ``.kconfig`` map.
    """

    name: str
    kind: ExternKind
    weak: bool = False
    btf_type_id: int = 0
    offset: int = 0
    size: int = 0


__all__ = ["ExternKind", "ExternSpec"]
