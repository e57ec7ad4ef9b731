"""Fixtures for ``pybpf run`` tests: objects compiled once per session, a bpf() probe."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from run_testlib import DATA, EXAMPLES

from pybpf import kernel
from pybpf.spec import ObjectSpec
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


@pytest.fixture(scope="session")
def run_object(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``run_object("infer")`` compiles tests/run/data/infer.bpf.c (or examples/NAME.bpf.c) once."""
    from pybpf.cc import build

    out_dir = tmp_path_factory.mktemp("run-objects")
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            source = DATA / f"{name}.bpf.c"
            if not source.is_file():
                source = EXAMPLES / f"{name}.bpf.c"
            built[name] = build(source, out_dir / f"{name}.bpf.o", include_dirs=[source.parent])
        return built[name]

    return get


@pytest.fixture(scope="session")
def infer_spec(run_object: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(run_object("infer"))
