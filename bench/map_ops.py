"""Map operations per second from Python through pybpf.kernel, against the same syscalls from C.

Run as root: ``.venv/bin/python bench/map_ops.py [--entries N]``.  A hash map u32 -> u64 with N
entries (100k by default) is filled and read one element at a time and in batches; when gcc is
available a tiny C program doing the identical bpf() calls gives the reference, and the ratio says
what the Python layer costs per call.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pybpf import kernel

MAP_HASH = 1
BATCH = 10_000

# The C reference declares the few attr layouts it needs itself (no kernel headers needed).
C_SOURCE = r"""
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

struct create { uint32_t type, key_size, value_size, max_entries, flags; };
struct elem { uint32_t map_fd; uint32_t pad; uint64_t key, value, flags; };
struct batch { uint64_t in_batch, out_batch, keys, values; uint32_t count, map_fd; uint64_t elem_flags, flags; };

static long sys_bpf(int cmd, void *attr, unsigned size) { return syscall(SYS_bpf, cmd, attr, size); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    uint32_t n = (uint32_t)atoi(argv[1]), chunk = (uint32_t)atoi(argv[2]);
    struct create c = {1, 4, 8, n, 0};
    int fd = (int)sys_bpf(0, &c, sizeof c);
    if (fd < 0) { perror("map create"); return 1; }
    uint32_t key; uint64_t value;
    struct elem e;
    double t0 = now();
    for (uint32_t i = 0; i < n; i++) {
        key = i; value = i;
        memset(&e, 0, sizeof e); e.map_fd = fd; e.key = (uintptr_t)&key; e.value = (uintptr_t)&value;
        if (sys_bpf(2, &e, sizeof e)) { perror("update"); return 1; }
    }
    double t1 = now();
    for (uint32_t i = 0; i < n; i++) {
        key = i;
        memset(&e, 0, sizeof e); e.map_fd = fd; e.key = (uintptr_t)&key; e.value = (uintptr_t)&value;
        if (sys_bpf(1, &e, sizeof e)) { perror("lookup"); return 1; }
    }
    double t2 = now();
    uint32_t *keys = malloc(4 * (size_t)chunk); uint64_t *values = malloc(8 * (size_t)chunk);
    for (uint32_t base = 0; base < n; base += chunk) {
        uint32_t cnt = n - base < chunk ? n - base : chunk;
        for (uint32_t j = 0; j < cnt; j++) { keys[j] = base + j; values[j] = j; }
        struct batch b; memset(&b, 0, sizeof b);
        b.keys = (uintptr_t)keys; b.values = (uintptr_t)values; b.count = cnt; b.map_fd = fd;
        if (sys_bpf(26, &b, sizeof b)) { perror("update batch"); return 1; }
    }
    double t3 = now();
    uint64_t cursor_in = 0, cursor_out = 0; int first = 1; uint32_t total = 0;
    for (;;) {
        struct batch b; memset(&b, 0, sizeof b);
        b.in_batch = first ? 0 : (uintptr_t)&cursor_in; b.out_batch = (uintptr_t)&cursor_out;
        b.keys = (uintptr_t)keys; b.values = (uintptr_t)values; b.count = chunk; b.map_fd = fd;
        long r = sys_bpf(24, &b, sizeof b);
        total += b.count;
        if (r) break;  /* ENOENT: done */
        cursor_in = cursor_out; first = 0;
    }
    double t4 = now();
    printf("%f %f %f %f %u\n", n / (t1 - t0), n / (t2 - t1), n / (t3 - t2), n / (t4 - t3), total);
    return 0;
}
"""


def rate(n: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def python_rates(n: int) -> dict[str, float]:
    keys = [struct.pack("=I", i) for i in range(n)]
    values = [struct.pack("=Q", i) for i in range(n)]
    results: dict[str, float] = {}
    with kernel.map_create(MAP_HASH, 4, 8, n) as fd:

        def update_all() -> None:
            update = kernel.map_update
            for k, v in zip(keys, values, strict=True):
                update(fd, k, v)

        def lookup_all() -> None:
            lookup = kernel.map_lookup
            for k in keys:
                lookup(fd, k, 8)

        results["update"] = rate(n, update_all)
        results["lookup"] = rate(n, lookup_all)

        def update_batches() -> None:
            for base in range(0, n, BATCH):
                kernel.map_update_batch(fd, keys[base : base + BATCH], values[base : base + BATCH], 4, 8)

        def lookup_batches() -> None:
            got = sum(1 for _ in kernel.map_items_batched(fd, 4, 8, BATCH))
            assert got == n, got

        results["update_batch"] = rate(n, update_batches)
        results["lookup_batch"] = rate(n, lookup_batches)
    return results


def c_rates(n: int) -> dict[str, float] | None:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "map_ops.c", Path(tmp) / "map_ops"
        src.write_text(C_SOURCE)
        subprocess.run([gcc, "-O2", "-o", str(exe), str(src)], check=True)
        out = subprocess.run([str(exe), str(n), str(BATCH)], check=True, capture_output=True, text=True)
    update, lookup, update_batch, lookup_batch, total = out.stdout.split()
    if int(total) != n:
        raise SystemExit(f"C batch lookup saw {total} elements, expected {n}")
    return {
        "update": float(update),
        "lookup": float(lookup),
        "update_batch": float(update_batch),
        "lookup_batch": float(lookup_batch),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args(argv)
    n = args.entries
    py = python_rates(n)
    c = c_rates(n)
    print(f"hash map u32 -> u64, {n} entries, batches of {BATCH}")
    print(f"{'operation':<14}{'python ops/s':>16}{'C ops/s':>16}{'C / python':>12}")
    for op, value in py.items():
        if c is None:
            print(f"{op:<14}{value:>16,.0f}{'(no gcc)':>16}")
        else:
            print(f"{op:<14}{value:>16,.0f}{c[op]:>16,.0f}{c[op] / value:>11.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
