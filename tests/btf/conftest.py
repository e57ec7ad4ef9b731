"""Fixtures of the BTF tests: objects compiled from tests/btf/data/*.bpf.c and their .BTF sections.

The test programs are self-contained C (no headers), compiled once per session with the clang of
the ``ziglang`` wheel, so these tests depend on nothing else in pybpf.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from testlib import zig_cc

DATA = Path(__file__).resolve().parent / "data"
SOURCES = sorted(DATA.glob("*.bpf.c"))


def _compile(source: Path, output: Path) -> Path:
    return zig_cc(source, output, "-g", "-O2")


@pytest.fixture(scope="session")
def bpf_objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"kinds": Path(".../kinds.bpf.o"), ...}`` for every test program."""
    out = tmp_path_factory.mktemp("btf-objects")
    return {src.name.removesuffix(".bpf.c"): _compile(src, out / (src.stem + ".o")) for src in SOURCES}


def section_of(path: Path, name: str) -> bytes:
    with path.open("rb") as f:
        section = ELFFile(f).get_section_by_name(name)
        assert section is not None, f"{path} has no {name} section"
        data: bytes = section.data()
        return data


@pytest.fixture(scope="session")
def btf_sections(bpf_objects: dict[str, Path]) -> dict[str, bytes]:
    """The raw ``.BTF`` section of each test object."""
    return {name: section_of(path, ".BTF") for name, path in bpf_objects.items()}


@pytest.fixture(scope="session")
def btf_ext_sections(bpf_objects: dict[str, Path]) -> dict[str, bytes]:
    return {name: section_of(path, ".BTF.ext") for name, path in bpf_objects.items()}


@pytest.fixture(scope="session")
def vmlinux_bytes(vmlinux_btf_path: Path) -> bytes:
    return vmlinux_btf_path.read_bytes()


@pytest.fixture
def written_index(vmlinux_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The index cache file of vmlinux, freshly written into a private cache directory."""
    from pybpf.btf.index import cache_dir, cached_open

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached_open(vmlinux_bytes)
    (index_file,) = cache_dir().glob("*.idx")
    return index_file
