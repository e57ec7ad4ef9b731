"""End to end: a tracepoint program collects stack ids with bpf_get_stackid into a stack trace
map; the stacks read back and symbolize to the frames of the getpid() call that triggered it."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pybpf.symbols import KernelFrame, UserFrame, format_stack, read_stack, symbolize
from testlib import require_kernel_feature

DATA = Path(__file__).parent / "data"


def _bpf_refusal() -> str:
    from pybpf import kernel
    from pybpf.enums import MapType

    try:
        kernel.map_create(MapType.ARRAY, 4, 8, 1, name="probe").close()
    except kernel.KernelError as exc:
        return f"bpf() refused: {exc}"
    return ""


@pytest.fixture(scope="module")
def stacks_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pybpf.cc import build

    return build(DATA / "stacks.bpf.c", tmp_path_factory.mktemp("stacks") / "stacks.bpf.o")


@pytest.fixture(scope="module")
def getpid_stacks(stacks_object: Path) -> Iterator[tuple[list[int], list[int]]]:
    """(kernel stack, user stack) of one getpid() call made through ctypes by this process."""
    refusal = _bpf_refusal()
    require_kernel_feature(not refusal, refusal or "bpf() refused")
    require_kernel_feature(
        Path("/sys/kernel/tracing/events/syscalls/sys_enter_getpid").exists()
        or Path("/sys/kernel/debug/tracing/events/syscalls/sys_enter_getpid").exists(),
        "no syscalls/sys_enter_getpid tracepoint",
    )
    import pybpf
    from pybpf.attach import attach_tracepoint
    from pybpf.spec import ObjectSpec

    spec = ObjectSpec.from_file(stacks_object)
    spec.rodata["target_tgid"] = os.getpid()
    with pybpf.load(spec) as obj:
        obj_any: Any = obj
        with attach_tracepoint(obj_any.programs["on_getpid"], "syscalls", "sys_enter_getpid"):
            ctypes.CDLL("libc.so.6").getpid()
        kernel_id, user_id = obj_any.maps["ids"][0], obj_any.maps["ids"][1]
        require_kernel_feature(
            kernel_id >= 0 and user_id >= 0, f"bpf_get_stackid failed ({kernel_id}, {user_id})"
        )
        maps = obj_any.maps
        yield read_stack(maps["kernel_stacks"], kernel_id), read_stack(maps["user_stacks"], user_id)


def test_kernel_stack_of_a_syscall_contains_the_syscall_entry(
    getpid_stacks: tuple[list[int], list[int]],
) -> None:
    frames = symbolize(getpid_stacks[0])
    names = {frame.name for frame in frames if isinstance(frame, KernelFrame)}
    assert "do_syscall_64" in names or "entry_SYSCALL_64_after_hwframe" in names


def test_innermost_user_frame_is_libc_getpid(getpid_stacks: tuple[list[int], list[int]]) -> None:
    frame = symbolize(getpid_stacks[1][:1], pid=os.getpid())[0]
    assert isinstance(frame, UserFrame) and frame.module.startswith("libc")
    function = ctypes.cast(getattr(ctypes.CDLL("libc.so.6"), frame.name), ctypes.c_void_p).value
    assert function == ctypes.cast(ctypes.CDLL("libc.so.6").getpid, ctypes.c_void_p).value


def test_formatted_kernel_stack_names_every_frame(getpid_stacks: tuple[list[int], list[int]]) -> None:
    lines = format_stack(getpid_stacks[0]).splitlines()
    assert len(lines) == len(getpid_stacks[0]) and all("+0x" in line for line in lines)
