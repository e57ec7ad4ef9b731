# ruff: noqa: E402 - imports follow the sys.path fix-up below
"""CPU time ``pybpf run`` burns while it waits on a ring buffer and a perf buffer that stay quiet.

A run that traces nothing should cost nothing: the event loop must sleep in the kernel, not poll.
The object below attaches to a syscall tracepoint but never emits (its filter matches no pid).
The figure is the child's user+sys time over a window after every program is attached (read
from /proc/PID/stat, so compiling, loading and the final map dump are left out), and the same
for the whole process (``wait4`` rusage), each with its ratio to wall time.

    .venv/bin/python bench/run_idle.py [--seconds 5]
"""

from __future__ import annotations

import sys

# bench/ holds scripts named like stdlib modules (inspect.py): keep them off the import path.
sys.path[:] = [p for p in sys.path if p not in ("", str(__import__("pathlib").Path(__file__).parent))]

import argparse
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path

SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct idle_event {
	__u32 pid;
	__u32 tid;
};

/* No process has this pid, so neither buffer ever receives a record. */
const volatile __u32 only_pid = 0xffffffff;

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } pb SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int quiet(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct idle_event e = {};

	if ((id >> 32) != only_pid)
		return 0;
	e.pid = id >> 32;
	e.tid = (__u32)id;
	bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
	bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
"""

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (fields 14 and 15 of /proc/PID/stat, after the ``(comm)``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_until_attached(proc: subprocess.Popen[str], timeout: float) -> None:
    """Read the child's ``# attached ...`` progress line (its programs are then live)."""
    assert proc.stdout is not None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))[0]
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("# attached"):
            return
    raise SystemExit(f"pybpf run did not attach within {timeout:.0f}s (rc={proc.poll()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the measured idle window")
    args = parser.parse_args()

    import pybpf

    with tempfile.TemporaryDirectory(prefix="pybpf-run-idle-") as tmp:
        src = Path(tmp) / "idle.bpf.c"
        src.write_text(SOURCE)
        obj = pybpf.build(src, Path(tmp) / "idle.bpf.o")
        started = time.monotonic()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pybpf",
                "run",
                str(obj),
                "--duration",
                str(args.seconds + 3),
                "--no-maps",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            wait_until_attached(proc, 60)
            before, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(args.seconds)
            after, t1 = cpu_seconds(proc.pid), time.monotonic()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        assert proc.stdout is not None
        proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        total_wall = time.monotonic() - started

    idle_cpu, idle_wall = after - before, t1 - t0
    whole_cpu = usage.ru_utime + usage.ru_stime
    print(f"pybpf run, ring buffer + perf buffer, no events ({os.cpu_count()} CPUs, exit {proc.returncode})")
    print(
        f"  idle window: {idle_cpu:.3f} s CPU over {idle_wall:.2f} s wall = {100 * idle_cpu / idle_wall:.2f}%"
    )
    print(
        f"  whole run (build cache, load, attach, idle, exit): {whole_cpu:.3f} s CPU over "
        f"{total_wall:.2f} s wall = {100 * whole_cpu / total_wall:.1f}%"
    )
    print(f"  resolution: /proc/PID/stat counts in 1/{TICKS} s ticks")
    print("reference: none (goal is absolute)")


if __name__ == "__main__":
    main()
