"""Symbolic relocations: what an instruction refers to, by name, so a spec stays kernel-free.

A runtime resolves them at load time (map fds, kernel BTF ids, kconfig values); the ELF parser
only says *what* each referencing instruction points at.  Keys of ``ProgramSpec.relocations`` are
instruction slot indexes (a 16-byte ``lddw`` covers two slots), the numbering the kernel, the
verifier log and ``.BTF.ext`` use.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, set_field

from .._enum import ConstantEnum


class RelocationKind(ConstantEnum):
    """What the referencing instruction needs from the runtime."""

    #: ``lddw rX, map``: the map's fd (``target`` is the map name).
    MAP = "map"
    #: ``lddw rX, &global + offset``: address inside a global-data map (``target`` is the map name).
    MAP_VALUE = "map_value"
    #: ``call subprog``: already linked into the program; kept so listings can name the callee.
    SUBPROGRAM = "subprogram"
    #: ``lddw rX, callback``: a function address (``BPF_PSEUDO_FUNC``), already linked like a call.
    FUNC_ADDR = "func_addr"
    #: ``lddw rX, &kconfig_extern``: address inside the ``.kconfig`` map at ``offset``.
    KCONFIG = "kconfig"
    #: ``lddw rX, &ksym_var``: a kernel variable, resolved to a BTF id (``BPF_PSEUDO_BTF_ID``).
    KSYM = "ksym"
    #: ``call kfunc``: a kernel function, resolved to a BTF id (``BPF_PSEUDO_KFUNC_CALL``).
    KFUNC = "kfunc"


@dataclass(frozen=True, slots=True, init=False)
class Relocation:
    """One reference from an instruction.

    ``offset`` is the byte offset inside the target map's value for MAP_VALUE and KCONFIG (the
    instruction's own immediate is left as compiled; the runtime writes the final one).  ``weak``
    marks a weak extern, which may stay unresolved (the runtime then writes 0).
    """

    kind: RelocationKind
    target: str
    offset: int = 0
    weak: bool = False

    def __str__(self) -> str:
        extra = f"+{self.offset:#x}" if self.offset else ""
        return f"{self.kind.value}:{self.target}{extra}"

    def __init__(self, kind: RelocationKind, target: str, offset: int = 0, weak: bool = False) -> None:
        set_field(self, "kind", kind)
        set_field(self, "target", target)
        set_field(self, "offset", offset)
        set_field(self, "weak", weak)


__all__ = ["Relocation", "RelocationKind"]
