"""Nanoseconds per run of compute programs: the kernel (BPF_PROG_TEST_RUN), the pybpf JIT, the interpreter.

Seven assembled programs, all loading into the kernel as socket filters, so the very same bytes
run in three engines on the same 64-byte packet:

- ``arith``: a tight arithmetic loop;          - ``memcpy``: 256 stack bytes, 8 at a time;
- ``strcmp``: two 64-byte stack strings;        - ``sieve``: primes below 64 on the stack;
- ``log2``: branchy integer log2 of hashes;     - ``switch``: an 8-way jump chain per iteration;
- ``packet``: IPv4/TCP parse with LD_ABS/LD_IND (a socket filter's legacy loads start at the
  network header, so the VM's packet is the frame without its Ethernet header).

The kernel and JIT columns are the average of a native loop of ``--repeat`` runs (the kernel's
own ``duration``; the JIT's :meth:`pybpf.vm.jit.Program.time_runs`), the interpreter column is
wall time per ``Program.run``.  Last, JIT compile time per 1k instructions on a large program.

Run: ``.venv/bin/python bench/vm_jit.py [--repeat N]``.  The kernel column needs root.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this directory comes first on sys.path, where a bench named like a stdlib
# module (bench/inspect.py) would shadow it: look it up last instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]

import argparse  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from _programs import ARITH, MEMCPY, SIEVE, build, instantiate, kernel_mode, kernel_test_run  # noqa: E402

from pybpf.vm import jit, prepare  # noqa: E402

STRCMP = """
mov %r6, 8
outer:
mov %r1, %r10
add %r1, -128
mov %r2, 0
fill:
mov %r3, %r2
and %r3, 15
add %r3, 97
mov %r4, %r1
add %r4, %r2
stxb [%r4], %r3
stxb [%r4+64], %r3
add %r2, 1
jlt %r2, 63, fill
stb [%r10-65], 0
stb [%r10-1], 0
stb [%r10-66], 120
mov %r2, 0
cmp:
mov %r4, %r1
add %r4, %r2
ldxb %r3, [%r4]
ldxb %r5, [%r4+64]
jne %r3, %r5, diff
jeq %r3, 0, same
add %r2, 1
jlt %r2, 64, cmp
same:
mov %r0, 0
ja done
diff:
mov %r0, %r3
sub %r0, %r5
done:
sub %r6, 1
jne %r6, 0, outer
exit
"""

LOG2 = """
mov %r0, 0
mov %r6, 500
loop:
mov %r1, %r6
mul %r1, 0x9E3779B1
mov %r3, 0
mov %r4, %r1
rsh %r4, 32
jeq %r4, 0, s16
mov %r1, %r4
add %r3, 32
s16:
mov %r4, %r1
rsh %r4, 16
jeq %r4, 0, s8
mov %r1, %r4
add %r3, 16
s8:
mov %r4, %r1
rsh %r4, 8
jeq %r4, 0, s4
mov %r1, %r4
add %r3, 8
s4:
mov %r4, %r1
rsh %r4, 4
jeq %r4, 0, s2
mov %r1, %r4
add %r3, 4
s2:
mov %r4, %r1
rsh %r4, 2
jeq %r4, 0, s1
mov %r1, %r4
add %r3, 2
s1:
mov %r4, %r1
rsh %r4, 1
jeq %r4, 0, end
add %r3, 1
end:
add %r0, %r3
sub %r6, 1
jne %r6, 0, loop
exit
"""

SWITCH = """
mov %r0, 0
mov %r6, 1000
loop:
mov %r1, %r6
and %r1, 7
jeq %r1, 0, c0
jeq %r1, 1, c1
jeq %r1, 2, c2
jeq %r1, 3, c3
jeq %r1, 4, c4
jeq %r1, 5, c5
jeq %r1, 6, c6
add %r0, 7
ja next
c0:
xor %r0, 0x1234
ja next
c1:
mul %r0, 3
ja next
c2:
add %r0, %r6
ja next
c3:
rsh %r0, 1
ja next
c4:
sub %r0, 11
ja next
c5:
lsh %r0, 1
ja next
c6:
or %r0, 0x55
next:
sub %r6, 1
jne %r6, 0, loop
exit
"""

PACKET_PARSE = """
mov %r6, %r1
mov %r7, 200
mov %r8, 0
loop:
ldabsb 0
mov %r9, %r0
rsh %r0, 4
jne %r0, 4, next
and %r9, 15
lsh %r9, 2
ldabsb 9
jne %r0, 6, next
ldindh %r9, 2
jne %r0, 80, next
add %r8, 1
next:
sub %r7, 1
jne %r7, 0, loop
mov %r0, %r8
exit
"""

PROGRAMS = {
    "arith": instantiate(ARITH, 2000),
    "memcpy": instantiate(MEMCPY, 8),
    "strcmp": STRCMP,
    "sieve": instantiate(SIEVE, 1, limit=64),
    "log2": LOG2,
    "switch": SWITCH,
    "packet": PACKET_PARSE,
}

#: Ethernet (IPv4) + IPv4 (IHL 5, TCP) + TCP (port 1234 -> 80), padded to 64 bytes.
PACKET = (
    bytes(12)
    + b"\x08\x00"
    + b"\x45\x00\x00\x28"
    + bytes(5)
    + b"\x06"
    + bytes(10)
    + b"\x04\xd2\x00\x50"
    + bytes(16)
).ljust(64, b"\0")

#: What LD_ABS sees: the kernel pulls the Ethernet header off a socket filter's skb.
NETWORK = PACKET[14:]
M32 = 0xFFFFFFFF


def kernel_runner() -> Callable[[bytes, int], tuple[int, float]] | str:
    """(program, repeat) -> (retval, ns per run) through BPF_PROG_TEST_RUN, or why not."""
    if os.geteuid() != 0:
        return "needs root"
    try:
        run = kernel_test_run(PACKET)
    except ImportError as exc:
        return f"pybpf.kernel unavailable: {exc}"

    def run_kernel(code: bytes, repeat: int) -> tuple[int, float]:
        retval, ns = run(code, repeat)
        return retval, float(ns)

    return run_kernel


def interpreter_ns(code: bytes, runs: int) -> tuple[int, float, int]:
    """(r0, best-of-three ns per run, instructions per run) on the interpreter."""
    program = prepare(code, budget=1 << 40)
    result = program.run(packet=NETWORK)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter_ns()
        for _ in range(runs):
            program.run(packet=NETWORK)
        best = min(best, (time.perf_counter_ns() - start) / runs)
    return result.r0, best, result.instructions


def jit_ns(code: bytes, repeat: int) -> tuple[int, float, float]:
    """(r0, best-of-three ns per run in the native loop, compile seconds) on the JIT."""
    program = jit.prepare(code, budget=1 << 40)
    best = float("inf")
    r0 = 0
    for _ in range(3):
        result, ns = program.time_runs(packet=NETWORK, repeat=repeat)
        best, r0 = min(best, ns), result.r0
    return r0, best, program.compile_seconds


def large_program(blocks: int) -> str:
    """A long program of small blocks (ALU, stack and memory traffic, branches) for compile time."""
    lines = ["mov %r0, 0", "mov %r6, 0"]
    for i in range(blocks):
        lines += [
            f"add %r0, {i}",
            "mov %r2, %r0",
            "and %r2, 255",
            f"stxdw [%r10-{8 * (i % 60 + 1)}], %r2",
            f"ldxdw %r3, [%r10-{8 * ((i + 7) % 60 + 1)}]",
            "xor %r0, %r3",
            f"jgt %r2, {i % 200}, skip{i}",
            "add %r6, 1",
            f"skip{i}:",
        ]
    lines += ["add %r0, %r6", "exit"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="runs per native timing loop")
    parser.add_argument("--interpreter-runs", type=int, default=3, help="interpreter runs per timing")
    args = parser.parse_args()
    if not jit.available():
        raise SystemExit(f"the JIT needs llvmlite: {jit.INSTALL_HINT}")
    kernel = kernel_runner()
    mode = kernel_mode()
    print(f"kernel: {mode if callable(kernel) else kernel}; repeat {args.repeat}")
    header = f"{'program':8} {'insns':>7} {'kernel ns':>10} {'JIT ns':>10} {'interp ns':>12}"
    print(header + f" {'JIT/kernel':>10} {'interp/JIT':>10} {'compile ms':>10}")
    for name, text in PROGRAMS.items():
        code = build(text)
        ir0, interp, count = interpreter_ns(code, args.interpreter_runs)
        jr0, jit_time, compile_s = jit_ns(code, args.repeat)
        kernel_text, ratio = "-", "-"
        if callable(kernel):
            try:
                kr0, kernel_time = kernel(code, args.repeat)
            except Exception as exc:  # the bench reports and moves on
                kernel_text = f"refused ({str(exc).splitlines()[0][:40]})"
            else:
                if kr0 != ir0 & M32:
                    kernel_text = f"r0 {kr0:#x}!"
                else:
                    kernel_text = f"{kernel_time:10.0f}"
                    ratio = f"{jit_time / kernel_time:9.2f}x" if kernel_time else "-"
        if jr0 != ir0:
            print(f"{name}: JIT r0 {jr0:#x} differs from the interpreter's {ir0:#x}!")
        print(
            f"{name:8} {count:7d} {kernel_text:>10} {jit_time:10.0f} {interp:12.0f}"
            f" {ratio:>10} {interp / jit_time:9.0f}x {compile_s * 1e3:10.1f}"
        )
    for blocks in (100, 1000):
        code = build(large_program(blocks))
        insns = len(code) // 8
        program = jit.prepare(code)
        print(
            f"compile: {insns} instructions in {program.compile_seconds * 1e3:.0f} ms"
            f" = {program.compile_seconds * 1e3 / (insns / 1000):.1f} ms per 1k instructions"
        )


if __name__ == "__main__":
    main()
