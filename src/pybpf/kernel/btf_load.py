"""BPF_BTF_LOAD: hand raw BTF to the kernel and get an fd to reference from maps and programs.

Same log policy as program loading: no log first, then a logged reload to explain a rejection.
"""

from __future__ import annotations

import ctypes
import errno as _errno

from . import attrs
from ._buffers import in_buffer
from .errors import KernelError
from .fd import FD
from .progs import DEFAULT_LOG_CAP, DEFAULT_LOG_SIZE, KERNEL_LOG_MAX
from .syscall import Cmd, bpf


class BTFLoadError(KernelError):
    """The kernel's BTF checker rejected the data; ``log`` holds what it said."""

    def __init__(self, message: str, *, errno: int, log: str) -> None:
        tail = "\n".join(f"    {line}" for line in log.strip().splitlines()[-6:])
        super().__init__(f"{message}:\n{tail}" if tail else message, errno=errno, command="BPF_BTF_LOAD")
        self.log = log


def _load(data: ctypes.Array[ctypes.c_char], size: int, log_size: int) -> tuple[int, str, int]:
    """One attempt; returns (fd or -errno, log text, true log size)."""
    log = ctypes.create_string_buffer(log_size) if log_size else None
    attr = attrs.BTFLoadAttr(
        btf=ctypes.addressof(data),
        btf_size=size,
        btf_log_buf=ctypes.addressof(log) if log is not None else 0,
        btf_log_size=log_size,
        btf_log_level=1 if log_size else 0,
    )
    try:
        raw = bpf(Cmd.BTF_LOAD, attr)
    except KernelError as exc:
        text = log.value.decode("utf-8", errors="replace") if log is not None else ""
        return -(exc.errno or _errno.EINVAL), text, int(attr.btf_log_true_size)
    return raw, "", 0


def btf_load(data: bytes, *, log_size: int = DEFAULT_LOG_SIZE, log_cap: int = DEFAULT_LOG_CAP) -> FD:
    """Load raw BTF (header, types, strings); raises :class:`BTFLoadError` with the kernel's log."""
    buf, _ = in_buffer(data)
    try:
        return FD(bpf(Cmd.BTF_LOAD, attrs.BTFLoadAttr(btf=ctypes.addressof(buf), btf_size=len(data))), "btf")
    except KernelError as first:
        if first.errno in (_errno.EPERM, _errno.E2BIG, _errno.ENOSYS):
            raise
        first_error = first
    size = max(256, min(log_size, log_cap, KERNEL_LOG_MAX))
    cap = min(log_cap, KERNEL_LOG_MAX)
    while True:
        raw, log, true_size = _load(buf, len(data), size)
        if raw >= 0:
            return FD(raw, "btf")
        err = -raw
        if err == _errno.ENOSPC and size < cap:
            size = min(true_size if true_size > size else size * 2, cap)
            continue
        if not log:
            raise first_error
        raise BTFLoadError("the kernel rejected the BTF", errno=err, log=log)


__all__ = ["BTFLoadError", "btf_load"]
