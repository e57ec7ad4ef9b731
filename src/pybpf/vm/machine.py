"""What one run of a program sees, shared by both engines (the interpreter and the JIT).

The two engines differ in how they execute instructions, not in what a run is: the same regions
in the same order (hence the same opaque addresses), the same :class:`Machine` for helpers, the
same :class:`RunResult`, and the same fault messages.  Keeping those here means an engine can
only differ from the other where it means to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from pybpf._dataclasses import dataclass

from .errors import VMFault
from .memory import CALLBACK_BASE, MASK64, MAX_CALL_DEPTH, STACK_FRAME_SIZE, AddressSpace, Region, RegionKind

#: Iterations ``may_goto`` allows before it starts jumping (the kernel's BPF_MAX_LOOPS).
MAY_GOTO_BUDGET = 8 * 1024 * 1024

#: A helper: called with the machine and r1..r5, returns the new r0.
Helper = Callable[..., int]

#: Region kinds a run creates for itself (and removes from a shared address space after it).
PER_RUN = frozenset({RegionKind.STACK, RegionKind.MEMORY, RegionKind.CTX, RegionKind.PACKET})


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run produced: r0, the memory as the program left it, and the work it did."""

    r0: int
    memory: bytes
    instructions: int
    ctx: bytes | None = None
    packet: bytes | None = None


