"""Small helpers to hand Python bytes to the kernel by address.

The kernel reads and writes user memory through u64 addresses in the attr; a ctypes buffer keeps
that memory alive for the duration of the call and gives a stable address.
"""

from __future__ import annotations

import ctypes

from pybpf._typing import TYPE_CHECKING

from .fd import FD, fd_number

if TYPE_CHECKING:
    from collections.abc import Sequence

CharBuffer = ctypes.Array[ctypes.c_char]


def in_buffer(data: bytes | bytearray | memoryview) -> tuple[CharBuffer, int]:
    """A copy of ``data`` the kernel may read, and its address."""
    raw = bytes(data)
    buf = ctypes.create_string_buffer(raw, len(raw) or 1)
    return buf, ctypes.addressof(buf)


def out_buffer(size: int) -> tuple[CharBuffer, int]:
    """A zeroed buffer of ``size`` bytes for the kernel to fill, and its address."""
    buf = ctypes.create_string_buffer(max(size, 1))
    return buf, ctypes.addressof(buf)


def address(buf: ctypes.Array[ctypes.c_char] | ctypes.Array[ctypes.c_uint32] | None) -> int:
    """The address of ``buf`` as an attr field, 0 for ``None``."""
    return 0 if buf is None else ctypes.addressof(buf)


def c_string(text: str | bytes) -> CharBuffer:
    """A NUL-terminated copy of ``text``."""
    raw = text.encode() if isinstance(text, str) else text
    return ctypes.create_string_buffer(raw)


def fd_array(fds: Sequence[FD | int]) -> ctypes.Array[ctypes.c_int32]:
    """A C ``int[]`` of raw fd numbers (``fd_array`` of BPF_PROG_LOAD)."""
    array = (ctypes.c_int32 * max(len(fds), 1))()
    for index, fd in enumerate(fds):
        array[index] = fd_number(fd)
    return array


def obj_name(name: str) -> bytes:
    """An object name as the kernel stores it: at most 15 bytes plus the NUL."""
    return name.encode("ascii", errors="replace")[:15]


def join_items(items: bytes | Sequence[bytes], size: int, what: str) -> tuple[bytes, int]:
    """Concatenate fixed-size keys or values for a batch call; returns (bytes, count)."""
    if isinstance(items, (bytes, bytearray, memoryview)):
        raw = bytes(items)
    else:
        for item in items:
            if len(item) != size:
                raise ValueError(f"{what} of {len(item)} bytes where the map's size is {size}")
        raw = b"".join(items)
    if size <= 0 or len(raw) % size:
        raise ValueError(f"{what} buffer of {len(raw)} bytes is not a multiple of {size}")
    return raw, len(raw) // size
