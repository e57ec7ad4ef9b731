"""Compile the test objects of ``tests/elf/data`` once per session.

The C sources define the few libbpf macros they need in ``data/common.h``, so they compile with
the bare ziglang clang and do not depend on the project's headers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
SOURCES = sorted(p.name.removesuffix(".bpf.c") for p in DATA.glob("*.bpf.c"))


def ziglang_available() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


def compile_object(source: Path, output: Path, *extra: str) -> Path:
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding", "-g", "-O2"]
    cmd += [*extra, "-c", str(source), "-o", str(output)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"compiling {source.name} failed:\n{result.stderr}")
    return output


@pytest.fixture(scope="session")
def objects(bpf_build_dir: Path) -> dict[str, Path]:
    """name (``maps``, ``globals``, ...) → compiled object path."""
    if not ziglang_available():
        pytest.skip("the ziglang wheel (clang) is not installed")
    return {name: compile_object(DATA / f"{name}.bpf.c", bpf_build_dir / f"{name}.o") for name in SOURCES}


@pytest.fixture(scope="session")
def object_bytes(objects: dict[str, Path]) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in objects.items()}


@pytest.fixture(scope="session")
def compile_c(bpf_build_dir: Path) -> Callable[..., bytes]:
    """Compile a C snippet (named ``name``, extra compiler flags after it) and return the bytes."""
    if not ziglang_available():
        pytest.skip("the ziglang wheel (clang) is not installed")

    def build(name: str, source: str, *flags: str) -> bytes:
        src = bpf_build_dir / f"{name}.bpf.c"
        src.write_text(source)
        return compile_object(src, bpf_build_dir / f"{name}.o", f"-I{DATA}", *flags).read_bytes()

    return build


@pytest.fixture(scope="session")
def llvm_objdump() -> str:
    """The reference disassembler (same lookup as ``find_tool`` in tests/conftest.py)."""
    for name in ("llvm-objdump", "llvm-objdump-14", "llvm-objdump-15", "llvm-objdump-16", "llvm-objdump-17"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("llvm-objdump is not installed")
