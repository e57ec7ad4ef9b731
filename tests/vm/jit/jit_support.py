"""What the JIT tests share: the llvmlite skip and a comparable outcome of a run on either engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pybpf.vm import VMError, VMFault


def require_llvmlite() -> None:
    """Skip the calling test module when the optional JIT dependency is missing."""
    pytest.importorskip("llvmlite", reason="the VM JIT needs llvmlite (pip install 'pybpf[jit]')")


def outcome(runner: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """Everything observable about one run, as a tuple two engines must agree on."""
    try:
        result = runner(*args, **kwargs)
    except VMFault as fault:
        return ("fault", fault.reason, fault.index, fault.address, fault.size, fault.region)
    except VMError as exc:
        return (type(exc).__name__, str(exc))
    return ("ok", result.r0, result.memory, result.instructions, result.ctx, result.packet)


def is_budget_fault(result: tuple[Any, ...]) -> bool:
    return result[0] == "fault" and "budget" in result[1]
