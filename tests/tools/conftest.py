"""Fixtures for the tools' tests: a bpf() probe (tools need the running kernel)."""

from __future__ import annotations

from functools import cache

import pytest

from pybpf import kernel
from testlib import require_kernel_feature


@cache
def _bpf_refusal() -> str:
    try:
        kernel.map_create(2, 4, 4, 1).close()
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""


@pytest.fixture
def bpf_ok() -> None:
    refusal = _bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")
