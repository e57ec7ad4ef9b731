"""Fixtures for the ISA tests: the sample programs of tests/isa/data compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from isa_testlib import DATA, SAMPLES


@pytest.fixture(scope="session")
def sample_objects(bpf_build_dir: Path) -> dict[str, Path]:
    from pybpf.cc import build
    from pybpf.errors import ToolNotFound

    built = {}
    try:
        for name, flags in SAMPLES.items():
            built[name] = build(DATA / f"{name}.bpf.c", bpf_build_dir / f"isa_{name}.o", extra_flags=list(flags))
    except ToolNotFound as exc:
        pytest.skip(f"no BPF C compiler: {exc}")
    return built
