"""Benchmark: the kernel's BTF as a C header, ``pybpf btf dump ... --format c`` against bpftool.

Times (best of N runs, wall clock) three things on the same BTF in the same run:

* ``bpftool btf dump file F format c`` in a subprocess (installed with apt when missing);
* ``<venv>/bin/pybpf btf dump F --format c`` in a subprocess, as a user runs it (interpreter
  start, imports, parse, dump, write);
* in-process ``BTF.from_file`` + ``dump_c``, split into the two, to show what the dumper costs
  apart from the interpreter and the CLI.

Prints the times and the CLI/bpftool ratio (goal: within 5x).  Run:
``.venv/bin/python bench/btf_dump_c.py [--btf /sys/kernel/btf/vmlinux] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def ensure_bpftool() -> str:
    found = shutil.which("bpftool")
    if found:
        return found
    print("bpftool not found: installing it with apt-get", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "bpftool"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("bpftool")
    if not found:
        sys.exit("bpftool is still missing after apt-get install bpftool")
    return found


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_quiet(cmd: list[str]) -> None:
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr.decode(errors='replace')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--btf", type=Path, default=Path("/sys/kernel/btf/vmlinux"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    bpftool = ensure_bpftool()
    pybpf = Path(sys.executable).parent / "pybpf"
    if not pybpf.exists():
        sys.exit(f"{pybpf} is missing: install pybpf into this venv (pip install -e .)")

    from pybpf.btf import BTF
    from pybpf.btf.cdump import dump_c

    # One untimed round each: page cache, the BTF index cache, .pyc files.
    run_quiet([bpftool, "btf", "dump", "file", str(args.btf), "format", "c"])
    run_quiet([str(pybpf), "btf", "dump", str(args.btf), "--format", "c"])
    btf = BTF.from_file(args.btf)
    text = dump_c(btf)

    t_bpftool = best_of(
        args.runs, lambda: run_quiet([bpftool, "btf", "dump", "file", str(args.btf), "format", "c"])
    )
    t_cli = best_of(args.runs, lambda: run_quiet([str(pybpf), "btf", "dump", str(args.btf), "--format", "c"]))
    t_open = best_of(args.runs, lambda: BTF.from_file(args.btf))
    t_dump = best_of(args.runs, lambda: dump_c(btf))

    print(f"BTF: {args.btf} ({len(btf)} type ids) -> {text.count(chr(10))} lines of C")
    print(f"bpftool btf dump file ... format c   {t_bpftool * 1000:8.1f} ms")
    print(f"pybpf btf dump ... --format c        {t_cli * 1000:8.1f} ms")
    print(f"  in process: BTF.from_file          {t_open * 1000:8.1f} ms")
    print(f"  in process: dump_c                 {t_dump * 1000:8.1f} ms")
    print(f"ratio pybpf CLI / bpftool            {t_cli / t_bpftool:8.2f}x  (goal: <= 5x)")
    print(f"ratio in-process (open+dump)/bpftool {(t_open + t_dump) / t_bpftool:8.2f}x")


if __name__ == "__main__":
    main()
