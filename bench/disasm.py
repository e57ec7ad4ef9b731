"""Benchmark: parse + disassemble a ~10k-instruction object, against ``llvm-objdump -d``.

Generates C with many functions of unrolled arithmetic and map lookups, compiles it with the
ziglang clang, then times (best of N runs) ``ObjectSpec.from_bytes`` + ``disassemble`` of every
program, and ``llvm-objdump -d`` on the same object.  Prints instructions per second for both and
the ratio.  Run: ``.venv/bin/python bench/disasm.py [--target 10000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = """
typedef unsigned int __u32;
typedef unsigned long long __u64;
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
struct { __uint(type, 2); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } vals SEC(".maps");
volatile __u64 sink;
"""

FUNCTION = """
static __attribute__((noinline)) __u64 step{n}(__u64 x)
{{
	__u32 k = {n} & 63;
	__u64 *v = bpf_map_lookup_elem(&vals, &k);
	if (v)
		x += *v;
#pragma unroll
	for (int i = 0; i < 24; i++)
		x = (x * {m} + i) ^ (x >> 7);
	sink = x;
	return x;
}}

SEC("xdp") int prog{n}(void *ctx) {{ return step{n}(sink); }}
"""


def generate(functions: int) -> str:
    body = "".join(FUNCTION.format(n=n, m=2 * n + 3) for n in range(functions))
    return HEADER + body + 'char LICENSE[] SEC("license") = "GPL";\n'


def compile_object(source: Path, output: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "ziglang",
        "cc",
        "-target",
        "bpfel-freestanding",
        "-g",
        "-O2",
        "-c",
        str(source),
        "-o",
        str(output),
    ]
    subprocess.run(cmd, check=True)


def best_of(runs: int, fn: object) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=10_000, help="approximate instruction count")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from pybpf.isa import disassemble
    from pybpf.spec import ObjectSpec

    with tempfile.TemporaryDirectory() as tmp:
        src, obj = Path(tmp) / "bench.bpf.c", Path(tmp) / "bench.o"
        functions = max(1, args.target // 120)
        src.write_text(generate(functions))
        compile_object(src, obj)
        data = obj.read_bytes()
        spec = ObjectSpec.from_bytes(data)
        count = sum(len(p.instructions) for p in spec.programs.values())

        def ours() -> None:
            s = ObjectSpec.from_bytes(data)
            for p in s.programs.values():
                disassemble(p.instructions)

        def parse_only() -> None:
            ObjectSpec.from_bytes(data)

        t_parse = best_of(args.runs, parse_only)
        t_ours = best_of(args.runs, ours)
        print(f"object: {len(data)} bytes, {len(spec.programs)} programs, {count} instructions (linked)")
        print(f"pybpf parse:              {t_parse * 1e3:8.1f} ms  {count / t_parse:12,.0f} insn/s")
        print(f"pybpf parse + disasm:     {t_ours * 1e3:8.1f} ms  {count / t_ours:12,.0f} insn/s")

        tool = next(
            (t for t in ("llvm-objdump", "llvm-objdump-14", "llvm-objdump-15") if shutil.which(t)), None
        )
        if tool is None:
            print("llvm-objdump not found: no reference timing")
            return

        def reference() -> None:
            subprocess.run([tool, "-d", str(obj)], check=True, stdout=subprocess.DEVNULL)

        t_ref = best_of(args.runs, reference)
        print(
            f"llvm-objdump -d:          {t_ref * 1e3:8.1f} ms  {count / t_ref:12,.0f} insn/s (process included)"
        )
        print(f"ratio pybpf / llvm-objdump time: {t_ours / t_ref:.2f}x")


if __name__ == "__main__":
    main()
