"""Compile the test objects of ``tests/elf/data`` once per session.

The C sources define the few libbpf macros they need in ``data/common.h``, so they compile with
the bare ziglang clang and do not depend on the project's headers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from testlib import find_tool, require_ziglang, zig_cc

DATA = Path(__file__).resolve().parent / "data"
SOURCES = sorted(p.name.removesuffix(".bpf.c") for p in DATA.glob("*.bpf.c"))


def compile_object(source: Path, output: Path, *extra: str) -> Path:
    return zig_cc(source, output, "-g", "-O2", *extra)


@pytest.fixture(scope="session")
def objects(bpf_build_dir: Path) -> dict[str, Path]:
    """name (``maps``, ``globals``, ...) → compiled object path."""
    require_ziglang()
    return {name: compile_object(DATA / f"{name}.bpf.c", bpf_build_dir / f"{name}.o") for name in SOURCES}


@pytest.fixture(scope="session")
def object_bytes(objects: dict[str, Path]) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in objects.items()}


@pytest.fixture(scope="session")
def compile_c(bpf_build_dir: Path) -> Callable[..., bytes]:
    """Compile a C snippet (named ``name``, extra compiler flags after it) and return the bytes."""
    require_ziglang()

    def build(name: str, source: str, *flags: str) -> bytes:
        src = bpf_build_dir / f"{name}.bpf.c"
        src.write_text(source)
        return compile_object(src, bpf_build_dir / f"{name}.o", f"-I{DATA}", *flags).read_bytes()

    return build


@pytest.fixture(scope="session")
def llvm_objdump() -> str:
    """The reference disassembler."""
    found = find_tool(
        "llvm-objdump", "llvm-objdump-14", "llvm-objdump-15", "llvm-objdump-16", "llvm-objdump-17"
    )
    if found is None:
        pytest.skip("llvm-objdump is not installed")
    return found
