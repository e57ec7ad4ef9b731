"""Programs and kernel plumbing the VM benches share (``import _programs`` from bench/ scripts).

The assembly templates take ``{n}`` (iterations) and, for the sieve, ``{limit}`` (bytes) and
``{words}`` (``limit // 8``), so each bench picks the sizes its timing method wants while both
run the very same code.  Every program works on the stack, so its bytes also load into the
kernel as a socket filter and run through BPF_PROG_TEST_RUN.
"""

from __future__ import annotations

from collections.abc import Callable

from pybpf.isa import assemble, encode

#: A tight arithmetic loop (add, xor, mul, sub, conditional back-jump).
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

#: Copy 256 bytes of stack 8 bytes at a time, ``n`` times.
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

#: Sieve of Eratosthenes over ``limit`` stack bytes, counting primes, ``n`` times.
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

SOCKET_FILTER = 1  # BPF_PROG_TYPE_SOCKET_FILTER


def instantiate(template: str, n: int, *, limit: int = 256) -> str:
    """``template`` with its sizes filled in (``limit`` only matters to the sieve)."""
    return template.format(n=n, limit=limit, words=limit // 8)


def build(text: str) -> bytes:
    """Assembly text (conformance dialect) -> instruction bytes."""
    return encode(assemble(text, dialect="conformance"))


def kernel_mode() -> str:
    """How the kernel runs BPF here: "JIT", "interpreter", or "?" when it does not say."""
    try:
        with open("/proc/sys/net/core/bpf_jit_enable") as f:
            return "JIT" if f.read().strip() != "0" else "interpreter"
    except OSError:
        return "?"


def kernel_test_run(packet: bytes) -> Callable[[bytes, int], tuple[int, int]]:
    """(program, repeat) -> (retval, the kernel's average ns per run) on ``packet``.

    Raises ImportError when ``pybpf.kernel`` is unavailable; each call loads the program as a
    socket filter and closes it again.
    """
    from pybpf.kernel import prog_load, prog_test_run

    def run_kernel(code: bytes, repeat: int) -> tuple[int, int]:
        fd = prog_load(SOCKET_FILTER, code, "GPL")
        try:
            result = prog_test_run(fd, packet, repeat=repeat)
        finally:
            fd.close()
        return result.retval, result.duration_ns

    return run_kernel
