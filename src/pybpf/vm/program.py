"""A VM program of a loaded object, test-runnable like the kernel runtime's ``Program``."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ..enums import AttachType, ProgramType
from ..errors import NotSupported
from ..runtime.model import ProgramBase
from ..runtime.programs import RunResult
from ..spec.debuginfo import LineInfo
from .context import RunSetup, setup_for
from .errors import VMFault
from .host import Host
from .interpreter import Machine
from .interpreter import Program as Prepared
from .lines import SourceLines

#: BPF_F_TEST_RUN_ON_CPU: run on the CPU ``cpu`` names instead of the current one.
TEST_RUN_ON_CPU = 1


class Program(ProgramBase):
    """A prepared program; :meth:`test_run` has ``BPF_PROG_TEST_RUN``'s semantics."""

    _label = "VM Program"
    fd: None

    def __init__(
        self,
        prepared: Prepared,
        host: Host,
        name: str,
        type: ProgramType,
        *,
        section: str = "",
        expected_attach_type: AttachType | None = None,
        attach_target: str = "",
        line_info: Sequence[LineInfo] = (),
    ) -> None:
        super().__init__(
            None,
            name,
            type,
            section=section,
            expected_attach_type=expected_attach_type,
            attach_target=attach_target,
        )
        self.prepared = prepared
        self.source_lines = SourceLines(line_info)
        self.host = host
        self.id = host.next_id()
        host.programs[self.id] = self
        self.run_count = 0
        self.run_time_ns = 0
        self._closed = False

    @property
    def instructions(self) -> int:
        return len(self.prepared.slots)

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
        """Run on ``data`` (a packet) and/or ``ctx``.  As in the kernel, repetitions share one
        packet and context: a program that moves ``data`` moves it again on every repetition.
        ``duration_ns`` is the mean per run."""
        host = self.host
        saved_cpu = host.cpu
        if flags & TEST_RUN_ON_CPU:
            host.cpu = cpu
        try:
            total = 0
            retval, out_data, out_ctx = 0, b"", b""
            setup = setup_for(self.type, bytes(data), ctx)
            for _ in range(max(repeat, 1)):
                started = time.perf_counter_ns()
                retval, out_data, out_ctx = self._run_chain(setup)
                total += time.perf_counter_ns() - started
        finally:
            host.cpu = saved_cpu
        runs = max(repeat, 1)
        self.run_count += runs
        self.run_time_ns += total
        if data_out_size is not None:
            out_data = out_data[:data_out_size]
        if ctx is None and ctx_out_size is None:
            out_ctx = b""
        elif ctx_out_size is not None:
            out_ctx = out_ctx[:ctx_out_size]
        elif ctx is not None:
            out_ctx = out_ctx[: len(ctx)]
        return RunResult(retval & 0xFFFFFFFF, out_data, out_ctx, total // runs)

    def _run_chain(self, setup: RunSetup) -> tuple[int, bytes, bytes]:
        """This program, then whatever it tail-calls, on one context."""
        host = self.host
        host.tail_calls = 0
        host.redirect = None
        program: Program = self
        holder: list[Machine] = []

        def start(machine: Machine) -> None:
            holder[:] = [machine]
            setup.on_start(machine)

        while True:
            host.tail_call = None
            host.packet = setup.state
            host.running = True
            host.held_lock = None
            try:
                result = program.prepared.run(
                    b"",
                    ctx=setup.ctx,
                    packet=setup.packet,
                    ctx_writable=setup.ctx_writable,
                    space=host.memory,
                    on_start=start,
                )
                host.check_unlocked()  # also before a tail call: the verifier refuses both
                out_data, out_ctx = setup.finish(holder[0])
            except VMFault as fault:
                raise fault.with_source(program.source_lines.describe(fault.index)) from None
            finally:
                host.release_lock()
                host.packet = None
                host.end_run()
            # The next program (tail call or repetition) starts from what this one left.
            machine = holder[0]
            ctx_region, packet_region = machine.regions.get("ctx"), machine.regions.get("packet")
            setup.ctx = bytes(ctx_region.buf) if ctx_region is not None else setup.ctx
            setup.packet = bytes(packet_region.buf) if packet_region is not None else setup.packet
            following = host.programs.get(host.tail_call) if host.tail_call is not None else None
            if not isinstance(following, Program):
                return result.r0, out_data, out_ctx
            program = following

    def pin(self, path: object) -> None:
        raise NotSupported("VM programs live in this process and cannot be pinned")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.host.programs.pop(self.id, None)


__all__ = ["TEST_RUN_ON_CPU", "Program"]
