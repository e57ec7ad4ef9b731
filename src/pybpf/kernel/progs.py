"""Program commands: load (with the verifier log policy) and test runs.

Log policy: load without a log first (cheap, and a log buffer that is too small turns a valid
program into ENOSPC on 6.4+ kernels); only when that fails, load again with a log so the error can
show the verifier's reasoning, growing the buffer until the whole log fits or a cap is reached.
"""

from __future__ import annotations

import ctypes
import errno as _errno

from pybpf._dataclasses import dataclass
from pybpf._typing import TYPE_CHECKING

from .._enum import KernelIntFlag
from . import attrs
from ._buffers import CharBuffer, c_string, fd_array, in_buffer, obj_name, out_buffer
from .errors import KernelError, VerifierError, error_for
from .fd import FD, fd_number
from .syscall import Cmd, bpf

if TYPE_CHECKING:
    from collections.abc import Sequence

FdLike = FD | int

INSN_SIZE = 8
DEFAULT_LOG_SIZE = 64 * 1024
DEFAULT_LOG_CAP = 16 * 1024 * 1024
# The kernel refuses log buffers above UINT32_MAX >> 2 (kernel/bpf/verifier.c, BPF_LOG_MAX).
KERNEL_LOG_MAX = 0xFFFFFFFF >> 2


class LogLevel(KernelIntFlag):
    """``log_level`` bits of BPF_PROG_LOAD and BPF_BTF_LOAD."""

    NONE = 0
    BRANCHES = 1
    STATES = 2
    STATS = 4


@dataclass(frozen=True)
class LoadOptions:
    """Everything of BPF_PROG_LOAD besides type, instructions and license."""

    name: str = ""
    expected_attach_type: int = 0
    prog_flags: int = 0
    kern_version: int = 0
    prog_ifindex: int = 0
    prog_btf_fd: FdLike | None = None
    func_info: bytes = b""
    func_info_rec_size: int = 0
    line_info: bytes = b""
    line_info_rec_size: int = 0
    attach_btf_id: int = 0
    attach_prog_fd: FdLike | None = None
    fd_array: Sequence[FdLike] = ()


class _Load:
    """One BPF_PROG_LOAD attr with the buffers it points to kept alive."""

    def __init__(self, prog_type: int, insns: bytes, license: str, opts: LoadOptions) -> None:
        if len(insns) % INSN_SIZE:
            raise ValueError(f"instruction bytes of length {len(insns)} are not a multiple of 8")
        for what, data, rec_size in (
            ("func_info", opts.func_info, opts.func_info_rec_size),
            ("line_info", opts.line_info, opts.line_info_rec_size),
        ):
            if data and (rec_size <= 0 or len(data) % rec_size):
                raise ValueError(
                    f"{what} of {len(data)} bytes is not a whole number of {rec_size}-byte records"
                )
        self.insns, insns_addr = in_buffer(insns)
        self.license = c_string(license)
        self.func_info: CharBuffer | None
        self.line_info: CharBuffer | None
        self.func_info, fi_addr = in_buffer(opts.func_info) if opts.func_info else (None, 0)
        self.line_info, li_addr = in_buffer(opts.line_info) if opts.line_info else (None, 0)
        self.fds = fd_array(opts.fd_array) if opts.fd_array else None
        self.attr = attrs.ProgLoadAttr(
            prog_type=prog_type,
            insn_cnt=len(insns) // INSN_SIZE,
            insns=insns_addr,
            license=ctypes.addressof(self.license),
            kern_version=opts.kern_version,
            prog_flags=opts.prog_flags,
            prog_name=obj_name(opts.name),
            prog_ifindex=opts.prog_ifindex,
            expected_attach_type=opts.expected_attach_type,
            prog_btf_fd=fd_number(opts.prog_btf_fd),
            func_info_rec_size=opts.func_info_rec_size if opts.func_info else 0,
            func_info=fi_addr,
            func_info_cnt=len(opts.func_info) // opts.func_info_rec_size if opts.func_info else 0,
            line_info_rec_size=opts.line_info_rec_size if opts.line_info else 0,
            line_info=li_addr,
            line_info_cnt=len(opts.line_info) // opts.line_info_rec_size if opts.line_info else 0,
            attach_btf_id=opts.attach_btf_id,
            attach_prog_fd=fd_number(opts.attach_prog_fd),
            fd_array=ctypes.addressof(self.fds) if self.fds is not None else 0,
        )
        self.detail = f"program type {prog_type}" + (f" {opts.name!r}" if opts.name else "")

    def run(self) -> int:
        """Load without a log."""
        self.attr.log_level = 0
        self.attr.log_size = 0
        self.attr.log_buf = 0
        self.attr.log_true_size = 0
        return bpf(Cmd.PROG_LOAD, self.attr, detail=self.detail)


