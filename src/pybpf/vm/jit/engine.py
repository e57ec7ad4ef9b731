"""Compile LLVM IR text to native code with llvmlite's MCJIT; the only module importing llvmlite.

llvmlite is an optional dependency (``pip install 'pybpf[jit]'``), so it is imported on first
use and its absence becomes :class:`~pybpf.errors.NotSupported` with the install hint.  LLVM's
global state (targets, the host target machine) is set up once per process, under a lock
because compilation may be requested from several threads.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from pybpf._dataclasses import dataclass

from ...errors import NotSupported

INSTALL_HINT = "pip install 'pybpf[jit]'"

_lock = threading.Lock()
_state: dict[str, Any] = {}


def available() -> bool:
    """Whether llvmlite can be imported (the JIT's only requirement)."""
    try:
        _binding()
    except NotSupported:
        return False
    return True


def _binding() -> ModuleType:
    if "llvm" in _state:
        cached: ModuleType = _state["llvm"]
        return cached
    try:
        import llvmlite.binding as llvm  # type: ignore[import-untyped]
    except ImportError as exc:
        raise NotSupported(f"the VM JIT needs llvmlite ({INSTALL_HINT}): {exc}") from exc
    with _lock:
        if "llvm" not in _state:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            _state["target"] = llvm.Target.from_default_triple()
            _state["llvm"] = llvm
    return llvm


@dataclass
class Compiled:
    """Native code of one module; it stays valid while this object (its engine) is alive."""

    engine: Any
    addresses: dict[str, int]


def compile_ir(text: str, symbols: list[str], *, opt_level: int = 2) -> Compiled:
    """Parse, verify, optimise and JIT ``text``; return the addresses of ``symbols``.

    Invalid IR is a bug of the generator, not of the user's program, so it surfaces as
    :class:`RuntimeError` with LLVM's message rather than as a program rejection.
    """
    llvm = _binding()
    with _lock:
        # The engine takes ownership of its target machine (and frees it), so each gets its own.
        machine = _state["target"].create_target_machine(opt=opt_level, codemodel="jitdefault")
        try:
            module = llvm.parse_assembly(text)
            module.verify()
        except RuntimeError as exc:
            raise RuntimeError(f"pybpf JIT generated invalid LLVM IR: {exc}") from exc
        module.triple = machine.triple
        module.data_layout = str(machine.target_data)
        if opt_level > 0:
            tuning = llvm.create_pipeline_tuning_options(speed_level=opt_level)
            builder = llvm.create_pass_builder(machine, tuning)
            builder.getModulePassManager().run(module, builder)
        engine = llvm.create_mcjit_compiler(module, machine)
        engine.finalize_object()
        addresses = {name: engine.get_function_address(name) for name in symbols}
    return Compiled(engine, addresses)


__all__ = ["INSTALL_HINT", "Compiled", "available", "compile_ir"]
