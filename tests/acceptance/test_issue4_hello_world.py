"""Issue 4 acceptance: the seeds' hello world in pybpf form.

A tracepoint on execve, written in C with ``bpf_printk`` and a global counter (as in the book's
ch02/ch03 example), built by ``pybpf.build``, loaded and auto-attached, its line read back through
the trace pipe reader with the parsed fields (task, pid, cpu, timestamp, message).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from pybpf.tracefs import TraceEvent, TracefsError, trace_pipe
from testlib import require_kernel_feature

pytestmark = pytest.mark.kernel

MARKER = f"pybpf-acceptance-hello-{os.getpid()}"

SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

int counter = 0;

SEC("tp/syscalls/sys_enter_execve")
int hello(void *ctx)
{
	bpf_printk("MARKER %d", counter);
	counter++;
	return 0;
}
""".replace("MARKER", MARKER)


@pytest.fixture(scope="module")
def hello_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    src = tmp_path_factory.mktemp("hello") / "hello.bpf.c"
    src.write_text(SOURCE)
    return pybpf.build(src, src.with_suffix(".o"))


def test_hello_world_on_execve_is_read_back_with_parsed_fields(hello_object: Path) -> None:
    import pybpf

    with pybpf.load(hello_object) as obj:
        report = obj.attach_all()
        assert report.attached == ["hello"]
        child = subprocess.Popen(["/bin/true"])
        child.wait()
        seen = _events_with_marker(child.pid)
    assert seen, "no hello line from the child's execve in the trace pipe"
    event = seen[0]
    assert event.message.startswith(MARKER + " ")
    assert event.cpu >= 0 and event.timestamp > 0 and event.task


def _events_with_marker(pid: int, attempts: int = 50) -> list[TraceEvent]:
    """Lines carrying the marker; the pipe has one reader at a time, so wait out another's turn."""
    for _ in range(attempts):
        try:
            for event in trace_pipe(timeout=5.0):
                if MARKER in event.message and event.pid == pid:
                    return [event]
            return []
        except TracefsError as exc:
            if "busy" not in str(exc):
                raise
            time.sleep(0.1)
    pytest.skip("another process kept the trace pipe open")


def test_hello_world_counter_global_counts_each_execve(hello_object: Path) -> None:
    import pybpf

    with pybpf.load(hello_object) as obj:
        bss = obj.maps[".bss"]
        with obj.attach_all():
            before = bss[0].counter
            for _ in range(3):
                subprocess.run(["/bin/true"], check=True)
            after = bss[0].counter
    assert after - before >= 3


def test_trace_pipe_is_exported_as_pybpf_trace_pipe() -> None:
    import pybpf
    from pybpf.tracefs import trace_pipe

    assert pybpf.trace_pipe is trace_pipe
