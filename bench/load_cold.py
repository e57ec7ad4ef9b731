"""Cold-start load of a CO-RE tracing object and a 1M-entry map dump: pybpf against bpftool.

Run as root: ``.venv/bin/python bench/load_cold.py [--runs N] [--entries N]``.

1. Cold start: a fresh ``python -c 'import pybpf; pybpf.load(OBJ)'`` for
   ``examples/bootstrap.bpf.c`` compiled, against ``bpftool prog loadall OBJ /sys/fs/bpf/...``
   (pins removed after every run).  For scale it also times the floor any Python tool starts
   from: ``python -c pass`` and a process importing only the stdlib modules the loader needs.  Bytecode caches go to a private prefix so the Python side
   is measured as an installed package would run, not recompiling its sources each time.
2. Dump: a hash map u32 -> u64 with N entries (1M by default), read whole through
   ``Map.items()`` (batch lookups, decoded to ints) against ``bpftool map dump id N``.

Each figure is the median of ``--runs`` wall-clock measurements (pybpf and bpftool in turns, so
that noise on a shared machine falls on both); ratios are pybpf / bpftool.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "bootstrap.bpf.c"
PIN_DIR = "/sys/fs/bpf/pybpf_bench_load_cold"


def median_time(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


#: What the loader needs from the standard library (ctypes for bpf(), mmap, struct, ...).
STDLIB_FLOOR = "import ctypes, struct, mmap, os, errno, bisect, weakref"


def python_floor(runs: int) -> tuple[float, float]:
    """Median wall time of ``python -c pass`` and of importing :data:`STDLIB_FLOOR`."""

    def bare() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    def stdlib() -> None:
        subprocess.run([sys.executable, "-c", STDLIB_FLOOR], check=True)

    return median_time(bare, runs), median_time(stdlib, runs)


def cold_start(obj: Path, runs: int, bpftool: str) -> tuple[list[float], list[float]]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "pybpf-bench-pycache")
    code = f"import pybpf; pybpf.load({str(obj)!r}).close()"

    def pybpf_load() -> None:
        subprocess.run([sys.executable, "-c", code], check=True, env=env)

    def bpftool_load() -> None:
        subprocess.run([bpftool, "prog", "loadall", str(obj), PIN_DIR], check=True)
        shutil.rmtree(PIN_DIR)

    pybpf_load()  # fill the bytecode cache, warm the page cache
    bpftool_load()
    return interleaved_times(pybpf_load, bpftool_load, runs)


def interleaved_times(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[list[float], list[float]]:
    """Wall times of each, run in turns: a burst of noise on a shared machine hits both."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for run, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            run()
            out.append(time.perf_counter() - start)
    return times


BREAKDOWN = """
import time
t0 = time.perf_counter()
import pybpf
import pybpf.runtime
from pybpf.spec import ObjectSpec
t1 = time.perf_counter()
spec = ObjectSpec.from_file(OBJ)
t2 = time.perf_counter()
pybpf.runtime.load(spec).close()
t3 = time.perf_counter()
print(f"{1e3 * (t1 - t0):.1f} {1e3 * (t2 - t1):.1f} {1e3 * (t3 - t2):.1f}")
"""


def breakdown(obj: Path, runs: int) -> tuple[float, float, float]:
    """Median (import, parse, load) milliseconds inside fresh processes: where the time goes."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "pybpf-bench-pycache")
    code = BREAKDOWN.replace("OBJ", repr(str(obj)))
    rows = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
        )
        rows.append([float(x) for x in out.stdout.split()])
    return (
        statistics.median(r[0] for r in rows),
        statistics.median(r[1] for r in rows),
        statistics.median(r[2] for r in rows),
    )


def dump(entries: int, runs: int, bpftool: str) -> tuple[float, float]:
    from pybpf import kernel
    from pybpf.runtime import Map

    fd = kernel.map_create(1, 4, 8, entries, name="bench_dump")  # BPF_MAP_TYPE_HASH
    chunk = 65536
    for start in range(0, entries, chunk):
        count = min(chunk, entries - start)
        keys = struct.pack(f"<{count}I", *range(start, start + count))
        values = struct.pack(f"<{count}Q", *(3 * k for k in range(start, start + count)))
        kernel.map_update_batch(fd, keys, values, 4, 8)
    m = Map.from_fd(fd)
    map_id = m.info.id
    got = sum(1 for _ in m.items())
    if got != entries:
        raise SystemExit(f"Map.items() returned {got} entries, expected {entries}")

    def pybpf_dump() -> None:
        for _key, _value in m.items():
            pass

    def bpftool_dump() -> None:
        subprocess.run([bpftool, "map", "dump", "id", str(map_id)], check=True, stdout=subprocess.DEVNULL)

    try:
        return median_time(pybpf_dump, runs), median_time(bpftool_dump, runs)
    finally:
        m.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--no-dump", action="store_true", help="only the cold-start figures")
    args = parser.parse_args()
    bpftool = shutil.which("bpftool")
    if bpftool is None:
        raise SystemExit("bpftool is not installed")

    from pybpf.cc import build

    with tempfile.TemporaryDirectory() as tmp:
        obj = build(EXAMPLE, Path(tmp) / "bootstrap.bpf.o")
        ours_times, theirs_times = cold_start(obj, args.runs, bpftool)
        imports, parse, load = breakdown(obj, args.runs)
        bare, stdlib = python_floor(args.runs)
    print(
        "cold load measures the installed-package case: bytecode compiled once into a private "
        "PYTHONPYCACHEPREFIX (PYTHONDONTWRITEBYTECODE dropped), warm page cache, vmlinux BTF index cached"
    )
    ours, theirs = statistics.median(ours_times), statistics.median(theirs_times)
    print(
        f"cold load bootstrap.bpf.o: pybpf {ours * 1e3:7.1f} ms   bpftool {theirs * 1e3:7.1f} ms   "
        f"ratio {ours / theirs:5.2f}x (goal <= 3x; medians of {args.runs} runs in turns)"
    )
    fastest, their_fastest = min(ours_times), min(theirs_times)
    print(
        f"  fastest runs: pybpf {fastest * 1e3:.1f} ms, bpftool {their_fastest * 1e3:.1f} ms, "
        f"ratio {fastest / their_fastest:.2f}x (how much of the median is the machine's noise)"
    )
    print(f"  of which (in-process): import {imports:.1f} ms, ELF parse {parse:.1f} ms, load {load:.1f} ms")
    print(
        f"  floor for any Python tool: python -c pass {bare * 1e3:.1f} ms ({bare / theirs:.2f}x bpftool), "
        f"+ the stdlib the loader imports {stdlib * 1e3:.1f} ms ({stdlib / theirs:.2f}x)"
    )
    if args.no_dump:
        return
    ours, theirs = dump(args.entries, args.runs, bpftool)
    print(
        f"dump {args.entries} entries:   pybpf {ours * 1e3:7.1f} ms   bpftool {theirs * 1e3:7.1f} ms   "
        f"ratio {ours / theirs:5.2f}x (goal < 1x)"
    )


if __name__ == "__main__":
    main()
