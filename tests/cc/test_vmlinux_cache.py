"""The vmlinux.h cache: generated once per distinct BTF, found again by the BTF's hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.cc import cache_dir, vmlinux_header
from pybpf.cc import vmlinux as vmlinux_module
from pybpf.errors import Error


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("PYBPF_CACHE_DIR", str(root))
    return root


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the C dump with a recorder: each call is one generation."""
    calls: list[Path] = []

    def fake(btf_path: Path) -> str:
        calls.append(btf_path)
        return f"/* types of {btf_path.name} */\n"

    monkeypatch.setattr(vmlinux_module, "generate_header", fake)
    return calls


def _btf_file(directory: Path, name: str, content: bytes) -> Path:
    path = directory / name
    path.write_bytes(content)
    return path


def test_second_call_reuses_the_cached_header(cache: Path, generated: list[Path], tmp_path: Path) -> None:
    btf = _btf_file(tmp_path, "a.btf", b"\x9f\xeb" + b"a" * 30)
    first = vmlinux_header(btf)
    second = vmlinux_header(btf)
    assert (first, len(generated)) == (second, 1)


def test_different_btf_gets_a_different_header(cache: Path, generated: list[Path], tmp_path: Path) -> None:
    one = vmlinux_header(_btf_file(tmp_path, "a.btf", b"one"))
    two = vmlinux_header(_btf_file(tmp_path, "b.btf", b"two"))
    assert one != two and len(generated) == 2


def test_same_btf_bytes_under_another_path_hit_the_cache(
    cache: Path, generated: list[Path], tmp_path: Path
) -> None:
    first = vmlinux_header(_btf_file(tmp_path, "a.btf", b"same"))
    second = vmlinux_header(_btf_file(tmp_path, "copy.btf", b"same"))
    assert (first, len(generated)) == (second, 1)


def test_changed_btf_at_the_same_path_regenerates(cache: Path, generated: list[Path], tmp_path: Path) -> None:
    btf = _btf_file(tmp_path, "a.btf", b"before")
    before = vmlinux_header(btf)
    btf.write_bytes(b"after")
    assert vmlinux_header(btf) != before and len(generated) == 2


def test_header_lives_alone_in_its_hash_directory_under_the_cache(
    cache: Path, generated: list[Path], tmp_path: Path
) -> None:
    header = vmlinux_header(_btf_file(tmp_path, "a.btf", b"x"))
    assert header.name == "vmlinux.h"
    assert header.parent.parent == cache / "vmlinux"
    assert [p.name for p in header.parent.iterdir()] == ["vmlinux.h"]


def test_failed_generation_leaves_no_partial_header(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(btf_path: Path) -> str:
        raise Error("dump failed")

    monkeypatch.setattr(vmlinux_module, "generate_header", broken)
    with pytest.raises(Error, match=r"cannot generate vmlinux.h from .*a\.btf: dump failed"):
        vmlinux_header(_btf_file(tmp_path, "a.btf", b"x"))
    assert not any(path.is_file() for path in cache.rglob("*"))


def test_missing_btf_raises_an_error_naming_the_file(cache: Path, tmp_path: Path) -> None:
    with pytest.raises(Error, match=r"absent\.btf"):
        vmlinux_header(tmp_path / "absent.btf")


def test_cache_dir_follows_pybpf_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYBPF_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"


def test_cache_dir_falls_back_to_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PYBPF_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "pybpf"


def test_cache_dir_defaults_to_home_dot_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PYBPF_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "pybpf"


def test_header_text_comes_from_pybpf_btf_cdump(
    monkeypatch: pytest.MonkeyPatch, vmlinux_btf_path: Path
) -> None:
    cdump = pytest.importorskip("pybpf.btf.cdump")
    monkeypatch.setattr(cdump, "dump_c", lambda btf: f"/* {len(btf)} types */")
    assert vmlinux_module.generate_header(vmlinux_btf_path).startswith("/* ")


def test_kernel_header_declares_relocatable_kernel_structs(cache: Path, vmlinux_btf_path: Path) -> None:
    text = vmlinux_header(vmlinux_btf_path).read_text()
    assert "struct task_struct {" in text and "preserve_access_index" in text
