"""The userspace eBPF VM: run programs without the kernel, with kernel semantics.

``run(insns, memory=...)`` is the one-call entry; ``prepare()`` compiles once for many runs.
Programs are translated to Python source (see :mod:`pybpf.vm.codegen`), memory lives in checked
regions behind opaque addresses (:mod:`pybpf.vm.memory`), and every refusal or fault is a
:class:`pybpf.vm.VMError`.

``load(spec, **options)`` (:mod:`pybpf.vm.runtime`) is the second runtime: a whole
:class:`~pybpf.spec.ObjectSpec` with userspace maps (:mod:`pybpf.vm.maps`) and helpers
(:mod:`pybpf.vm.helpers`), returning an ``Object`` with the kernel runtime's API.  It is
imported on first use so that ``import pybpf.vm`` stays light.
"""

from __future__ import annotations

from .._lazy import lazy_attributes
from .errors import ExitProgram, ProgramRejected, VMError, VMFault
from .interpreter import DEFAULT_BUDGET, Helper, Machine, Program, RunResult, Tracer, prepare, run
from .memory import AddressSpace, Region, RegionKind

__getattr__ = lazy_attributes(__name__, {"load": "runtime"})


__all__ = [
    "DEFAULT_BUDGET",
    "AddressSpace",
    "ExitProgram",
    "Helper",
    "Machine",
    "Program",
    "ProgramRejected",
    "Region",
    "RegionKind",
    "RunResult",
    "Tracer",
    "VMError",
    "VMFault",
    "load",
    "prepare",
    "run",
]
