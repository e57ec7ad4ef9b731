"""Builds of the CO-RE test programs in ``data/``: each file normally and with ``-DTARGET``.

The normal build is the program; the ``-DTARGET`` build only contributes its ``.BTF``, which
plays the kernel (changed layouts, renamed fields, flavours, other enum values).  Objects are
compiled once per session, two at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from core_testlib import DATA, SLEEPABLE, SOURCES, CoreObject

from pybpf.errors import Error, ToolNotFound
from pybpf.spec import ObjectSpec
from testlib import require_kernel_feature


def _build(name: str, out_dir: Path, flags: tuple[str, ...]) -> Path:
    from pybpf.cc import build

    suffix = "-target" if flags else ""
    return build(DATA / f"{name}.bpf.c", out_dir / f"core-{name}{suffix}.o", extra_flags=list(flags))


@pytest.fixture(scope="session")
def core_objects(bpf_build_dir: Path) -> dict[str, CoreObject]:
    jobs = [(name, flags) for name in SOURCES for flags in ((), ("-DTARGET",))]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            paths = list(pool.map(lambda job: _build(job[0], bpf_build_dir, job[1]), jobs))
    except ToolNotFound as exc:
        pytest.skip(f"no BPF C compiler: {exc}")
    built = dict(zip(jobs, paths, strict=True))
    objects = {}
    for name in SOURCES:
        target = ObjectSpec.from_file(built[(name, ("-DTARGET",))])
        assert target.btf is not None
        objects[name] = CoreObject(name, ObjectSpec.from_file(built[(name, ())]), target.btf)
    return objects


@pytest.fixture(scope="session")
def build_source(bpf_build_dir: Path) -> Callable[[str], Path]:
    """Compile ``data/<name>.bpf.c`` (normal build only)."""

    def build(name: str) -> Path:
        try:
            return _build(name, bpf_build_dir, ())
        except ToolNotFound as exc:
            pytest.skip(f"no BPF C compiler: {exc}")

    return build


@cache
def _syscall_prog_refusal() -> str:
    from pybpf.isa import encode, exit, mov64_imm
    from pybpf.kernel import prog_load

    try:
        prog_load(31, encode([mov64_imm(0, 0), exit()]), "GPL", prog_flags=SLEEPABLE).close()
    except Error as exc:
        return f'cannot load a SEC("syscall") program: {exc}'
    return ""


@pytest.fixture
def kernel_bpf() -> Iterator[None]:
    """Skip (fail under PYBPF_STRICT=1) unless this process can load and run BPF programs."""
    refusal = _syscall_prog_refusal()
    require_kernel_feature(not refusal, refusal)
    yield
