"""Prepare a program once, run it many times: the public face of the userspace VM.

:func:`prepare` validates the program, refuses unknown helpers, translates it to Python and
compiles it; :meth:`Program.run` builds a fresh address space (stack, memory, ctx, packet),
binds the compiled code to it and runs it under an instruction budget.  Faults come back as
:class:`~pybpf.vm.errors.VMFault` naming the instruction slot, found from the line of generated
code that was executing, so the fast path carries no bookkeeping at all.
"""

from __future__ import annotations

import gc
import itertools
import struct
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import Error
from ..isa.instruction import Instruction
from . import ops
from .cfg import analyse, normalise
from .codegen import GeneratedCode, helper_env_name, translate
from .errors import ExitProgram, ProgramRejected, VMFault
from .machine import (
    Helper,
    Machine,
    RunRegions,
    RunResult,
    at_slot,
    budget_exhausted,
    callx_helper,
    frame_switches,
    helper_failed,
    map_run,
    run_space,
)
from .memory import MASK64, AddressSpace, Region, RegionKind

#: Instructions a run may execute before it is stopped (the kernel's verifier limit is 1M too).
DEFAULT_BUDGET = 1_000_000
#: Called before each instruction of a traced run with its slot and r0..r10.
Tracer = Callable[[int, tuple[int, ...]], None]


def _ignore(slot: int, registers: tuple[int, ...]) -> None:
    """The tracer of a traced program run without one."""


_serial = itertools.count()
#: Unchecked little-endian accessors generated code uses on its fast paths.
_CODECS: dict[str, Any] = {}
for _size, _code in ((1, "b"), (2, "h"), (4, "i"), (8, "q")):
    _CODECS[f"U{_size}"] = struct.Struct("<" + _code.upper()).unpack_from
    _CODECS[f"US{_size}"] = struct.Struct("<" + _code).unpack_from
    _CODECS[f"P{_size}"] = struct.Struct("<" + _code.upper()).pack_into


