"""Instructions per second of the userspace VM, and the ratio to the kernel's JIT/interpreter.

Three assembled programs, all working on the stack so the very same bytes also load into the
kernel as a socket filter and run through BPF_PROG_TEST_RUN:

- ``arith``: a tight arithmetic loop (add, xor, mul, sub, conditional back-jump);
- ``memcpy``: copy 256 bytes of stack 8 bytes at a time, repeated;
- ``sieve``: sieve of Eratosthenes over 256 stack bytes, counting primes, repeated (64 bytes
  for the kernel: its verifier walks every iteration and gives up on the larger sieve).

Run: ``.venv/bin/python bench/vm_interp.py [--scale N]``.  The kernel column needs root; it is
skipped with a note when the kernel refuses.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from pybpf.isa import assemble, encode
from pybpf.vm import prepare

ARITH = """
mov %r0, 0
mov %r1, {n}
loop:
add %r0, %r1
xor %r0, 0x55
mul %r0, 3
sub %r1, 1
jne %r1, 0, loop
exit
"""

MEMCPY = """
mov %r6, {n}
outer:
mov %r1, %r10
add %r1, -512
mov %r2, %r10
add %r2, -256
mov %r3, 32
inner:
ldxdw %r4, [%r1]
stxdw [%r2], %r4
add %r1, 8
add %r2, 8
sub %r3, 1
jne %r3, 0, inner
sub %r6, 1
jne %r6, 0, outer
mov %r0, 0
exit
"""

SIEVE = """
mov %r6, {n}
outer:
mov %r1, %r10
add %r1, -{limit}
mov %r2, {words}
clear:
stdw [%r1], 0
add %r1, 8
sub %r2, 1
jne %r2, 0, clear
mov %r0, 0
mov %r2, 2
next:
mov %r3, %r10
add %r3, -{limit}
add %r3, %r2
ldxb %r4, [%r3]
jne %r4, 0, skip
add %r0, 1
mov %r5, %r2
mul %r5, %r2
mark:
jge %r5, {limit}, skip
mov %r3, %r10
add %r3, -{limit}
add %r3, %r5
stb [%r3], 1
add %r5, %r2
ja mark
skip:
add %r2, 1
jlt %r2, {limit}, next
sub %r6, 1
jne %r6, 0, outer
exit
"""


@dataclass
class Case:
    name: str
    source: str
    vm_n: int
    kernel_n: int  # smaller: the verifier walks every iteration of these constant-bound loops
    limit: int = 256  # sieve size (the verifier gives up on 256: too many states)
    kernel_limit: int = 256


CASES = [
    Case("arith", ARITH, 400_000, 20_000),
    Case("memcpy", MEMCPY, 4_000, 100),
    Case("sieve", SIEVE, 40, 1, kernel_limit=64),
]


def program(case: Case, n: int, *, kernel: bool = False) -> bytes:
    limit = case.kernel_limit if kernel else case.limit
    text = case.source.format(n=n, limit=limit, words=limit // 8)
    return encode(assemble(text, dialect="conformance"))


def vm_rate(code: bytes) -> tuple[float, int, int]:
    """(instructions per second, instructions per run, r0) of the best of three runs."""
    prepared = prepare(code, budget=1 << 40)
    best = float("inf")
    result = prepared.run()
    for _ in range(3):
        start = time.perf_counter()
        result = prepared.run()
        best = min(best, time.perf_counter() - start)
    return result.instructions / best, result.instructions, result.r0


# -- kernel side ------------------------------------------------------------------------------

SOCKET_FILTER = 1
PACKET = bytes(64)


def _kernel_runner() -> Callable[[bytes, int], tuple[int, int]] | None:
    """A function (program, repeat) -> (retval, average ns per run), or None without bpf()."""
    if os.geteuid() != 0:
        return None
    try:
        from pybpf.kernel import prog_load, prog_test_run
    except ImportError:
        return _ctypes_runner()

    def run_kernel(code: bytes, repeat: int) -> tuple[int, int]:
        fd = prog_load(SOCKET_FILTER, code, "GPL")
        try:
            res = prog_test_run(fd, PACKET, repeat=repeat)
        finally:
            fd.close()
        return res.retval, res.duration_ns

    return run_kernel


def _ctypes_runner() -> Callable[[bytes, int], tuple[int, int]] | None:
    """The same through a bare bpf() syscall, for when ``pybpf.kernel`` is not available."""
    libc = ctypes.CDLL(None, use_errno=True)
    nr_bpf = 321  # x86_64

    def bpf(cmd: int, attr: ctypes.Array[ctypes.c_char]) -> int:
        ret: int = libc.syscall(nr_bpf, cmd, attr, len(attr))
        if ret < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        return ret

    def run_kernel(code: bytes, repeat: int) -> tuple[int, int]:
        insns = ctypes.create_string_buffer(code, len(code))
        lic = ctypes.create_string_buffer(b"GPL")
        attr = ctypes.create_string_buffer(128)
        # union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license
        ctypes.memmove(attr, (ctypes.c_uint32 * 2)(SOCKET_FILTER, len(code) // 8), 8)
        ctypes.memmove(
            ctypes.addressof(attr) + 8,
            (ctypes.c_uint64 * 2)(ctypes.addressof(insns), ctypes.addressof(lic)),
            16,
        )
        fd = bpf(5, attr)
        try:
            data = ctypes.create_string_buffer(PACKET, len(PACKET))
            run = ctypes.create_string_buffer(128)
            # BPF_PROG_TEST_RUN: prog_fd, retval, data_size_in, data_size_out, data_in, data_out, repeat, duration
            ctypes.memmove(run, (ctypes.c_uint32 * 4)(fd, 0, len(PACKET), 0), 16)
            ctypes.memmove(ctypes.addressof(run) + 16, (ctypes.c_uint64 * 2)(ctypes.addressof(data), 0), 16)
            ctypes.memmove(ctypes.addressof(run) + 32, (ctypes.c_uint32 * 1)(repeat), 4)
            bpf(10, run)
            retval, duration = (
                (ctypes.c_uint32 * 10).from_buffer(run)[1],
                (ctypes.c_uint32 * 10).from_buffer(run)[9],
            )
        finally:
            os.close(fd)
        return retval, duration

    return run_kernel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the VM iteration counts")
    args = parser.parse_args()
    kernel = _kernel_runner()
    jit = "?"
    try:
        with open("/proc/sys/net/core/bpf_jit_enable") as f:
            jit = "JIT" if f.read().strip() != "0" else "interpreter"
    except OSError:
        pass
    print(
        f"{'program':8} {'VM insns':>12} {'VM Minsn/s':>11}   {'kernel (' + jit + ') Minsn/s':>24} {'ratio':>8}"
    )
    for case in CASES:
        rate, count, _ = vm_rate(program(case, max(1, int(case.vm_n * args.scale))))
        line = f"{case.name:8} {count:12,d} {rate / 1e6:11.2f}"
        if kernel is not None:
            code = program(case, case.kernel_n, kernel=True)
            _, small_count, small_r0 = vm_rate(code)
            try:
                retval, ns = kernel(code, 200)
            except Exception as exc:  # the bench reports and moves on
                line += f"   kernel refused: {str(exc).splitlines()[0][:70]}"
            else:
                if retval != small_r0 & 0xFFFFFFFF:
                    line += f"   kernel r0 {retval:#x} differs from VM {small_r0 & 0xFFFFFFFF:#x}!"
                else:
                    krate = small_count / (ns / 1e9) if ns else float("inf")
                    line += f"   {krate / 1e6:24.1f} {krate / rate:7.0f}x"
        else:
            line += "   (kernel comparison needs root)"
        print(line)


if __name__ == "__main__":
    main()
