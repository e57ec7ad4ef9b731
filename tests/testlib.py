"""Helpers every test directory shares (importable as ``testlib``: pytest puts tests/ on the path).

Kernel-dependent tests call :func:`require_kernel_feature`: it skips with the reason where the
machine refuses, and under ``PYBPF_STRICT=1`` (set by ``.ci/run``) it fails instead, so CI on the
development machine can never pass by skipping what it must exercise.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

STRICT = os.environ.get("PYBPF_STRICT") == "1"
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VMLINUX = Path("/sys/kernel/btf/vmlinux")


def require_kernel_feature(available: bool, reason: str) -> None:
    """Skip (or fail, under PYBPF_STRICT=1) a test whose kernel feature is unavailable."""
    if available:
        return
    if STRICT:
        pytest.fail(f"PYBPF_STRICT=1 and a kernel feature is missing: {reason}")
    pytest.skip(reason)


def find_tool(*names: str) -> str | None:
    """First of ``names`` found on PATH (reference tools: llvm-objdump, bpftool, ...)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None
