"""A parsed object with every kind of global variable, for the spec-editing tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pybpf.spec import ObjectSpec

GLOBALS_C = Path(__file__).resolve().parent.parent / "elf" / "data" / "globals.bpf.c"


@pytest.fixture(scope="session")
def globals_object(bpf_build_dir: Path) -> Path:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        pytest.skip("the ziglang wheel (clang) is not installed")
    out = bpf_build_dir / "spec-globals.o"
    cmd = [
        sys.executable,
        "-m",
        "ziglang",
        "cc",
        "-target",
        "bpfel-freestanding",
        "-g",
        "-O2",
        "-c",
        str(GLOBALS_C),
        "-o",
        str(out),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode:
        pytest.fail(result.stderr)
    return out


@pytest.fixture
def spec(globals_object: Path) -> ObjectSpec:
    """A fresh spec per test, since tests edit it."""
    return ObjectSpec.from_file(globals_object)
