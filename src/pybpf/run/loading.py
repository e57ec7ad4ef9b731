"""Load an object for ``pybpf run``, leaving out programs this kernel refuses to load at all.

``pybpf.load`` fails the whole object when one fentry program cannot load (a kernel without
CONFIG_FUNCTION_GRAPH_TRACER refuses every trampoline), which is right for a library: the caller
asked for all of it.  A ``pybpf run`` of an object with one fentry and three tracepoints should
still trace the three, so this loader turns such a program's ``autoload`` off, loads again, and
hands back the refusal as a :class:`~pybpf.run.autoattach.Skipped` entry for the attach report.
"""

from __future__ import annotations

from typing import Any

from ..enums import ProgramType
from ..errors import NotSupported
from ..spec import ObjectSpec
from .autoattach import Skipped

#: The program types whose loads fail for want of a kernel feature rather than for a bug.
REFUSABLE_TYPES = frozenset({ProgramType.TRACING, ProgramType.LSM, ProgramType.EXT})


def refused_program(spec: ObjectSpec, exc: BaseException) -> str | None:
    """The program whose load raised ``exc``: named by the loader (``exc.program``), or the only candidate."""
    named = getattr(exc, "program", None)
    if isinstance(named, str) and named in spec.programs:
        return named
    candidates = [p.name for p in spec.programs.values() if p.autoload and p.type in REFUSABLE_TYPES]
    return candidates[0] if len(candidates) == 1 else None


def load_skipping_refused(
    spec: ObjectSpec, *, runtime: Any = "kernel", **options: Any
) -> tuple[Any, list[Skipped]]:
    """``pybpf.load(spec)``, but a trampoline/LSM program the kernel does not support is left out.

    Sets ``spec.programs[name].autoload = False`` for each such program (so the spec is changed)
    and returns the loaded object with one :class:`Skipped` per program left out.  Any other
    error, or a refusal of a program that is not of a trampoline type, is raised as before.
    """
    from ..runtime import load

    skipped: list[Skipped] = []
    while True:
        try:
            return load(spec, runtime=runtime, **options), skipped
        except NotSupported as exc:
            name = refused_program(spec, exc)
            if name is None or spec.programs[name].type not in REFUSABLE_TYPES:
                raise
            prog = spec.programs[name]
            if not prog.autoload:
                raise
            prog.autoload = False
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            skipped.append(Skipped(name, prog.section, f"not loaded: {reason}"))


__all__ = ["REFUSABLE_TYPES", "load_skipping_refused", "refused_program"]
