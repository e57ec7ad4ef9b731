"""Fixtures for the inspection tests: a loaded object with known programs and maps, bpftool.

``bpf_ok`` and ``bpffs_dir`` come from tests/conftest.py.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests_inspect_lib import DATA

from testlib import compile_bpf, find_tool, require_bpf


@pytest.fixture(scope="session")
def inspect_object_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inspect-objects") / "inspect.bpf.o"
    return compile_bpf(DATA / "inspect.bpf.c", out)


@pytest.fixture(scope="session")
def loaded(inspect_object_path: Path) -> Iterator[Any]:
    """The test object loaded into the kernel for the whole session (closed at the end)."""
    require_bpf()
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


__all__ = ["CliRunner"]