def _log_text(buf: ctypes.Array[ctypes.c_char] | None) -> str:
    if buf is None:
        return ""
    return buf.value.decode("utf-8", errors="replace")


def prog_load_with_log(
    prog_type: int,
    insns: bytes,
    license: str = "GPL",
    *,
    log_level: int = LogLevel.BRANCHES,
    log_size: int = DEFAULT_LOG_SIZE,
    log_cap: int = DEFAULT_LOG_CAP,
    options: LoadOptions | None = None,
) -> tuple[FD, str]:
    """Load with a verifier log from the start; returns the fd and the whole log."""
    load = _Load(prog_type, insns, license, options or LoadOptions())
    return _verify(load, log_level or LogLevel.BRANCHES, log_size, log_cap)


def _verify(load: _Load, log_level: int, log_size: int, log_cap: int) -> tuple[FD, str]:
    size = max(min(log_size, log_cap, KERNEL_LOG_MAX), 256)
    cap = min(log_cap, KERNEL_LOG_MAX)
    while True:
        log = ctypes.create_string_buffer(size)
        attr = load.attr
        attr.log_level = log_level
        attr.log_size = size
        attr.log_buf = ctypes.addressof(log)
        attr.log_true_size = 0
        try:
            raw = bpf(Cmd.PROG_LOAD, attr, detail=load.detail)
        except KernelError as exc:
            text = _log_text(log)
            if exc.errno == _errno.ENOSPC and size < cap:
                # 6.4+ reports the size the whole log needs; older kernels: double.
                needed = int(attr.log_true_size)
                size = min(needed if needed > size else size * 2, cap)
                continue
            truncated = exc.errno == _errno.ENOSPC
            if text:
                raise VerifierError(
                    f"the verifier rejected {load.detail}",
                    errno=exc.errno or 0,
                    log=text,
                    truncated=truncated,
                ) from None
            raise
        return FD(raw, "prog"), _log_text(log)


def prog_load(
    prog_type: int,
    insns: bytes,
    license: str = "GPL",
    *,
    name: str = "",
    expected_attach_type: int = 0,
    prog_flags: int = 0,
    prog_btf_fd: FdLike | None = None,
    func_info: bytes = b"",
    func_info_rec_size: int = 0,
    line_info: bytes = b"",
    line_info_rec_size: int = 0,
    attach_btf_id: int = 0,
    attach_prog_fd: FdLike | None = None,
    attach_btf_obj_fd: FdLike | None = None,
    fd_array: Sequence[FdLike] = (),
    kern_version: int = 0,
    prog_ifindex: int = 0,
    log_level: int = 0,
    log_size: int = DEFAULT_LOG_SIZE,
    log_cap: int = DEFAULT_LOG_CAP,
) -> FD:
    """Load a program from raw instruction bytes; the :class:`FD` owns it.

    Loads without a log; if the kernel refuses, loads again with a log to raise
    :class:`VerifierError` carrying all of it.  A non-zero ``log_level`` logs from the start.
    ``attach_btf_obj_fd`` (a kernel module's BTF) shares its attr field with ``attach_prog_fd``.
    """
    options = LoadOptions(
        name=name,
        expected_attach_type=expected_attach_type,
        prog_flags=prog_flags,
        kern_version=kern_version,
        prog_ifindex=prog_ifindex,
        prog_btf_fd=prog_btf_fd,
        func_info=func_info,
        func_info_rec_size=func_info_rec_size,
        line_info=line_info,
        line_info_rec_size=line_info_rec_size,
        attach_btf_id=attach_btf_id,
        attach_prog_fd=attach_prog_fd if attach_prog_fd is not None else attach_btf_obj_fd,
        fd_array=fd_array,
    )
    load = _Load(prog_type, insns, license, options)
    try:
        return _load_policy(load, log_level, log_size, log_cap)
    except VerifierError:
        raise
    except KernelError as exc:
        checks = [("bpf_prog_type", prog_type, f"program type {prog_type}")]
        if expected_attach_type:
            what = f"attach type {expected_attach_type}"
            checks.append(("bpf_attach_type", expected_attach_type, what))
        from .features import refine_unknown  # only when the kernel refused

        raise refine_unknown(exc, checks) from None


