"""Fixtures for ``pybpf run`` tests: objects compiled once per session (``bpf_ok`` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from run_testlib import DATA

from pybpf.spec import ObjectSpec
from testlib import object_builder


@pytest.fixture(scope="session")
def run_object(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``run_object("infer")`` compiles tests/run/data/infer.bpf.c (or examples/NAME.bpf.c) once."""
    return object_builder(DATA, tmp_path_factory.mktemp("run-objects"), include_source_dir=True)


@pytest.fixture(scope="session")
def infer_spec(run_object: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(run_object("infer"))
