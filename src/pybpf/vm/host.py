"""The world a VM object's programs see: maps by handle, programs by id, time, randomness,
the current task, the trace pipe and the packet of the current run.

One :class:`Host` per loaded object.  Everything a kernel would take from the machine is a
setting here (``cpus``, ``clock``, ``seed``, ``pid``/``tgid``/``uid``/``gid``/``comm``), so a
test can pin it down and get the same run every time.
"""

from __future__ import annotations

import os
import random
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from pybpf._dataclasses import dataclass, field

from .errors import VMFault
from .maps import MAP_HANDLE_BASE, MapHost, Storage
from .memory import Region, RegionKind

if TYPE_CHECKING:
    from .context import PacketState

Clock = Callable[[], int]


class ManualClock:
    """A clock that moves only when told: ``clock.advance(ns)``; pass it as ``clock=``."""

    def __init__(self, start_ns: int = 0) -> None:
        self.now = start_ns

    def advance(self, ns: int) -> None:
        self.now += ns

    def __call__(self) -> int:
        return self.now


class TracePipe:
    """Lines ``bpf_trace_printk`` wrote, formatted like ``/sys/kernel/tracing/trace_pipe``'s
    message part; ``read()`` takes them, ``lines`` peeks."""

    def __init__(self, limit: int = 65536) -> None:
        self.lines: deque[str] = deque(maxlen=limit)

    def write(self, line: str) -> None:
        self.lines.append(line)

    def read(self) -> list[str]:
        taken = list(self.lines)
        self.lines.clear()
        return taken


@dataclass
class Task:
    """The "current task" helpers report."""

    pid: int = field(default_factory=os.getpid)
    tgid: int = field(default_factory=os.getpid)
    uid: int = field(default_factory=os.getuid)
    gid: int = field(default_factory=os.getgid)
    comm: str = "python3"
    #: bytes ``bpf_get_current_task`` points at (zeros: every field reads as 0 / NULL)
    struct: bytes = bytes(16384)


class Host(MapHost):
    """Shared state of one VM object (the map host plus everything helpers consult)."""

    def __init__(
        self,
        *,
        cpus: int = 1,
        cpu: int = 0,
        clock: Clock | None = None,
        boot_clock: Clock | None = None,
        seed: int | None = None,
        task: Task | None = None,
    ) -> None:
        super().__init__(cpus=max(1, cpus), cpu=cpu)
        self.clock: Clock = clock or time.monotonic_ns
        self.boot_clock: Clock = boot_clock or clock or (lambda: time.clock_gettime_ns(time.CLOCK_BOOTTIME))
        self.random = random.Random(seed)
        self.task = task or Task()
        self.trace_pipe = TracePipe()
        self.maps: dict[int, Storage] = {}
        self.programs: dict[int, object] = {}
        self.packet: PacketState | None = None
        self.tail_call: int | None = None
        self.tail_calls = 0
        #: (ifindex, flags) of the last bpf_redirect/bpf_redirect_map that succeeded
        self.redirect: tuple[int, int] | None = None
        #: address of the bpf_spin_lock the running program holds (see helpers.locks)
        self.held_lock: int | None = None
        self._ids = 0
        self._task_region: Region | None = None

    def release_lock(self) -> int | None:
        """Drop the held spin lock (its word back to 0); returns where it was, if anywhere."""
        lock, self.held_lock = self.held_lock, None
        if lock is not None:
            try:
                self.memory.store(lock, 4, 0)
            except VMFault:
                pass  # the value was deleted during the run: nothing left to unlock
        return lock

    def check_unlocked(self) -> None:
        """Fault if the program ended holding a spin lock, as the verifier refuses such a
        program ("missing bpf_spin_unlock"); the lock is released either way."""
        lock = self.release_lock()
        if lock is not None:
            raise VMFault(f"the program ended holding bpf_spin_lock at {lock:#x}", address=lock)

    def task_address(self) -> int:
        """Address of the current task's ``task_struct`` stand-in (read-only to programs)."""
        if self._task_region is None:
            self._task_region = self.memory.add(
                "current task", RegionKind.GLOBAL, self.task.struct, writable=False
            )
        return self._task_region.base

    def add_memory(self, data: bytes | int, *, name: str = "user memory", writable: bool = True) -> int:
        """Map ``data`` (or that many zero bytes) where programs can reach it, such as the user
        buffers a tracing context points at; returns its address."""
        return self.memory.add(name, RegionKind.GLOBAL, data, writable=writable).base

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def add_map(self, storage: Storage) -> int:
        ident = self.next_id()
        self.maps[ident] = storage
        return ident

    def map_handle(self, ident: int) -> int:
        return MAP_HANDLE_BASE + ident

    def map_of(self, handle: int) -> Storage | None:
        """The map a program's map pointer names (None for anything else)."""
        return self.maps.get(handle - MAP_HANDLE_BASE) if handle > MAP_HANDLE_BASE else None


__all__ = ["Clock", "Host", "ManualClock", "Task", "TracePipe"]
