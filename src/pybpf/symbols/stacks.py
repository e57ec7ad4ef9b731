"""Stack traces: decoding ``BPF_MAP_TYPE_STACK_TRACE`` values and printing symbolized stacks.

A stack map value is an array of u64 instruction pointers, innermost first, padded with zeros to
the map's depth.  Kernel addresses live in the upper half of the address space on the 64-bit
architectures we run on, which is how one mixed list is split between kallsyms and the process.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

from pybpf.errors import ParseError

from .kallsyms import KernelFrame, KernelSymbols, kernel_symbols
from .usersyms import UserFrame, UserSymbols

KERNEL_START = 1 << 63

Frame = KernelFrame | UserFrame


def stack_addresses(raw: bytes) -> list[int]:
    """The addresses of one stack map value, up to the first zero."""
    if len(raw) % 8:
        raise ParseError(f"stack trace value of {len(raw)} bytes is not a whole number of u64")
    addresses = []
    for (ip,) in struct.iter_unpack("=Q", raw):
        if ip == 0:
            break
        addresses.append(ip)
    return addresses


def read_stack(stack_map: Any, stack_id: int) -> list[int]:
    """The addresses stored under ``stack_id`` in a stack trace map (a loaded ``Map``, or
    anything with ``fd`` and ``value_size``); a negative id (a failed ``bpf_get_stackid``)
    or a missing entry reads as an empty stack."""
    if stack_id < 0:
        return []
    from pybpf.kernel.errors import KeyNotFound
    from pybpf.kernel.maps import map_lookup

    try:
        raw = map_lookup(stack_map.fd, struct.pack("=I", stack_id), int(stack_map.value_size))
    except KeyNotFound:
        return []
    return stack_addresses(raw)


def is_kernel_address(address: int) -> bool:
    return address >= KERNEL_START


def symbolize(
    addresses: Iterable[int],
    pid: int | str | None = None,
    *,
    kernel: KernelSymbols | None = None,
    user: UserSymbols | None = None,
) -> list[Frame | None]:
    """One frame per address (``None`` where nothing is known: no pid, or unmapped)."""
    frames: list[Frame | None] = []
    for address in addresses:
        if is_kernel_address(address):
            frames.append((kernel or kernel_symbols()).lookup(address))
            continue
        if user is None and pid is not None:
            user = UserSymbols(pid)
        frames.append(user.lookup(address) if user is not None else None)
    return frames


def format_stack(
    addresses: Sequence[int],
    pid: int | str | None = None,
    *,
    kernel: KernelSymbols | None = None,
    user: UserSymbols | None = None,
    show_address: bool = True,
    indent: str = "    ",
) -> str:
    """A stack as text, one frame a line, innermost first, like bcc's ``stack_traces`` output:
    ``    ffffffff81234567 do_syscall_64+0x5d`` or ``    7f12... getpid+0xb [libc.so.6]``."""
    lines = []
    for address, frame in zip(addresses, symbolize(addresses, pid, kernel=kernel, user=user), strict=True):
        text = str(frame) if frame is not None else "[unknown]"
        lines.append(f"{indent}{address:016x} {text}" if show_address else f"{indent}{text}")
    return "\n".join(lines)


__all__ = [
    "KERNEL_START",
    "Frame",
    "format_stack",
    "is_kernel_address",
    "read_stack",
    "stack_addresses",
    "symbolize",
]