class Machine:
    """The state a running program sees; helpers receive it as their first argument.

    ``memory`` is the :class:`AddressSpace`; helpers read and write program memory through it
    (``vm.memory.read_bytes(addr, n)``) so every access stays bounds-checked.  ``instructions``
    is brought up to date whenever the program calls a helper and when it exits.
    """

    def __init__(self, memory: AddressSpace, helpers: Mapping[int, Helper]) -> None:
        self.memory = memory
        self.helpers = helpers
        self.state = [0, MAY_GOTO_BUDGET]  # [instructions executed, may_goto iterations left]
        self.regions: dict[str, Region] = {}
        #: entry slot -> compiled function: the callbacks a helper may invoke (see :meth:`call`)
        self.functions: dict[int, Callable[..., int]] = {}
        self._frames: list[Region] = []
        self._enter: Callable[[int], int] | None = None
        self._leave: Callable[[int], None] | None = None

    def call(self, handle: int, r1: int = 0, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
        """Run the BPF function whose callback address is ``handle`` (from ``lddw rX, func``)
        in a fresh stack frame, as helpers such as ``bpf_loop`` do, and return its r0."""
        function = self.functions.get(handle - CALLBACK_BASE) if handle >= CALLBACK_BASE else None
        if function is None or self._enter is None or self._leave is None:
            raise VMFault(f"{handle:#x} is not the address of a BPF function")
        depth = next((i for i, frame in enumerate(self._frames) if i and frame.hi == 0), len(self._frames))
        top = self._enter(depth)
        try:
            return function(r1, r2, r3, r4, r5, top, depth) & MASK64
        finally:
            self._leave(depth)

    @property
    def instructions(self) -> int:
        return self.state[0]


@dataclass(eq=False)
class RunRegions:
    """The regions one run maps for itself, and the machine its helpers see."""

    machine: Machine
    frames: list[Region]
    memory: Region
    ctx: Region | None
    packet: Region | None

    @property
    def legacy(self) -> Region:
        """The region legacy LD_ABS/LD_IND loads read: the packet when given, else memory."""
        return self.packet if self.packet is not None else self.memory

    @property
    def r1(self) -> int:
        """r1 on entry: the context when given, else the memory (the conformance convention)."""
        return (self.ctx or self.memory).base

    def result(self, r0: int) -> RunResult:
        """The run's result once it stopped with ``r0`` (the count is read from the machine)."""
        return RunResult(
            r0,
            bytes(self.memory.buf),
            self.machine.state[0],
            bytes(self.ctx.buf) if self.ctx is not None else None,
            bytes(self.packet.buf) if self.packet is not None else None,
        )


@contextmanager
def run_space(space: AddressSpace | None, *, strict_alignment: bool) -> Iterator[AddressSpace]:
    """The address space a run maps its regions in.

    A fresh one when ``space`` is None; otherwise ``space`` itself (a runtime's, whose map values
    outlive the run), from which the regions the run added are removed when it ends.
    """
    if space is None:
        yield AddressSpace(strict_alignment=strict_alignment)
        return
    before = {id(region) for region in space.regions}
    try:
        yield space
    finally:
        for region in space.regions:
            if id(region) not in before and region.kind in PER_RUN:
                space.remove(region)


def map_run(
    space: AddressSpace,
    helpers: Mapping[int, Helper],
    memory: bytes | bytearray,
    ctx: bytes | bytearray | None,
    packet: bytes | bytearray | None,
    *,
    ctx_writable: bool,
    on_start: Callable[[Machine], None] | None,
) -> RunRegions:
    """Map a run's stack frames, memory, ctx and packet (in that order) and build its machine.

    Only the first frame is active; deeper ones open when a call enters that depth.
    ``on_start`` sees the machine before the program starts (to attach readers to the context).
    """
    frames = [
        space.add("stack" if depth == 0 else f"stack (frame {depth})", RegionKind.STACK, STACK_FRAME_SIZE)
        for depth in range(MAX_CALL_DEPTH)
    ]
    for frame in frames[1:]:
        frame.hi = 0  # inactive until a call enters that depth
    mem = space.add("memory", RegionKind.MEMORY, memory)
    ctx_region = None
    if ctx is not None:
        ctx_region = space.add("ctx", RegionKind.CTX, ctx, writable=ctx_writable)
    pkt = space.add("packet", RegionKind.PACKET, packet) if packet is not None else None
    machine = Machine(space, helpers)
    own = [*frames, mem] + [reg for reg in (ctx_region, pkt) if reg is not None]
    machine.regions = {reg.name: reg for reg in own}
    machine._frames = frames
    if on_start is not None:
        on_start(machine)
    return RunRegions(machine, frames, mem, ctx_region, pkt)


def frame_switches(
    frames: list[Region], changed: Callable[[Region], None]
) -> tuple[Callable[[int], int], Callable[[int], None]]:
    """``enter(depth)`` and ``leave(depth)`` for :meth:`Machine.call` and BPF-to-BPF calls.

    ``enter`` opens the frame at ``depth`` and returns its top (the new r10); ``leave`` closes it
    again.  ``changed`` hears of every frame whose bounds moved, for the engine's own tables.
    """

    def enter(depth: int) -> int:
        if depth >= MAX_CALL_DEPTH:
            raise VMFault(CALL_DEPTH_EXCEEDED)
        frame = frames[depth]
        frame.hi = STACK_FRAME_SIZE
        changed(frame)
        return frame.end

    def leave(depth: int) -> None:
        frame = frames[depth]
        frame.hi = 0
        changed(frame)

    return enter, leave


#: The fault of a call one frame deeper than the VM has.
CALL_DEPTH_EXCEEDED = f"call depth exceeds {MAX_CALL_DEPTH} frames"


def budget_exhausted(budget: int, *, index: int | None = None) -> VMFault:
    """The fault of a run that executed its whole instruction budget."""
    return VMFault(f"instruction budget of {budget} exhausted (an endless loop?)", index=index)


def helper_failed(error: BaseException, *, index: int | None) -> VMFault:
    """The fault a helper's unexpected exception becomes (raise it ``from`` the exception)."""
    return VMFault(f"helper failed: {type(error).__name__}: {error}", index=index)


def at_slot(fault: VMFault, index: int | None) -> VMFault:
    """``fault`` located at instruction ``index``, keeping what it says of the memory access."""
    return VMFault(
        fault.reason,
        index=index,
        address=fault.address,
        size=fault.size,
        region=fault.region,
        source=fault.source,
    )


def callx_helper(helpers: Mapping[int, Helper], target: int) -> Helper:
    """The helper a ``callx`` register names; a fault when there is none."""
    helper = helpers.get(target)
    if helper is None:
        raise VMFault(f"callx of unknown helper {target}")
    return helper


__all__ = [
    "CALL_DEPTH_EXCEEDED",
    "MAY_GOTO_BUDGET",
    "PER_RUN",
    "Helper",
    "Machine",
    "RunRegions",
    "RunResult",
    "at_slot",
    "budget_exhausted",
    "callx_helper",
    "frame_switches",
    "helper_failed",
    "map_run",
    "run_space",
]
