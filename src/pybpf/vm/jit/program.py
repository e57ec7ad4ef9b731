"""A program compiled to native code: the JIT's counterpart of :class:`pybpf.vm.Program`.

Preparation reuses the interpreter's front end (:func:`~pybpf.vm.cfg.normalise` and
:func:`~pybpf.vm.cfg.analyse`), so both engines accept and refuse exactly the same programs with
the same messages.  A run builds the same address space as the interpreter (same regions, same
order, hence the same opaque addresses), pins each region's ``bytearray`` so native code can
address it, and publishes the regions in a table native code checks every access against.
Helpers, faults and early exits cross back to Python through one ctypes callback and the
status word of the environment; the Python side turns them into the interpreter's exceptions.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pybpf._dataclasses import dataclass, field

from ...errors import Error, NotSupported
from ...isa.instruction import Instruction
from ..cfg import analyse, normalise
from ..errors import ExitProgram, ProgramRejected, VMFault
from ..interpreter import DEFAULT_BUDGET
from ..machine import (
    CALL_DEPTH_EXCEEDED,
    MAY_GOTO_BUDGET,
    Helper,
    Machine,
    RunResult,
    at_slot,
    budget_exhausted,
    callx_helper,
    frame_switches,
    helper_failed,
    map_run,
    run_space,
)
from ..memory import MASK64, AddressSpace, Region
from . import layout as L
from .engine import Compiled, compile_ir
from .irgen import ENTRY, REPEAT, callback_symbol, callbacks, generate

#: Programs of at least this many slots compile at LLVM -O1 by default: -O2 costs about
#: twice the compile time on them for little gain on straight-line code.
LARGE_PROGRAM = 4096

_U64 = ctypes.c_uint64
_I64 = ctypes.c_int64
#: The helper callback: (env, id, is_callx, r1..r5, slot, depth) -> r0.
_CALLBACK = ctypes.CFUNCTYPE(_U64, ctypes.c_void_p, _I64, _I64, _U64, _U64, _U64, _U64, _U64, _I64, _I64)
#: The reader callback: (env, address, size, slot) -> 0, or non-zero when it failed.
_READER = ctypes.CFUNCTYPE(_I64, ctypes.c_void_p, _U64, _I64, _I64)
_ENTRY = ctypes.CFUNCTYPE(_U64, ctypes.c_void_p, _U64, _U64, _U64, _U64, _U64, _I64)
_REPEAT = ctypes.CFUNCTYPE(_U64, ctypes.c_void_p, _U64, _U64, _U64)


class _NativeStop(BaseException):
    """A callback's native code stopped the run; unwinds the helper that called it.

    A BaseException so that a helper's own ``except Exception`` cannot swallow it.
    """


@dataclass(eq=False)
class _Run:
    """The per-run state native code and the callback share."""

    machine: Machine
    frames: list[Region]
    env: ctypes.Array[ctypes.c_uint64]
    table: ctypes.Array[ctypes.c_uint64] | None = None
    legacy: Region | None = None  #: the region LD_ABS/LD_IND read
    #: id(region) -> (region, ctypes view pinning its buffer); holding the region keeps its id
    #: from being reused by a new region while the pin lives
    pins: dict[int, tuple[Region, Any]] = field(default_factory=dict)
    error: BaseException | None = None
    #: ids of regions never worth pinning (deeper frames of a program without calls)
    unused: frozenset[int] = frozenset()

    def publish(self) -> None:
        """(Re)write the region table from the address space, growing it when needed.

        Called before the run and after every helper call, since helpers may map new regions
        (map values) or change bounds.  Buffers are pinned so their addresses stay valid.
        """
        regions = self.machine.memory.regions
        rows = max((region.base >> 32 for region in regions), default=0) + 1
        table = self.table
        if table is None or len(table) < rows * L.ROW_WORDS:
            table = (_U64 * (max(rows, 16) * L.ROW_WORDS))()
            self.table = table
            self.env[L.ENV_TABLE] = ctypes.addressof(table)
        else:
            ctypes.memset(table, 0, ctypes.sizeof(table))
        assert table is not None
        self.env[L.ENV_SLOTS] = rows
        live = set()
        words: list[ctypes.c_uint64 | int] = [0] * (rows * L.ROW_WORDS)
        for region in regions:
            key = id(region)
            live.add(key)
            pinned = self.pins.get(key)
            view = pinned[1] if pinned is not None else None
            if view is None and region.buf and key not in self.unused:
                view = (ctypes.c_char * len(region.buf)).from_buffer(region.buf)
                self.pins[key] = (region, view)
            row = (region.base >> 32) * L.ROW_WORDS
            words[row : row + L.ROW_WORDS] = (
                ctypes.addressof(view) if view is not None else 0,
                region.lo,
                min(region.hi, len(region.buf)),
                (L.FLAG_WRITABLE if region.writable else 0)
                | (L.FLAG_STRICT_ALIGNMENT if region.strict_alignment else 0)
                | (L.FLAG_READER if region.reader is not None else 0),
            )
        table[: len(words)] = words  # in place: native code may hold pointers into the table
        for key in [key for key in self.pins if key not in live]:
            del self.pins[key]
        if self.legacy is not None:
            pinned = self.pins.get(id(self.legacy))
            self.env[L.ENV_PACKET] = ctypes.addressof(pinned[1]) if pinned is not None else 0
            self.env[L.ENV_PACKET_LEN] = len(self.legacy.buf)

    def unpin_data(self) -> None:
        """Release every pin but the stack frames', so a helper may resize buffers (a packet).

        Native code holds no pointer into them across a helper call: it finds every address
        through the table again, and :meth:`publish` rewrites the table after the helper.
        """
        frames = {id(frame) for frame in self.frames}
        for key in [key for key in self.pins if key not in frames]:
            del self.pins[key]

    def sync_frames(self) -> None:
        """Copy the native frame bounds back to the Python regions (for helpers and faults)."""
        table = self.table
        assert table is not None
        for frame in self.frames:
            frame.hi = int(table[(frame.base >> 32) * L.ROW_WORDS + L.ROW_HI])

    def release(self) -> None:
        self.pins.clear()


class Program:
    """A validated program compiled to native code; :meth:`run` it as often as you like.

    The constructor and :meth:`run` take the interpreter's arguments and return its
    :class:`~pybpf.vm.RunResult`.  Differences: ``trace=True`` is refused (tracing needs the
    interpreter), ``opt_level`` picks LLVM's optimisation level (default: 2, or 1 for programs
    of :data:`LARGE_PROGRAM` slots or more).  The budget is tested on entry to each function
    and at every target of a backward jump (every loop passes one), like the interpreter's
    tests at loop heads: a run always stops within the budget plus one loop-free stretch,
    and instruction counts of completed runs are exact and identical to the interpreter's.
    """

    def __init__(
        self,
        program: bytes | bytearray | Iterable[Instruction],
        *,
        helpers: Mapping[int, Helper] | None = None,
        budget: int = DEFAULT_BUDGET,
        strict_alignment: bool = False,
        trace: bool = False,
        opt_level: int | None = None,
    ) -> None:
        if trace:
            raise NotSupported("the JIT cannot trace instructions; use the interpreter for trace=True")
        if budget < 1:
            raise ProgramRejected(f"the instruction budget must be positive, not {budget}")
        if budget >= 1 << 62:
            raise ProgramRejected(f"the instruction budget {budget} is too large for the JIT")
        self.helpers: dict[int, Helper] = dict(helpers or {})
        self.budget = budget
        self.strict_alignment = strict_alignment
        self.slots = normalise(program)
        self.flow = analyse(self.slots, self.helpers)
        if opt_level is None:
            opt_level = 2 if self.slots[-1][0] < LARGE_PROGRAM else 1
        started = time.perf_counter()
        self.llvm_ir = generate(self.flow, budget=budget)
        entries = callbacks(self.flow)
        symbols = [ENTRY, REPEAT, *(callback_symbol(entry) for entry in entries)]
        self._compiled: Compiled = compile_ir(self.llvm_ir, symbols, opt_level=opt_level)
        #: Seconds spent generating and compiling native code.
        self.compile_seconds = time.perf_counter() - started
        self._entry = _ENTRY(self._compiled.addresses[ENTRY])
        self._repeat = _REPEAT(self._compiled.addresses[REPEAT])
        #: entry slot -> native function, for helpers that call back into the program
        self._functions = {0: self._entry} | {
            entry: _ENTRY(self._compiled.addresses[callback_symbol(entry)]) for entry in entries
        }
        self._runs: dict[int, _Run] = {}
        self._callback = _CALLBACK(self._on_helper)
        self._callback_address = ctypes.cast(self._callback, ctypes.c_void_p).value or 0
        self._reader = _READER(self._on_read)
        self._reader_address = ctypes.cast(self._reader, ctypes.c_void_p).value or 0

    @property
    def instructions(self) -> list[Instruction]:
        return [insn for _, insn in self.slots]

    # -- running -------------------------------------------------------------------------------

    def run(
        self,
        memory: bytes | bytearray = b"",
        *,
        ctx: bytes | bytearray | None = None,
        packet: bytes | bytearray | None = None,
        ctx_writable: bool = True,
        tracer: Callable[[int, tuple[int, ...]], None] | None = None,
        space: AddressSpace | None = None,
        on_start: Callable[[Machine], None] | None = None,
    ) -> RunResult:
        """Run once with fresh memory; the same conventions as :meth:`pybpf.vm.Program.run`."""
        result, _ = self._execute(memory, ctx, packet, ctx_writable, tracer, space, on_start, 1)
        return result

    def time_runs(
        self,
        memory: bytes | bytearray = b"",
        *,
        ctx: bytes | bytearray | None = None,
        packet: bytes | bytearray | None = None,
        repeat: int = 1000,
    ) -> tuple[RunResult, float]:
        """Run ``repeat`` times in a native loop over the same memory, like BPF_PROG_TEST_RUN.

        Returns the last run's result and the average nanoseconds per run of the native loop
        alone (setting up the address space is not counted, as the kernel does not count it).
        """
        if repeat < 1:
            raise ValueError("repeat must be positive")
        return self._execute(memory, ctx, packet, True, None, None, None, repeat)

    def _execute(
        self,
        memory: bytes | bytearray,
        ctx: bytes | bytearray | None,
        packet: bytes | bytearray | None,
        ctx_writable: bool,
        tracer: Callable[[int, tuple[int, ...]], None] | None,
        space: AddressSpace | None,
        on_start: Callable[[Machine], None] | None,
        repeat: int,
    ) -> tuple[RunResult, float]:
        if tracer is not None:
            raise NotSupported("the JIT cannot trace instructions; use the interpreter for tracers")
        with run_space(space, strict_alignment=self.strict_alignment) as space:
            return self._run_in(space, memory, ctx, packet, ctx_writable, on_start, repeat)

    def _run_in(
        self,
        space: AddressSpace,
        memory: bytes | bytearray,
        ctx: bytes | bytearray | None,
        packet: bytes | bytearray | None,
        ctx_writable: bool,
        on_start: Callable[[Machine], None] | None,
        repeat: int,
    ) -> tuple[RunResult, float]:
        regions = map_run(
            space, self.helpers, memory, ctx, packet, ctx_writable=ctx_writable, on_start=on_start
        )
        machine, frames = regions.machine, regions.frames
        if any((frame.base >> 32) != (frames[0].base >> 32) + depth for depth, frame in enumerate(frames)):
            raise NotSupported("the JIT needs the stack frames in consecutive address windows")

        env = (_U64 * L.ENV_WORDS)()
        run = _Run(machine, frames, env, legacy=regions.legacy)
        if len(self.flow.functions) == 1:  # no calls, no callbacks: only the first frame is used
            run.unused = frozenset(id(frame) for frame in frames[1:])
        key = ctypes.addressof(env)
        self._runs[key] = run
        self._bind_callbacks(run, key)
        try:
            run.publish()
            env[L.ENV_COUNT] = 0
            env[L.ENV_MAY_GOTO] = MAY_GOTO_BUDGET
            env[L.ENV_CALLBACK] = self._callback_address
            env[L.ENV_READER] = self._reader_address
            env[L.ENV_FRAME0] = frames[0].base >> 32
            r1, r2 = regions.r1, len(regions.memory.buf)
            started = time.perf_counter_ns()
            if repeat == 1:
                r0 = self._entry(key, r1, r2, 0, 0, 0, 0)
            else:
                r0 = self._repeat(key, r1, r2, repeat)
            elapsed = (time.perf_counter_ns() - started) / repeat
            r0 = self._outcome(run, r0)
        finally:
            del self._runs[key]
            run.release()
        machine.state[0] = int(env[L.ENV_COUNT])
        return regions.result(r0), elapsed

    def _bind_callbacks(self, run: _Run, key: int) -> None:
        """Give the machine what :meth:`Machine.call` needs: native functions and frames.

        A callback that stops (fault, budget, exit) leaves its status in the environment;
        :class:`_NativeStop` carries that out of the helper, and the native caller returns.
        """
        env, frames, machine = run.env, run.frames, run.machine

        def bind(native: Callable[..., int]) -> Callable[..., int]:
            def call(r1: int, r2: int, r3: int, r4: int, r5: int, top: int, depth: int) -> int:
                run.publish()  # the calling helper may have mapped regions (map keys, values)
                r0 = native(key, r1, r2, r3, r4, r5, depth)
                if env[L.ENV_STATUS]:
                    raise _NativeStop
                run.sync_frames()
                run.unpin_data()  # the helper goes on in Python and may resize buffers
                return int(r0)

            return call

        def frame_hi(frame: Region) -> None:
            table = run.table
            if table is not None:
                table[(frame.base >> 32) * L.ROW_WORDS + L.ROW_HI] = frame.hi

        machine.functions = {entry: bind(native) for entry, native in self._functions.items()}
        machine._enter, machine._leave = frame_switches(frames, frame_hi)

    def _outcome(self, run: _Run, r0: int) -> int:
        """r0 of a finished run, or the interpreter's exception for how it stopped."""
        env = run.env
        status = env[L.ENV_STATUS]
        if status == L.Status.OK:
            return r0
        if status == L.Status.EXIT:
            return int(env[L.ENV_EXIT_R0])
        slot = int(env[L.ENV_FAULT_SLOT])
        if status == L.Status.MEMORY_FAULT:
            run.sync_frames()
            address, size = int(env[L.ENV_FAULT_ADDRESS]), int(env[L.ENV_FAULT_SIZE])
            fault = run.machine.memory.fault(address, size, "write" if env[L.ENV_FAULT_WRITE] else "read")
            raise at_slot(fault, slot)
        if status == L.Status.BUDGET:
            raise budget_exhausted(self.budget, index=slot)
        if status == L.Status.CALL_DEPTH:
            raise VMFault(CALL_DEPTH_EXCEEDED, index=slot)
        error, run.error = run.error, None
        if isinstance(error, VMFault):
            if error.index is not None:
                raise error
            raise at_slot(error, slot) from None
        if isinstance(error, Error | KeyboardInterrupt | SystemExit):
            raise error
        assert error is not None
        raise helper_failed(error, index=slot) from error

    def _on_read(self, env_address: int, address: int, size: int, slot: int) -> int:
        """Compute a load from a region with a Python reader (bounds were checked natively)."""
        run = self._runs[env_address]
        env = run.env
        try:
            region = run.machine.memory.region_of(address)
            reader = region.reader if region is not None else None
            offset = address & 0xFFFFFFFF
            env[L.ENV_SCRATCH] = (reader or _never)(offset, size) & MASK64
            return 0
        except BaseException as exc:  # handed to Python after the native frames return
            run.error = exc
            env[L.ENV_FAULT_SLOT] = slot
            env[L.ENV_STATUS] = L.Status.HELPER_ERROR
            return 1

    def _on_helper(
        self,
        env_address: int,
        helper_id: int,
        callx: int,
        r1: int,
        r2: int,
        r3: int,
        r4: int,
        r5: int,
        slot: int,
        depth: int,
    ) -> int:
        """The native side's way into Python: run one helper, never let an exception escape.

        ctypes would print and swallow an exception raised here, so every outcome is turned
        into a return value plus the environment's status word.
        """
        run = self._runs[env_address]
        env = run.env
        try:
            run.sync_frames()
            run.unpin_data()
            machine = run.machine
            machine.state[0] = int(env[L.ENV_COUNT])
            if callx:
                helper = callx_helper(self.helpers, helper_id & MASK64)
            else:
                helper = self.helpers[helper_id]
            r0: int = helper(machine, r1, r2, r3, r4, r5) & MASK64
            run.publish()
            return r0
        except _NativeStop:  # a callback stopped; its status is already in the environment
            pass
        except ExitProgram as stop:
            env[L.ENV_EXIT_R0] = stop.r0 & MASK64
            env[L.ENV_STATUS] = L.Status.EXIT
        except BaseException as exc:  # handed to Python after the native frames return
            run.error = exc
            env[L.ENV_FAULT_SLOT] = slot
            env[L.ENV_STATUS] = L.Status.HELPER_ERROR
        return 0


def _never(offset: int, size: int) -> int:  # pragma: no cover - only flagged regions call back
    raise VMFault("load computed for a region without a reader")


def prepare(
    program: bytes | bytearray | Iterable[Instruction],
    *,
    helpers: Mapping[int, Helper] | None = None,
    budget: int = DEFAULT_BUDGET,
    strict_alignment: bool = False,
    trace: bool = False,
) -> Program:
    """Validate and compile ``program`` to native code for repeated runs."""
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
    """Compile and run ``program`` once; see :meth:`pybpf.vm.Program.run` for the conventions."""
    prepared = prepare(program, helpers=helpers, budget=budget, strict_alignment=strict_alignment)
    return prepared.run(memory, ctx=ctx, packet=packet, ctx_writable=ctx_writable)


__all__ = ["Program", "prepare", "run"]
