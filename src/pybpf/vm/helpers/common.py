"""What helper implementations share: the signature, errno returns, memory access."""

from __future__ import annotations

from collections.abc import Callable

from ...errors import Error
from ..errors import VMFault
from ..host import Host
from ..interpreter import Machine
from ..maps import Storage

Helper = Callable[[Machine, int, int, int, int, int], int]
MASK64 = (1 << 64) - 1


def neg(code: int) -> int:
    """``-errno`` as the 64-bit register value a helper returns."""
    return -code & MASK64


def signed64(value: int) -> int:
    value &= MASK64
    return value - (1 << 64) if value >> 63 else value


def signed32(value: int) -> int:
    """An ``int`` argument: the low 32 bits, signed (the upper half of the register is junk)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


def map_arg(host: Host, handle: int, helper: str) -> Storage:
    """The map a helper's map argument names; anything else is a program bug (a fault)."""
    storage = host.map_of(handle)
    if storage is None:
        raise VMFault(f"{helper}: {handle:#x} is not a map")
    return storage


def read_c_string(vm: Machine, address: int, limit: int = 4096) -> bytes:
    """Bytes of the NUL-terminated string at ``address`` (stops at the region's end)."""
    space = vm.memory
    region = space.region_of(address)
    if region is None:
        raise space.fault(address, 1, "read")
    offset = address & 0xFFFFFFFF
    if not region.lo <= offset < region.hi:
        raise space.fault(address, 1, "read")
    chunk = bytes(region.buf[offset : min(region.hi, offset + limit)])
    return chunk.split(b"\0", 1)[0]


__all__ = ["MASK64", "Error", "Helper", "map_arg", "neg", "read_c_string", "signed32", "signed64"]
