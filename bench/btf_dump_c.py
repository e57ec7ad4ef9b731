"""Benchmark: the kernel's BTF as a C header, ``pybpf btf dump ... --format c`` against bpftool.

Times (best of N runs, wall clock) three things on the same BTF in the same run:

* ``bpftool btf dump file F format c`` in a subprocess (installed with apt when missing);
* ``<venv>/bin/pybpf btf dump F --format c`` in a subprocess, as a user runs it (interpreter
  start, imports, parse, dump, write).  An installed package has its bytecode compiled, so the
  run uses a bytecode cache under ``PYTHONPYCACHEPREFIX`` (outside the source tree) even when
  ``PYTHONDONTWRITEBYTECODE`` is set; the time without one is printed too;
* in-process ``BTF.from_file`` + ``dump_c``, split into the two, to show what the dumper costs
  apart from the interpreter and the CLI.

Prints the times and the CLI/bpftool ratio (goal: within 5x).  Run:
``.venv/bin/python bench/btf_dump_c.py [--btf /sys/kernel/btf/vmlinux] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
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


def run_quiet(cmd: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env)
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

    cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached_env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "pybpf-bench-pycache")
    no_pyc_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    bpftool_cmd = [bpftool, "btf", "dump", "file", str(args.btf), "format", "c"]
    pybpf_cmd = [str(pybpf), "btf", "dump", str(args.btf), "--format", "c"]

    # One untimed round each: page cache, the BTF index cache, the bytecode cache.
    run_quiet(bpftool_cmd)
    run_quiet(pybpf_cmd, cached_env)
    btf = BTF.from_file(args.btf)
    text = dump_c(btf)

    t_bpftool = best_of(args.runs, lambda: run_quiet(bpftool_cmd))
    t_cli = best_of(args.runs, lambda: run_quiet(pybpf_cmd, cached_env))
    t_cli_no_pyc = best_of(args.runs, lambda: run_quiet(pybpf_cmd, no_pyc_env))
    t_open = best_of(args.runs, lambda: BTF.from_file(args.btf))
    t_dump = best_of(args.runs, lambda: dump_c(btf))

    print(f"BTF: {args.btf} ({len(btf)} type ids) -> {text.count(chr(10))} lines of C")
    print(f"bpftool btf dump file ... format c   {t_bpftool * 1000:8.1f} ms")
    print(f"pybpf btf dump ... --format c        {t_cli * 1000:8.1f} ms")
    print(f"  same without a bytecode cache      {t_cli_no_pyc * 1000:8.1f} ms")
    print(f"  in process: BTF.from_file          {t_open * 1000:8.1f} ms")
    print(f"  in process: dump_c                 {t_dump * 1000:8.1f} ms")
    print(f"ratio pybpf CLI / bpftool            {t_cli / t_bpftool:8.2f}x  (goal: <= 5x)")
    print(f"ratio in-process (open+dump)/bpftool {(t_open + t_dump) / t_bpftool:8.2f}x")


if __name__ == "__main__":
    main()
