"""``Program``: one loaded program, test-runnable and pinnable."""

from __future__ import annotations

import os

from pybpf._dataclasses import dataclass, set_field
from pybpf._typing import TYPE_CHECKING

from ..enums import AttachType, ProgramType
from ..errors import NotSupported
from ..kernel import FD, prog_test_run
from .model import ProgramBase

if TYPE_CHECKING:
    from ..kernel.info import ProgInfo


@dataclass(frozen=True, init=False)
class RunResult:
    """What one ``BPF_PROG_TEST_RUN`` gave back (``duration_ns`` is the mean per repetition)."""

    retval: int
    data: bytes
    ctx: bytes
    duration_ns: int

    def __init__(self, retval: int, data: bytes, ctx: bytes, duration_ns: int) -> None:
        set_field(self, "retval", retval)
        set_field(self, "data", data)
        set_field(self, "ctx", ctx)
        set_field(self, "duration_ns", duration_ns)


class Program(ProgramBase):
    """A program the kernel accepted; owns its fd."""

    fd: FD

    def __init__(
        self,
        fd: FD,
        name: str,
        type: ProgramType,
        *,
        section: str = "",
        expected_attach_type: AttachType | None = None,
        attach_target: str = "",
        verifier_log: str = "",
    ) -> None:
        super().__init__(
            fd,
            name,
            type,
            section=section,
            expected_attach_type=expected_attach_type,
            attach_target=attach_target,
        )
        #: The verifier's log of a successful load, when ``load(..., log_level=N)`` asked for one.
        self.verifier_log = verifier_log

    @property
    def info(self) -> ProgInfo:
        """The kernel's view: id, tag, map ids, run statistics."""
        from ..kernel.info import prog_info  # info records are not needed to load and run

        return prog_info(self.fd)

    @property
    def id(self) -> int:
        return self.info.id

    def test_run(
        self,
        data: bytes = b"",
        *,
        ctx: bytes | None = None,
        repeat: int = 1,
        data_out_size: int | None = None,
        ctx_out_size: int | None = None,
        flags: int = 0,
        cpu: int = 0,
    ) -> RunResult:
        """Run the program in the kernel on ``data`` (a packet) and/or ``ctx``.

        The output context is read back with the input's size unless ``ctx_out_size`` says
        otherwise, so a program that edits ``__sk_buff`` fields shows what it changed.  Raw
        tracepoint and syscall programs take only ``ctx`` and run once (the kernel refuses
        repeats, packets and output buffers for them); a syscall program's edited context comes
        back in ``RunResult.ctx``.
        """
        if self.type in _CTX_ONLY:
            if data or repeat > 1 or data_out_size or ctx_out_size:
                raise NotSupported(
                    f"the kernel test-runs {self.type.name.lower()} programs once, on a context only "
                    "(no data, no repeat, no output buffers)"
                )
            result = prog_test_run(
                self.fd,
                b"",
                0,
                ctx_in=ctx,
                repeat=0,
                flags=flags if self.type is ProgramType.RAW_TRACEPOINT else 0,
                cpu=cpu,
                ctx_written_back=self.type is ProgramType.SYSCALL,
            )
            return RunResult(result.retval, b"", result.ctx_out, result.duration_ns)
        out_ctx = ctx_out_size if ctx_out_size is not None else (len(ctx) if ctx is not None else 0)
        result = prog_test_run(
            self.fd,
            data,
            data_out_size,
            ctx_in=ctx,
            ctx_out_size=out_ctx,
            repeat=repeat,
            flags=flags,
            cpu=cpu,
        )
        return RunResult(result.retval, result.data_out, result.ctx_out, result.duration_ns)

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the program in bpffs so it outlives this process."""
        from ..kernel import obj_pin  # pins are bpffs objects: off the load path

        obj_pin(self.fd, path)

    def close(self) -> None:
        self.fd.close()


# Program types whose test run takes a context and nothing else.
_CTX_ONLY = frozenset({ProgramType.RAW_TRACEPOINT, ProgramType.SYSCALL})

__all__ = ["Program", "RunResult"]