def _load_policy(load: _Load, log_level: int, log_size: int, log_cap: int) -> FD:
    if log_level:
        return _verify(load, log_level, log_size, log_cap)[0]
    try:
        raw = load.run()
    except KernelError as first:
        if first.errno in (_errno.EPERM, _errno.E2BIG, _errno.ENOSYS, _errno.EBADF):
            # Not the verifier's doing: a log would be empty.
            raise
        try:
            fd, _log = _verify(load, LogLevel.BRANCHES, log_size, log_cap)
        except VerifierError:
            raise
        except KernelError:
            raise first from None
        # The reload succeeded: the first failure was transient.
        return fd
    return FD(raw, "prog")


@dataclass(frozen=True)
class TestRunResult:
    """What BPF_PROG_TEST_RUN reports."""

    __test__ = False  # not a pytest class despite the name

    retval: int
    data_out: bytes
    ctx_out: bytes
    duration_ns: int


class TestRunFlags(KernelIntFlag):
    """``flags`` of BPF_PROG_TEST_RUN."""

    __test__ = False

    RUN_ON_CPU = 1 << 0
    XDP_LIVE_FRAMES = 1 << 1
    SKB_CHECKSUM_COMPLETE = 1 << 2


def prog_test_run(
    prog_fd: FdLike,
    data_in: bytes = b"",
    data_out_size: int | None = None,
    *,
    ctx_in: bytes | None = None,
    ctx_out_size: int = 0,
    repeat: int = 1,
    flags: int = 0,
    cpu: int = 0,
    batch_size: int = 0,
    ctx_written_back: bool = False,
) -> TestRunResult:
    """Run the program once (or ``repeat`` times) on ``data_in``/``ctx_in`` in the kernel.

    ``data_out_size`` defaults to room for the input plus 256 bytes (XDP may grow the packet);
    if the output still does not fit the run is retried once with the size the kernel reports.
    ``ctx_written_back``: the kernel writes the context back into ``ctx_in`` itself (syscall
    programs), so the result's ``ctx_out`` is read from there.
    """
    out_size = len(data_in) + 256 if data_out_size is None else data_out_size
    _din, din_addr = in_buffer(data_in) if data_in else (None, 0)
    _cin, cin_addr = in_buffer(ctx_in) if ctx_in is not None else (None, 0)
    for attempt in range(2):
        dout, dout_addr = out_buffer(out_size) if out_size else (None, 0)
        cout, cout_addr = out_buffer(ctx_out_size) if ctx_out_size else (None, 0)
        attr = attrs.TestRunAttr(
            prog_fd=fd_number(prog_fd),
            data_size_in=len(data_in),
            data_size_out=out_size,
            data_in=din_addr,
            data_out=dout_addr,
            repeat=repeat,
            ctx_size_in=len(ctx_in) if ctx_in is not None else 0,
            ctx_size_out=ctx_out_size,
            ctx_in=cin_addr,
            ctx_out=cout_addr,
            flags=flags,
            cpu=cpu,
            batch_size=batch_size,
        )
        try:
            bpf(Cmd.PROG_TEST_RUN, attr)
        except KernelError as exc:
            if exc.errno == _errno.ENOSPC and attempt == 0 and data_out_size is None:
                out_size = max(int(attr.data_size_out), out_size * 2)
                continue
            raise
        data = dout.raw[: attr.data_size_out] if dout is not None else b""
        ctx = cout.raw[: attr.ctx_size_out] if cout is not None else b""
        if ctx_written_back and _cin is not None and ctx_in is not None:
            ctx = _cin.raw[: len(ctx_in)]
        return TestRunResult(
            retval=int(attr.retval), data_out=data, ctx_out=ctx, duration_ns=int(attr.duration)
        )
    raise error_for(Cmd.PROG_TEST_RUN.kernel_name, _errno.ENOSPC)  # pragma: no cover


def prog_bind_map(prog_fd: FdLike, map_fd: FdLike, flags: int = 0) -> None:
    """Keep ``map_fd`` alive as long as the program, without the program referencing it."""
    bpf(
        Cmd.PROG_BIND_MAP,
        attrs.ProgBindMapAttr(prog_fd=fd_number(prog_fd), map_fd=fd_number(map_fd), flags=flags),
    )


__all__ = [
    "DEFAULT_LOG_CAP",
    "DEFAULT_LOG_SIZE",
    "LoadOptions",
    "LogLevel",
    "TestRunFlags",
    "TestRunResult",
    "prog_bind_map",
    "prog_load",
    "prog_load_with_log",
    "prog_test_run",
]
