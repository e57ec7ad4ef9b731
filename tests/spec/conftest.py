"""A parsed object with every kind of global variable, for the spec-editing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.spec import ObjectSpec
from testlib import zig_cc

GLOBALS_C = Path(__file__).resolve().parent.parent / "elf" / "data" / "globals.bpf.c"


@pytest.fixture(scope="session")
def globals_object(bpf_build_dir: Path) -> Path:
    return zig_cc(GLOBALS_C, bpf_build_dir / "spec-globals.o", "-g", "-O2")


@pytest.fixture
def spec(globals_object: Path) -> ObjectSpec:
    """A fresh spec per test, since tests edit it."""
    return ObjectSpec.from_file(globals_object)
