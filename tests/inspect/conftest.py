"""Fixtures for the inspection tests: a loaded object with known programs and maps, bpftool."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests_inspect_lib import DATA, compile_bpf, find_tool, require_kernel_feature

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
def inspect_object_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inspect-objects") / "inspect.bpf.o"
    return compile_bpf(DATA / "inspect.bpf.c", out)


@pytest.fixture(scope="session")
def loaded(inspect_object_path: Path) -> Iterator[Any]:
    """The test object loaded into the kernel for the whole session (closed at the end)."""
    refusal = _bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")
    from pybpf.runtime import load

    obj = load(inspect_object_path)
    try:
        yield obj
    finally:
        obj.close()


@pytest.fixture
def bpftool() -> Callable[..., Any]:
    """``bpftool(*args)``: bpftool's JSON output parsed (skips when bpftool is not installed)."""
    tool = find_tool("bpftool")
    if tool is None:
        pytest.skip("bpftool is not installed")

    def run(*args: str) -> Any:
        done = subprocess.run([tool, "-j", *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise AssertionError(f"bpftool {' '.join(args)} failed: {done.stderr or done.stdout}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    return run


@pytest.fixture
def pybpf_cli() -> Callable[..., Any]:
    """``pybpf_cli(command, *args)``: run one of our click commands and return its result."""
    from tests_inspect_lib import run_command

    return run_command


@pytest.fixture
def bpffs_dir(bpf_ok: None) -> Iterator[Path]:
    """A fresh directory on bpffs, removed with everything pinned inside."""
    root = Path(kernel.ensure_bpffs())
    path = root / f"pybpf-inspect-{os.getpid()}-{os.urandom(4).hex()}"
    path.mkdir()
    try:
        yield path
    finally:
        for dirpath, dirs, files in os.walk(path, topdown=False):
            for name in files:
                os.unlink(os.path.join(dirpath, name))
            for name in dirs:
                os.rmdir(os.path.join(dirpath, name))
        path.rmdir()


__all__ = ["CliRunner"]
