"""Fixtures for the USDT tests: a gcc-built traced program with hand-written stapsdt notes, the
BPF reader program, and a running instance of the traced program to attach to."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from usdt_testlib import DATA, Target

from testlib import find_tool, require_kernel_feature


def _bpf_refusal() -> str:
    from pybpf import kernel
    from pybpf.enums import MapType

    try:
        kernel.map_create(MapType.ARRAY, 4, 8, 1, name="probe").close()
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""


@pytest.fixture(scope="session")
def usdt_target_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = find_tool("gcc", "cc")
    if gcc is None:
        pytest.skip("no C compiler (gcc) to build the traced program")
    out = tmp_path_factory.mktemp("usdt") / "usdt_target"
    subprocess.run([gcc, "-O2", "-g", "-o", str(out), str(DATA / "usdt_target.c")], check=True)
    return out


@pytest.fixture(scope="session")
def usdt_reader_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pybpf.cc import build

    out = tmp_path_factory.mktemp("usdt-bpf") / "usdt_reader.bpf.o"
    return build(DATA / "usdt_reader.bpf.c", out)


@pytest.fixture
def bpf_ok() -> None:
    refusal = _bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")
    require_kernel_feature(
        Path("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset").exists(),
        "the uprobe PMU has no ref_ctr_offset (USDT semaphores)",
    )


@pytest.fixture
def target(usdt_target_binary: Path) -> Iterator[Target]:
    running = Target(usdt_target_binary)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def reader(bpf_ok: None, usdt_reader_object: Path) -> Iterator[object]:
    import pybpf

    with pybpf.load(usdt_reader_object) as obj:
        yield obj
