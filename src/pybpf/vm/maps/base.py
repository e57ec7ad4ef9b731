"""What every userspace map shares: its definition, the address space its values live in, and
the kernel's errors.

Values live in VM regions so a program's ``bpf_map_lookup_elem`` hands back a real (checked)
pointer; Python reads and writes the same bytes.  Operations fail with the exception classes of
the kernel runtime (:mod:`pybpf.kernel.errors`) carrying the errno the kernel would return, so
code written against one runtime handles errors of the other unchanged; helpers turn the same
errno into the negative return value programs see.
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Iterator

from pybpf._dataclasses import dataclass, field

from ...enums import MapFlags, MapType
from ...kernel.errors import InvalidArgument, KernelError, KeyExists, KeyNotFound, MapFull, PermissionDenied
from ..memory import AddressSpace, Region, RegionKind

ANY, NOEXIST, EXIST, F_LOCK = 0, 1, 2, 4

_ERRORS: dict[int, type[KernelError]] = {
    _errno.ENOENT: KeyNotFound,
    _errno.EEXIST: KeyExists,
    _errno.E2BIG: MapFull,
    _errno.ENOSPC: MapFull,
    _errno.EPERM: PermissionDenied,
}


def map_error(code: int, message: str, command: str) -> KernelError:
    """The kernel runtime's exception for ``code``, so both runtimes raise alike."""
    cls = _ERRORS.get(code, InvalidArgument)
    return cls(message, errno=code, command=command)


class MapOpError(Exception):
    """Internal: an operation failed with ``errno``; turned into an exception or a return code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.errno = code
        self.message = message


@dataclass
class MapHost:
    """What maps need of the runtime: the shared address space and the CPU a program runs on."""

    memory: AddressSpace = field(default_factory=AddressSpace)
    cpus: int = 1
    cpu: int = 0
    #: regions a program may still point at, unmapped once the current run ends
    retired: list[Region] = field(default_factory=list)
    running: bool = False

    def retire(self, region: Region) -> None:
        """Drop a value region; during a run it stays valid until the run ends (as RCU keeps
        a deleted element alive for programs already holding a pointer to it)."""
        if self.running:
            self.retired.append(region)
        else:
            self.memory.remove(region)

    def end_run(self) -> None:
        self.running = False
        for region in self.retired:
            self.memory.remove(region)
        self.retired.clear()


def stride(value_size: int) -> int:
    """Per-element (and per-CPU) stride of values: rounded up to 8 bytes, as the kernel does."""
    return (value_size + 7) & ~7


class Storage:
    """Base of the map implementations; raw bytes in and out.

    ``read``/``write`` take the syscall layout (per-CPU maps: one 8-byte-aligned slot per CPU)
    and are what Python uses; ``lookup`` returns the VM address of the value for programs
    (0 when absent) and ``update`` with ``from_program=True`` writes only the current CPU's slot
    of a per-CPU value.
    """

    percpu = False
    keyless = False

    def __init__(
        self,
        host: MapHost,
        name: str,
        type: MapType,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int = 0,
    ) -> None:
        self.host = host
        self.name = name
        self.type = type
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = MapFlags(flags)
        self.frozen = False
        #: read-only to programs (``.rodata``, BPF_F_RDONLY_PROG)
        self.prog_readonly = bool(self.flags & MapFlags.RDONLY_PROG)

    # -- helpers for subclasses --------------------------------------------------------------
    @property
    def syscall_value_size(self) -> int:
        return stride(self.value_size) * self.host.cpus if self.percpu else self.value_size

    def _region(self, size: int, data: bytes | None = None, label: str = "") -> Region:
        region = self.host.memory.add(
            f"map {self.name!r} value{label}",
            RegionKind.MAP_VALUE,
            data if data is not None else size,
            writable=not self.prog_readonly,
        )
        return region

    def _check_key(self, key: bytes) -> None:
        if len(key) != self.key_size:
            raise MapOpError(_errno.EINVAL, f"key of {len(key)} bytes, the map's keys are {self.key_size}")

    def _check_value(self, value: bytes, size: int | None = None) -> None:
        want = self.syscall_value_size if size is None else size
        if len(value) != want:
            raise MapOpError(_errno.EINVAL, f"value of {len(value)} bytes, expected {want}")

    @staticmethod
    def _check_flags(flags: int) -> None:
        if flags & ~(NOEXIST | EXIST | F_LOCK) or (flags & NOEXIST and flags & EXIST):
            raise MapOpError(_errno.EINVAL, f"invalid update flags {flags:#x}")

    # -- the operations ----------------------------------------------------------------------
    def lookup(self, key: bytes) -> int:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no lookup")

    def read(self, key: bytes) -> bytes:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no lookup")

    def update(self, key: bytes, value: bytes, flags: int = ANY, *, from_program: bool = False) -> None:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no update")

    def delete(self, key: bytes) -> None:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no delete")

    def keys(self) -> Iterator[bytes]:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no keys")

    def next_key(self, key: bytes | None) -> bytes | None:
        """The key after ``key`` in iteration order (the first for ``None`` or an absent key,
        as the kernel's GET_NEXT_KEY does for hash maps); ``None`` at the end."""
        ordered = list(self.keys())
        if key is None or key not in ordered:
            return ordered[0] if ordered else None
        at = ordered.index(key) + 1
        return ordered[at] if at < len(ordered) else None

    def count(self) -> int:
        return sum(1 for _ in self.keys())

    def push(self, value: bytes, flags: int = ANY) -> None:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no push")

    def pop(self) -> bytes:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no pop")

    def peek(self) -> bytes:
        raise MapOpError(_errno.EOPNOTSUPP, f"{self.type.name.lower()} maps have no peek")


__all__ = [
    "ANY",
    "EXIST",
    "F_LOCK",
    "NOEXIST",
    "MapHost",
    "MapOpError",
    "Storage",
    "map_error",
    "stride",
]
