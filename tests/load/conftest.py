"""Fixtures for loading objects into the running kernel: compiled objects, bpffs scratch dirs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from load_testlib import DATA, EXAMPLES, compile_bpf, require_kernel_feature

from pybpf import kernel


@cache
def _bpf_refusal() -> str:
    try:
        kernel.map_create(2, 4, 4, 1).close()
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""


@pytest.fixture
def bpf_ok() -> None:
    """Skip (fail under PYBPF_STRICT=1) when this process may not use bpf()."""
    refusal = _bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")


@pytest.fixture(scope="session")
def load_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("load-objects")


@pytest.fixture(scope="session")
def build_object(load_build_dir: Path) -> Callable[[str], Path]:
    """``build_object("maps")`` compiles tests/load/data/maps.bpf.c (or an example) once."""
    built: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in built:
            source = DATA / f"{name}.bpf.c"
            if not source.exists():
                source = EXAMPLES / f"{name}.bpf.c"
            built[name] = compile_bpf(source, load_build_dir / f"{name}.bpf.o")
        return built[name]

    return build


@pytest.fixture
def pin_dir(bpf_ok: None) -> Iterator[Path]:
    """A fresh directory on bpffs for pins, removed with whatever was pinned in it."""
    try:
        root = kernel.ensure_bpffs()
    except kernel.KernelError as exc:
        require_kernel_feature(False, f"no bpffs: {exc}")
        raise
    path = Path(root) / f"pybpf-load-{os.getpid()}-{os.urandom(4).hex()}"
    path.mkdir()
    try:
        yield path
    finally:
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
