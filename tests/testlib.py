"""Helpers every test directory shares (importable as ``testlib``: pytest puts tests/ on the path).

Kernel-dependent tests call :func:`require_kernel_feature`: it skips with the reason where the
machine refuses, and under ``PYBPF_STRICT=1`` (set by ``.ci/run``) it fails instead, so CI on the
development machine can never pass by skipping what it must exercise.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

STRICT = os.environ.get("PYBPF_STRICT") == "1"
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VMLINUX = Path("/sys/kernel/btf/vmlinux")


def require_kernel_feature(available: bool, reason: str) -> None:
    """Skip (or fail, under PYBPF_STRICT=1) a test whose kernel feature is unavailable."""
    if available:
        return
    if STRICT:
        pytest.fail(f"PYBPF_STRICT=1 and a kernel feature is missing: {reason}")
    pytest.skip(reason)


def find_tool(*names: str) -> str | None:
    """First of ``names`` found on PATH (reference tools: llvm-objdump, bpftool, ...)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


EXAMPLES = ROOT / "examples"


def compile_bpf(
    source: Path, output: Path, *, extra_flags: tuple[str, ...] = (), include_dirs: tuple[Path, ...] = ()
) -> Path:
    """Compile a BPF C file for tests through ``pybpf.cc.build`` (our headers, generated vmlinux.h)."""
    from pybpf.cc import build

    return build(source, output, extra_flags=list(extra_flags), include_dirs=list(include_dirs))


def object_builder(data: Path, out_dir: Path, *, include_source_dir: bool = False) -> Callable[[str], Path]:
    """``build(name)`` compiles ``data/NAME.bpf.c`` (else ``examples/NAME.bpf.c``) once into ``out_dir``.

    Session fixtures wrap it so that each test directory compiles its objects only once.
    """
    built: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in built:
            source = data / f"{name}.bpf.c"
            if not source.is_file():
                source = EXAMPLES / f"{name}.bpf.c"
            includes = (source.parent,) if include_source_dir else ()
            built[name] = compile_bpf(source, out_dir / f"{name}.bpf.o", include_dirs=includes)
        return built[name]

    return build


@cache
def bpf_refusal() -> str:
    """Why this process may not use bpf() (probed once by creating a tiny array map), or ""."""
    from pybpf import kernel

    try:
        kernel.map_create(2, 4, 4, 1).close()  # BPF_MAP_TYPE_ARRAY
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""


def require_bpf() -> None:
    """Skip (fail under PYBPF_STRICT=1) when this process may not use bpf()."""
    refusal = bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")


@contextmanager
def bpffs_scratch_dir() -> Iterator[Path]:
    """A fresh directory on bpffs, removed at the end with everything pinned inside."""
    from pybpf import kernel

    try:
        root = kernel.ensure_bpffs()
    except kernel.KernelError as exc:
        require_kernel_feature(False, f"no bpffs: {exc}")
        raise
    path = Path(root) / f"pybpf-test-{os.getpid()}-{os.urandom(4).hex()}"
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


HAVE_ZIGLANG = importlib.util.find_spec("ziglang") is not None
#: The bare clang of the ziglang wheel targeting BPF (no pybpf headers, no generated vmlinux.h).
ZIG_CC = (sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding")


def require_ziglang() -> None:
    """Skip a test that compiles BPF C when the ziglang wheel (clang) is not installed."""
    if not HAVE_ZIGLANG:
        pytest.skip("the ziglang wheel (clang) is not installed")


def zig_cc(source: Path, output: Path, *flags: str, timeout: float | None = None) -> Path:
    """Compile ``source`` with :data:`ZIG_CC` and ``flags``; fails the test with clang's output."""
    require_ziglang()
    command = [*ZIG_CC, *flags, "-c", str(source), "-o", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"compiling {source.name} failed:\n{done.stderr}")
    return output


CLONE_NEWNET = 0x40000000


@contextmanager
def in_netns(name: str) -> Iterator[None]:
    """This thread inside network namespace ``name`` (``/run/netns/NAME``) for the body, then back."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            libc.setns(original, CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(original)


def cgroup2_root() -> Path | None:
    """Where cgroup v2 is mounted, from ``/proc/self/mounts`` (None when it is not)."""
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return Path(fields[1])
    return None


@contextmanager
def scratch_cgroup() -> Iterator[Path]:
    """A fresh, empty cgroup v2 directory; processes a test moved in go back to the root first."""
    root = cgroup2_root()
    require_kernel_feature(root is not None, "no cgroup2 mount")
    assert root is not None
    path = root / f"pybpf-test-{os.getpid()}-{os.urandom(4).hex()}"
    path.mkdir()
    try:
        yield path
    finally:
        for pid in (path / "cgroup.procs").read_text().split():
            (root / "cgroup.procs").write_text(pid)
        path.rmdir()
