"""The VM's address space: named memory regions behind opaque 64-bit addresses.

A BPF program computes with pointers, so the VM must hand it numbers that behave like pointers
(they can be added to, compared, stored) without ever being real process addresses.  Each region
gets its own 4 GiB window: the high 32 bits of an address select the region, the low 32 bits are
the offset inside it.  Every load and store checks the offset against the region's bounds, its
write permission and (where the kernel demands it) alignment, and a failure names the nearest
region so that "16 bytes past the end of the stack" is what the user reads.

Slot 0 is never used, so NULL and small integers never resolve to memory.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Callable

from pybpf._dataclasses import dataclass, field

from .._enum import ConstantEnum
from .errors import VMFault

REGION_SHIFT = 32
OFFSET_MASK = (1 << REGION_SHIFT) - 1
MASK64 = (1 << 64) - 1
STACK_FRAME_SIZE = 512
MAX_CALL_DEPTH = 8
#: Callback addresses (``lddw rX, callback``) are handles in the never-mapped top window:
#: ``CALLBACK_BASE + entry slot``, so a program can pass them around but never dereference them.
CALLBACK_BASE = 0xFFFFFFFF << REGION_SHIFT

Loader = Callable[[int], int]
#: Computes what a load of ``size`` bytes at ``offset`` reads, instead of the region's bytes.
Reader = Callable[[int, int], int]
Storer = Callable[[int, int], None]

_FORMATS: dict[tuple[int, bool], struct.Struct] = {
    (1, False): struct.Struct("<B"),
    (2, False): struct.Struct("<H"),
    (4, False): struct.Struct("<I"),
    (8, False): struct.Struct("<Q"),
    (1, True): struct.Struct("<b"),
    (2, True): struct.Struct("<h"),
    (4, True): struct.Struct("<i"),
    (8, True): struct.Struct("<q"),
}


class RegionKind(ConstantEnum):
    """What a region holds; the kind decides the kernel's alignment rule and shows in faults."""

    STACK = "stack"
    CTX = "ctx"
    PACKET = "packet"
    MAP_VALUE = "map value"
    GLOBAL = "global data"
    MEMORY = "memory"


@dataclass(eq=False, slots=True)
class Region:
    """One contiguous block of memory the program may access.

    ``lo``/``hi`` bound the accessible offsets; each stack frame is a region of its own whose
    ``hi`` drops to 0 while no call is active at its depth, so a pointer into a returned
    callee's frame faults.  ``strict_alignment`` mirrors the kernel, which always requires
    aligned stack accesses but allows unaligned packet and map accesses on architectures with
    efficient unaligned loads (unless the program asked for strict checks).
    """

    name: str
    kind: RegionKind
    buf: bytearray
    base: int
    writable: bool = True
    strict_alignment: bool = False
    lo: int = 0
    hi: int = field(default=-1)
    #: When set, loads go through it (a context whose 32-bit fields read as 64-bit pointers, as
    #: the kernel's verifier rewrites ``ctx->data``); such regions stay off the fast paths.
    reader: Reader | None = None

    def __post_init__(self) -> None:
        if self.hi < 0:
            self.hi = len(self.buf)

    @property
    def start(self) -> int:
        """Address of the first accessible byte."""
        return self.base + self.lo

    @property
    def end(self) -> int:
        """Address one past the last accessible byte."""
        return self.base + self.hi

    def address(self, offset: int = 0) -> int:
        return self.base + offset


