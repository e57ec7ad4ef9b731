"""Shared by the fault tests: the ``vm_faults`` object loaded on each available engine."""

from __future__ import annotations

import pytest
from runtime_support import DATA, compiled_spec

from pybpf.vm.objects import Object
from pybpf.vm.runtime import load

ENGINES = ["interpreter", "jit"]


def faults_object(engine: str) -> Object:
    """``vm_faults.bpf.c`` loaded on ``engine``; skips the JIT without llvmlite."""
    if engine == "jit":
        from pybpf.vm.jit import available

        if not available():
            pytest.skip("llvmlite is not installed: no JIT engine")
    return load(compiled_spec(DATA / "vm_faults.bpf.c"), engine=engine)
