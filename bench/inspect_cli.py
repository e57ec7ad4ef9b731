"""Benchmark: ``pybpf prog list --json`` and ``pybpf map dump`` of a 100k-entry hash map vs bpftool.

Creates a hash map (u32 -> u64) holding 100 000 elements, then times, in one run and as
subprocesses (wall clock, best of ``--runs``), bpftool and pybpf doing the same listing, and
prints both times and the pybpf/bpftool ratio.  The map is freed at the end.
Run: ``.venv/bin/python bench/inspect.py [--entries 100000] [--runs 3]``.
"""

from __future__ import annotations

import os
import sys

# This file's name shadows the standard library's ``inspect`` for everything imported after it
# when run as a script (its directory is sys.path[0]); take the directory off the path first.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import argparse
import shutil
import struct
import subprocess
import time

from pybpf import kernel
from pybpf.enums import MapType

# Runs the pybpf entry point with the inspection commands registered (main.py may not list them
# yet); exactly what ``pybpf ARGS`` does once they are.
_RUNNER = """
import sys
from pybpf.cli import main as m
for name, attr in (("prog", "prog"), ("map", "map_")):
    m.SUBCOMMANDS.setdefault(name, (name + "_cmd", attr, name))
m.main(sys.argv[1:])
"""


def _best(argv: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def _row(what: str, ours: float, theirs: float | None) -> None:
    ratio = f"{ours / theirs:6.2f}x" if theirs else "   n/a"
    ref = f"{theirs * 1000:9.1f} ms" if theirs else "      n/a"
    print(f"{what:<36} pybpf {ours * 1000:9.1f} ms   bpftool {ref}   ratio {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bpftool = shutil.which("bpftool")
    pybpf = [sys.executable, "-c", _RUNNER]
    with kernel.map_create(MapType.HASH, 4, 8, args.entries, name="bench_dump") as fd:
        keys = b"".join(struct.pack("<I", i) for i in range(args.entries))
        values = b"".join(struct.pack("<Q", i * 3) for i in range(args.entries))
        kernel.map_update_batch(fd, keys, values, 4, 8)
        map_id = str(kernel.map_info(fd).id)
        cases = [
            ("prog list --json", ["prog", "list", "--json"], ["-j", "prog", "list"]),
            (
                f"map dump --json ({args.entries} entries)",
                ["map", "dump", "id", map_id, "--json"],
                ["-j", "map", "dump", "id", map_id],
            ),
            (
                f"map dump plain ({args.entries} entries)",
                ["map", "dump", "id", map_id],
                ["map", "dump", "id", map_id],
            ),
        ]
        for what, ours_args, theirs_args in cases:
            ours = _best([*pybpf, *ours_args], args.runs)
            theirs = _best([bpftool, *theirs_args], args.runs) if bpftool else None
            _row(what, ours, theirs)


if __name__ == "__main__":
    main()
