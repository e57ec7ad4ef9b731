"""The one place where pybpf enters the kernel through ``bpf(2)``.

Every command goes through :func:`bpf`, so retries, errno translation and (in tests) a fake
kernel live in one spot instead of being repeated by each wrapper.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os

from .._enum import KernelIntEnum
from .._typing import TYPE_CHECKING
from .errors import error_for


class Cmd(KernelIntEnum):
    """``enum bpf_cmd`` from the kernel's uapi ``linux/bpf.h``."""

    MAP_CREATE = 0
    MAP_LOOKUP_ELEM = 1
    MAP_UPDATE_ELEM = 2
    MAP_DELETE_ELEM = 3
    MAP_GET_NEXT_KEY = 4
    PROG_LOAD = 5
    OBJ_PIN = 6
    OBJ_GET = 7
    PROG_ATTACH = 8
    PROG_DETACH = 9
    PROG_TEST_RUN = 10
    PROG_GET_NEXT_ID = 11
    MAP_GET_NEXT_ID = 12
    PROG_GET_FD_BY_ID = 13
    MAP_GET_FD_BY_ID = 14
    OBJ_GET_INFO_BY_FD = 15
    PROG_QUERY = 16
    RAW_TRACEPOINT_OPEN = 17
    BTF_LOAD = 18
    BTF_GET_FD_BY_ID = 19
    TASK_FD_QUERY = 20
    MAP_LOOKUP_AND_DELETE_ELEM = 21
    MAP_FREEZE = 22
    BTF_GET_NEXT_ID = 23
    MAP_LOOKUP_BATCH = 24
    MAP_LOOKUP_AND_DELETE_BATCH = 25
    MAP_UPDATE_BATCH = 26
    MAP_DELETE_BATCH = 27
    LINK_CREATE = 28
    LINK_UPDATE = 29
    LINK_GET_FD_BY_ID = 30
    LINK_GET_NEXT_ID = 31
    ENABLE_STATS = 32
    ITER_CREATE = 33
    LINK_DETACH = 34
    PROG_BIND_MAP = 35
    TOKEN_CREATE = 36
    PROG_STREAM_READ_BY_FD = 37

    @property
    def kernel_name(self) -> str:
        """The name as the kernel headers spell it (``BPF_MAP_CREATE``)."""
        return f"BPF_{self.name}"


# BPF_PROG_RUN is the newer name of the same command.
PROG_RUN = Cmd.PROG_TEST_RUN

# __NR_bpf per architecture (the syscall tables of arch/*).
SYS_BPF = {
    "x86_64": 321,
    "amd64": 321,
    "i386": 357,
    "i686": 357,
    "aarch64": 280,
    "arm64": 280,
    "riscv64": 280,
    "loongarch64": 280,
    "armv7l": 386,
    "armv6l": 386,
    "ppc64le": 361,
    "ppc64": 361,
    "s390x": 351,
}

# The verifier (and BTF loading) returns EAGAIN when a signal interrupts it: worth a few retries.
_EAGAIN_RETRY = frozenset({Cmd.PROG_LOAD, Cmd.BTF_LOAD})
_MAX_RETRIES = 5

if TYPE_CHECKING:
    from collections.abc import Callable

    #: What :func:`set_backend` takes: (command, attr, size) -> (result, errno).
    Backend = Callable[[int, "ctypes.Array[ctypes.c_char] | ctypes.Structure", int], tuple[int, int]]


def _syscall_number() -> int:
    machine = os.uname().machine.lower()  # what platform.machine() reads, without importing it
    try:
        return SYS_BPF[machine]
    except KeyError:
        return -1


_NR = _syscall_number()
_libc = ctypes.CDLL(None, use_errno=True)
_raw_syscall = _libc.syscall
_raw_syscall.restype = ctypes.c_long
_raw_syscall.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint]


def _kernel_backend(
    cmd: int, attr: ctypes.Array[ctypes.c_char] | ctypes.Structure, size: int
) -> tuple[int, int]:
    """Issue the real syscall; returns (result, errno)."""
    if _NR < 0:
        return -1, _errno.ENOSYS
    result = _raw_syscall(_NR, cmd, ctypes.addressof(attr), size)
    if result < 0:
        return -1, ctypes.get_errno()
    return int(result), 0


_backend: Backend = _kernel_backend


def set_backend(backend: Backend | None) -> Backend:
    """Replace the syscall (a fake kernel for tests); ``None`` restores the real one.

    Returns the previous backend so callers can put it back.
    """
    global _backend
    previous = _backend
    _backend = backend if backend is not None else _kernel_backend
    return previous


def bpf(
    cmd: Cmd,
    attr: ctypes.Structure | ctypes.Array[ctypes.c_char],
    size: int | None = None,
    *,
    detail: str = "",
    feature: str = "",
) -> int:
    """Run one ``bpf()`` command; returns the kernel's non-negative result or raises.

    ``size`` defaults to ``sizeof(attr)``: attr structures here end at the last field a command
    group uses, so the kernel never sees stray bytes past what it knows (which would be ``E2BIG``).
    ``detail`` and ``feature`` only enrich the error message.
    """
    length = ctypes.sizeof(attr) if size is None else size
    if _backend is _kernel_backend and _NR >= 0:
        # Fast path for the hot map calls: one foreign call, no tuple.
        result = _raw_syscall(_NR, cmd, ctypes.addressof(attr), length)
        if result >= 0:
            return int(result)
        first_errno = ctypes.get_errno()
        if first_errno not in (_errno.EINTR, _errno.EAGAIN):
            raise error_for(Cmd(cmd).kernel_name, first_errno, detail=detail, feature=feature)
    retries = 0
    while True:
        result, err = _backend(int(cmd), attr, length)
        if err == 0:
            return result
        if retries < _MAX_RETRIES and (
            err == _errno.EINTR or (err == _errno.EAGAIN and cmd in _EAGAIN_RETRY)
        ):
            retries += 1
            continue
        raise error_for(Cmd(cmd).kernel_name, err, detail=detail, feature=feature)


__all__ = ["PROG_RUN", "SYS_BPF", "Cmd", "bpf", "set_backend"]
