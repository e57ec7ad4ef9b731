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

from _programs import ARITH, MEMCPY, SIEVE, SOCKET_FILTER, build, instantiate, kernel_mode, kernel_test_run

from pybpf.vm import prepare


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
    return build(instantiate(case.source, n, limit=case.kernel_limit if kernel else case.limit))


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

PACKET = bytes(64)


def _kernel_runner() -> Callable[[bytes, int], tuple[int, int]] | None:
    """A function (program, repeat) -> (retval, average ns per run), or None without bpf()."""
    if os.geteuid() != 0:
        return None
    try:
        return kernel_test_run(PACKET)
    except ImportError:
        return _ctypes_runner()


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
    jit = kernel_mode()
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
