"""tracefs: tracepoint ids, trace_pipe parsing, and bpf_printk output read back."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from attach_testlib import require_kernel_feature
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf import kernel
from pybpf.attach import attach_tracepoint
from pybpf.enums import ProgramType
from pybpf.isa import constructors as c
from pybpf.isa import encode
from pybpf.isa.opcodes import Size
from pybpf.tracefs import (
    TracefsError,
    TracepointNotFound,
    find_tracefs,
    parse_trace_line,
    trace_pipe,
    tracepoint_exists,
    tracepoint_id,
)

PARSED = [
    (
        "            bash-1234    [001] d..31  5678.901234: bpf_trace_printk: hello world",
        ("bash", 1234, 1, "d..31", 5678.901234, "bpf_trace_printk", "hello world"),
    ),
    (
        " kworker/u8:2-57      [000] .....   12.000001: bpf_trace_printk: x=1",
        ("kworker/u8:2", 57, 0, ".....", 12.000001, "bpf_trace_printk", "x=1"),
    ),
    (
        "  my-task name-99 (   99) [003] ...1. 1.5: sched_switch: prev=a next=b",
        ("my-task name", 99, 3, "...1.", 1.5, "sched_switch", "prev=a next=b"),
    ),
]


@pytest.mark.parametrize(("line", "expected"), PARSED)
def test_trace_line_is_split_into_task_pid_cpu_flags_time_function_message(
    line: str, expected: tuple[object, ...]
) -> None:
    event = parse_trace_line(line)
    assert event is not None
    assert (
        event.task,
        event.pid,
        event.cpu,
        event.flags,
        event.timestamp,
        event.function,
        event.message,
    ) == expected


@pytest.mark.parametrize("line", ["", "CPU:1 [LOST 3 EVENTS]", "# tracer: nop"])
def test_lines_that_are_not_events_parse_to_none(line: str) -> None:
    assert parse_trace_line(line) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parsing_arbitrary_text_never_raises(text: str) -> None:
    parse_trace_line(text)


@pytest.fixture
def tracefs_ok() -> None:
    try:
        find_tracefs()
    except TracefsError as exc:
        require_kernel_feature(False, str(exc))


@pytest.mark.kernel
def test_sys_enter_getpid_has_a_positive_tracepoint_id(tracefs_ok: None) -> None:
    assert tracepoint_id("syscalls", "sys_enter_getpid") > 0


@pytest.mark.kernel
def test_unknown_tracepoint_raises_tracepoint_not_found(tracefs_ok: None) -> None:
    with pytest.raises(TracepointNotFound):
        tracepoint_id("syscalls", "sys_enter_no_such_call")
    assert not tracepoint_exists("syscalls", "sys_enter_no_such_call")


@pytest.mark.parametrize(("category", "name"), [("../x", "y"), ("a", "b/c"), ("", "x")])
def test_tracepoint_names_with_path_tricks_are_refused(category: str, name: str) -> None:
    with pytest.raises(ValueError):
        tracepoint_id(category, name)


def _printk_program(message: bytes) -> bytes:
    """bpf_trace_printk(message) from a string stored on the stack, return 0."""
    padded = message + b"\0" * (8 - len(message) % 8)
    insns = []
    base = -len(padded)
    for i in range(0, len(padded), 8):
        insns.append(c.ld_imm64(1, int.from_bytes(padded[i : i + 8], "little")))
        insns.append(c.stx_mem(Size.DW, 10, 1, base + i))
    insns += [
        c.mov64_reg(1, 10),
        c.alu64_imm(c.AluOp.ADD, 1, base),
        c.mov64_imm(2, len(message) + 1),
        c.call_helper(6),
        c.mov64_imm(0, 0),
        c.exit(),
    ]
    return encode(insns)


@pytest.mark.kernel
def test_bpf_printk_on_execve_is_read_back_through_trace_pipe(tracefs_ok: None) -> None:
    marker = b"pybpf hello " + bytes(f"{threading.get_ident() % 100000}", "ascii")
    try:
        prog = kernel.prog_load(ProgramType.TRACEPOINT, _printk_program(marker), "GPL")
    except kernel.KernelError as exc:
        require_kernel_feature(False, f"cannot load a tracepoint program: {exc}")
        raise
    seen = []
    with attach_tracepoint(prog, "syscalls", "sys_enter_execve"):
        subprocess.run(["true"], check=True)
        for event in trace_pipe(timeout=5.0):
            if event.message == marker.decode():
                seen.append(event)
                break
    assert seen and seen[0].function == "bpf_trace_printk"


def test_missing_tracefs_without_mounting_raises_tracefs_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pybpf.tracefs as tracefs

    monkeypatch.setattr(tracefs, "_mounted_tracefs", lambda: [])
    monkeypatch.setattr(tracefs, "CANDIDATES", (str(tmp_path / "none"),))
    with pytest.raises(TracefsError, match="not mounted"):
        tracefs.find_tracefs(mount=False)


def test_failed_mount_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import errno

    import pybpf.tracefs as tracefs

    def refuse(source: str, target: str, fstype: str) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", target)

    monkeypatch.setattr(tracefs, "_mounted_tracefs", lambda: [])
    monkeypatch.setattr(tracefs, "CANDIDATES", (str(tmp_path / "none"),))
    monkeypatch.setattr(tracefs, "_mount", refuse)
    with pytest.raises(TracefsError, match="CAP_SYS_ADMIN"):
        tracefs.find_tracefs()


@pytest.mark.kernel
def test_trace_pipe_iteration_ends_at_its_timeout(tracefs_ok: None) -> None:
    events = list(trace_pipe(timeout=0.1))
    assert all(event.line for event in events)