class Program:
    """A validated, compiled program; :meth:`run` it as often as you like."""

    def __init__(
        self,
        program: bytes | bytearray | Iterable[Instruction],
        *,
        helpers: Mapping[int, Helper] | None = None,
        budget: int = DEFAULT_BUDGET,
        strict_alignment: bool = False,
        trace: bool = False,
    ) -> None:
        if budget < 1:
            raise ProgramRejected(f"the instruction budget must be positive, not {budget}")
        self.helpers: dict[int, Helper] = dict(helpers or {})
        self.budget = budget
        self.strict_alignment = strict_alignment
        self._filename = f"<pybpf-vm-{next(_serial)}>"
        # Preparation allocates many small objects that all stay alive; the cyclic GC would
        # only rescan them (it made compiling large programs about twice as slow).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.slots = normalise(program)
            self.flow = analyse(self.slots, self.helpers)
            self.code: GeneratedCode = translate(self.flow, budget=budget, trace=trace)
            namespace: dict[str, Any] = {}
            exec(compile(self.code.source, self._filename, "exec"), namespace)
        finally:
            if collecting:
                gc.enable()
        self._factory: Callable[[dict[str, Any]], Callable[..., int]] = namespace["_factory"]
        self._used_helpers = [i for i in self.helpers if helper_env_name(i) in self.code.names]

    @property
    def instructions(self) -> list[Instruction]:
        return [insn for _, insn in self.slots]

    def run(
        self,
        memory: bytes | bytearray = b"",
        *,
        ctx: bytes | bytearray | None = None,
        packet: bytes | bytearray | None = None,
        ctx_writable: bool = True,
        tracer: Tracer | None = None,
        space: AddressSpace | None = None,
        on_start: Callable[[Machine], None] | None = None,
    ) -> RunResult:
        """Run once with fresh memory.

        r1 points at ``ctx`` when given, else at ``memory``, and r2 holds the length of
        ``memory`` (the conformance suite's convention).  Legacy LD_ABS/LD_IND loads read
        ``packet`` when given, else ``memory``.  A program prepared with ``trace=True`` calls
        ``tracer(slot, registers)`` before every instruction it executes.

        ``space`` is an address space to run in (a runtime's, holding map values that outlive
        the run); the run's own regions are added to it and removed afterwards.  ``on_start``
        sees the machine before the program starts (to attach readers to the context, say).
        """
        with run_space(space, strict_alignment=self.strict_alignment) as space:
            return self._run(space, memory, ctx, packet, ctx_writable, tracer, on_start)

    def _run(
        self,
        space: AddressSpace,
        memory: bytes | bytearray,
        ctx: bytes | bytearray | None,
        packet: bytes | bytearray | None,
        ctx_writable: bool,
        tracer: Tracer | None,
        on_start: Callable[[Machine], None] | None,
    ) -> RunResult:
        run = map_run(space, self.helpers, memory, ctx, packet, ctx_writable=ctx_writable, on_start=on_start)
        machine = run.machine
        env = self._environment(run, tracer or _ignore)
        entry = self._factory(env)
        machine.functions = env.get("FN", {})
        try:
            r0 = entry(run.r1, len(run.memory.buf), 0, 0, 0, run.frames[0].end, 0)
        except ExitProgram as stop:
            r0 = stop.r0 & MASK64
        except VMFault as fault:
            raise self._locate(fault, fault.__traceback__) from None
        except Error:
            raise
        except Exception as exc:
            index = self._slot_of(exc.__traceback__)
            raise helper_failed(exc, index=index) from exc
        return run.result(r0)

    # -- binding ---------------------------------------------------------------------------

    def _environment(self, run: RunRegions, tracer: Tracer) -> dict[str, Any]:
        machine, frames, packet = run.machine, run.frames, run.legacy
        space = machine.memory
        # Fast-path tables, slot -> buffer: generated code tries these first and falls back to
        # the checked accessors when an access raises or is misaligned.  Only regions where
        # every aligned in-bounds access is legal are listed: read-only ones never for writes,
        # inactive stack frames never, packets never: their bounds ([data_meta, data_end)) are
        # narrower than their buffer (headroom, tailroom) and move with bpf_xdp_adjust_*.
        empty = bytearray()
        slots = max(region.base >> 32 for region in space.regions) + 1
        read_fast, write_fast = [empty] * slots, [empty] * slots

        def publish(region: Region, active: bool) -> None:
            slot = region.base >> 32
            read_fast[slot] = region.buf if active and region.reader is None else empty
            write_fast[slot] = region.buf if active and region.writable else empty

        for region in space.regions:
            if region.kind is RegionKind.PACKET:
                continue
            publish(region, region.hi > 0 or region.kind is not RegionKind.STACK)

        enter, leave = frame_switches(frames, lambda frame: publish(frame, frame.hi > 0))
        machine._enter, machine._leave = enter, leave
        state = machine.state
        budget = self.budget
        helpers = self.helpers

        def over(count: int) -> None:
            raise budget_exhausted(budget)

        def may_goto() -> bool:
            if state[1] > 0:
                state[1] -= 1
                return True
            return False

        def legacy_load(offset: int, size: int) -> int:
            # Out-of-bounds legacy packet loads end the program with r0 = 0 (kernel rule).
            if offset < 0 or offset + size > len(packet.buf):
                raise ExitProgram(0)
            return int.from_bytes(packet.buf[offset : offset + size], "big")

        def load_abs(imm: int, size: int) -> int:
            return legacy_load(imm, size)

        def load_ind(src: int, imm: int, size: int) -> int:
            return legacy_load(ops.signed(src + imm, 32), size)

        def callx(target: int, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
            return callx_helper(helpers, target)(machine, r1, r2, r3, r4, r5)

        env: dict[str, Any] = {
            "st": state,
            "FB": [frame.buf for frame in frames],
            "RB": read_fast,
            "WB": write_fast,
            "_enter": enter,
            "_leave": leave,
            "VM": machine,
            "_over": over,
            "_may": may_goto,
            "ABS": load_abs,
            "IND": load_ind,
            "CALLX": callx,
            "TRACE": tracer,
            "sdiv64": ops.sdiv64,
            "smod64": ops.smod64,
            "sdiv32": ops.sdiv32,
            "smod32": ops.smod32,
            "bswap16": ops.bswap16,
            "bswap32": ops.bswap32,
            "bswap64": ops.bswap64,
        }
        env.update(_CODECS)
        names = self.code.names
        for size in (1, 2, 4, 8):
            # Only the accessors the code uses: a shared address space caches them anyway.
            if f"L{size}" in names:
                env[f"L{size}"] = space.loader(size)
            if f"LS{size}" in names:
                env[f"LS{size}"] = space.loader(size, signed=True)
            if f"S{size}" in names:
                env[f"S{size}"] = space.storer(size)
        for helper_id in self._used_helpers:
            env[helper_env_name(helper_id)] = helpers[helper_id]
        return {name: env[name] for name in names}

    # -- fault location --------------------------------------------------------------------

    def _slot_of(self, tb: types.TracebackType | None) -> int | None:
        slot = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self._filename:
                lineno = tb.tb_lineno
                if 1 <= lineno <= len(self.code.line_slots):
                    slot = self.code.line_slots[lineno - 1]
            tb = tb.tb_next
        return slot

    def _locate(self, fault: VMFault, tb: types.TracebackType | None) -> VMFault:
        if fault.index is not None:
            return fault
        return at_slot(fault, self._slot_of(tb))


def prepare(
    program: bytes | bytearray | Iterable[Instruction],
    *,
    helpers: Mapping[int, Helper] | None = None,
    budget: int = DEFAULT_BUDGET,
    strict_alignment: bool = False,
    trace: bool = False,
) -> Program:
    """Validate and compile ``program`` (raw bytes or instructions) for repeated runs.

    ``trace=True`` compiles a call to the run's ``tracer`` before every instruction (slow; for
    debugging and ``pybpf vm run --trace``).
    """
    return Program(program, helpers=helpers, budget=budget, strict_alignment=strict_alignment, trace=trace)


def run(
    program: bytes | bytearray | Iterable[Instruction],
    *,
    memory: bytes | bytearray = b"",
    ctx: bytes | bytearray | None = None,
    packet: bytes | bytearray | None = None,
    helpers: Mapping[int, Helper] | None = None,
    budget: int = DEFAULT_BUDGET,
    strict_alignment: bool = False,
    ctx_writable: bool = True,
) -> RunResult:
    """Prepare and run ``program`` once; see :meth:`Program.run` for the register convention."""
    prepared = prepare(program, helpers=helpers, budget=budget, strict_alignment=strict_alignment)
    return prepared.run(memory, ctx=ctx, packet=packet, ctx_writable=ctx_writable)


__all__ = ["DEFAULT_BUDGET", "Helper", "Machine", "Program", "RunResult", "Tracer", "prepare", "run"]
