"""The VM's second engine: eBPF compiled to native code through LLVM (llvmlite).

Same contract as :mod:`pybpf.vm` — ``prepare()``/``Program.run()``/``run()`` with the same
arguments, the same :class:`~pybpf.vm.RunResult`, the same :class:`~pybpf.vm.VMFault` naming the
instruction, address, size and region — but each BPF function becomes a native function, so
compute-heavy programs run hundreds of times faster than the Python translation.  llvmlite is
optional (``pip install 'pybpf[jit]'``); without it everything here raises
:class:`~pybpf.errors.NotSupported` and :func:`available` says False.

Modules: :mod:`.layout` (the words native code and Python share), :mod:`.irgen` (program to
LLVM IR text), :mod:`.engine` (IR to machine code), :mod:`.program` (runs, helpers, faults),
:mod:`.select` (``engine="auto" | "interpreter" | "jit"`` for :mod:`pybpf.vm` to delegate to).
"""

from __future__ import annotations

from .engine import INSTALL_HINT, available
from .program import Program, prepare, run
from .select import ENGINES, Engine

__all__ = ["ENGINES", "INSTALL_HINT", "Engine", "Program", "available", "prepare", "run"]