class AddressSpace:
    """The set of regions one run of a program can see, with checked loads and stores."""

    def __init__(self, *, strict_alignment: bool = False) -> None:
        self._regions: dict[int, Region] = {}
        self._next_slot = 1
        self._free: list[int] = []
        self._accessors: dict[tuple[str, int, bool], Callable[..., object]] = {}
        self.strict_alignment = strict_alignment

    # -- building -------------------------------------------------------------------------

    def add(
        self,
        name: str,
        kind: RegionKind,
        data: bytes | bytearray | int,
        *,
        writable: bool = True,
        strict_alignment: bool | None = None,
    ) -> Region:
        """Map a new region (``data`` is its initial contents, or a size to zero-fill)."""
        buf = bytearray(data)
        if len(buf) > OFFSET_MASK:
            raise VMFault(f"region {name!r} is larger than 4 GiB")
        if strict_alignment is None:
            strict_alignment = self.strict_alignment or kind is RegionKind.STACK
        if self._free:
            slot = heapq.heappop(self._free)
        else:
            slot = self._next_slot
            self._next_slot += 1
        region = Region(name, kind, buf, slot << REGION_SHIFT, writable, strict_alignment)
        self._regions[slot] = region
        return region

    def remove(self, region: Region) -> None:
        """Unmap ``region``: its addresses fault from now on and its window may be reused."""
        slot = region.base >> REGION_SHIFT
        if self._regions.get(slot) is region:
            del self._regions[slot]
            heapq.heappush(self._free, slot)

    @property
    def regions(self) -> list[Region]:
        return list(self._regions.values())

    def region_of(self, address: int) -> Region | None:
        """The region whose window contains ``address`` (bounds not checked)."""
        return self._regions.get((address & MASK64) >> REGION_SHIFT)

    # -- fault reporting ------------------------------------------------------------------

    def nearest(self, address: int) -> Region | None:
        """The region closest to ``address``: the one the program most likely meant."""
        best: Region | None = None
        best_distance = 0
        for region in self._regions.values():
            if address < region.start:
                distance = region.start - address
            elif address >= region.end:
                distance = address - region.end + 1
            else:
                distance = 0
            if best is None or distance < best_distance:
                best, best_distance = region, distance
        return best

    def fault(self, address: int, size: int, access: str) -> VMFault:
        """Build the fault for a refused access, explaining why it was refused."""
        address &= MASK64
        region = self.region_of(address)
        what = f"{access} of {size} byte{'s' if size != 1 else ''} at {address:#x}"
        above = self._regions.get((address >> REGION_SHIFT) + 1)
        if region is not None and above is not None:
            # A small negative offset from a region's first byte lands in the window of the
            # region below it: name the region the program counted back from, not that one.
            if above.start - address < (address & OFFSET_MASK) + size - region.hi:
                return VMFault(
                    f"{what}: {above.start - address} bytes before the start of {above.name!r}"
                    f" [{above.start:#x}, {above.end:#x})",
                    address=address,
                    size=size,
                    region=above.name,
                )
        if region is not None:
            offset = address & OFFSET_MASK
            if region.lo <= offset and offset + size <= region.hi:
                if access == "write" and not region.writable:
                    reason = f"{region.name!r} is read-only"
                else:
                    reason = f"misaligned in {region.name!r} (offset {offset - region.lo}, needs {size}-byte alignment)"
            elif offset < region.lo:
                reason = f"{region.lo - offset} bytes before the start of {region.name!r}"
            else:
                reason = f"{offset + size - region.hi} bytes past the end of {region.name!r}"
        else:
            region = self.nearest(address)
            if region is None:
                reason = "no memory is mapped"
            elif address < region.start:
                reason = f"outside any region, {region.start - address} bytes before {region.name!r}"
            else:
                reason = f"outside any region, {address - region.end} bytes past the end of {region.name!r}"
        span = f" [{region.start:#x}, {region.end:#x})" if region is not None else ""
        return VMFault(
            f"{what}: {reason}{span}",
            address=address,
            size=size,
            region=region.name if region is not None else None,
        )

    # -- checked access -------------------------------------------------------------------

    def _locate(self, address: int, size: int, access: str, *, aligned: bool = True) -> tuple[Region, int]:
        region = self._regions.get((address & MASK64) >> REGION_SHIFT)
        if region is not None:
            offset = address & OFFSET_MASK
            if (
                region.lo <= offset
                and offset + size <= region.hi
                and (access != "write" or region.writable)
                and not (aligned and region.strict_alignment and offset % size)
            ):
                return region, offset
        raise self.fault(address, size, access)

    def load(self, address: int, size: int, *, signed: bool = False) -> int:
        """Read a little-endian integer of ``size`` bytes (1, 2, 4 or 8)."""
        fmt = _FORMATS.get((size, signed))
        if fmt is None:
            raise VMFault(f"invalid access size {size}", address=address, size=size)
        region, offset = self._locate(address, size, "read")
        if region.reader is not None:
            return region.reader(offset, size) & MASK64
        value: int = fmt.unpack_from(region.buf, offset)[0]
        return value & MASK64

    def store(self, address: int, size: int, value: int) -> None:
        """Write the low ``size`` bytes of ``value`` little-endian."""
        fmt = _FORMATS.get((size, False))
        if fmt is None:
            raise VMFault(f"invalid access size {size}", address=address, size=size)
        region, offset = self._locate(address, size, "write")
        fmt.pack_into(region.buf, offset, value & ((1 << (8 * size)) - 1))

    def read_bytes(self, address: int, size: int) -> bytes:
        """Copy ``size`` bytes out of VM memory (for helpers); alignment is not required."""
        if size < 0:
            raise self.fault(address, size, "read")
        if size == 0:
            return b""
        region, offset = self._locate(address, size, "read", aligned=False)
        return bytes(region.buf[offset : offset + size])

    def write_bytes(self, address: int, data: bytes) -> None:
        """Copy ``data`` into VM memory (for helpers); alignment is not required."""
        if not data:
            return
        region, offset = self._locate(address, len(data), "write", aligned=False)
        region.buf[offset : offset + len(data)] = data

    # -- fast paths for generated code ------------------------------------------------------

    def loader(self, size: int, *, signed: bool = False) -> Loader:
        """A specialised ``load`` for one size: generated code calls it on every LDX."""
        cached = self._accessors.get(("load", size, signed))
        if cached is None:
            cached = self._accessors[("load", size, signed)] = self._make_loader(size, signed)
        return cached  # type: ignore[return-value]

    def storer(self, size: int) -> Storer:
        """A specialised ``store`` for one size: generated code calls it on every ST/STX."""
        cached = self._accessors.get(("store", size, False))
        if cached is None:
            cached = self._accessors[("store", size, False)] = self._make_storer(size)
        return cached  # type: ignore[return-value]

    def _make_loader(self, size: int, signed: bool) -> Loader:
        regions = self._regions
        unpack = _FORMATS[(size, signed)].unpack_from
        mask = size - 1
        fault = self.fault
        get = regions.get

        if signed:

            def load_signed(address: int) -> int:
                region = get(address >> REGION_SHIFT)
                if region is not None:
                    offset = address & OFFSET_MASK
                    if (
                        region.lo <= offset
                        and offset + size <= region.hi
                        and not (offset & mask and region.strict_alignment)
                    ):
                        if region.reader is not None:
                            return region.reader(offset, size) & MASK64
                        value: int = unpack(region.buf, offset)[0]
                        return value & MASK64
                raise fault(address, size, "read")

            return load_signed

        def load(address: int) -> int:
            region = get(address >> REGION_SHIFT)
            if region is not None:
                offset = address & OFFSET_MASK
                if (
                    region.lo <= offset
                    and offset + size <= region.hi
                    and not (offset & mask and region.strict_alignment)
                ):
                    if region.reader is not None:
                        return region.reader(offset, size)
                    value: int = unpack(region.buf, offset)[0]
                    return value
            raise fault(address, size, "read")

        return load

    def _make_storer(self, size: int) -> Storer:
        get = self._regions.get
        pack = _FORMATS[(size, False)].pack_into
        mask = size - 1
        value_mask = (1 << (8 * size)) - 1
        fault = self.fault

        def store(address: int, value: int) -> None:
            region = get(address >> REGION_SHIFT)
            if region is not None:
                offset = address & OFFSET_MASK
                if (
                    region.lo <= offset
                    and offset + size <= region.hi
                    and region.writable
                    and not (offset & mask and region.strict_alignment)
                ):
                    pack(region.buf, offset, value & value_mask)
                    return
            raise fault(address, size, "write")

        return store


__all__ = [
    "CALLBACK_BASE",
    "MASK64",
    "MAX_CALL_DEPTH",
    "STACK_FRAME_SIZE",
    "AddressSpace",
    "Region",
    "RegionKind",
]
