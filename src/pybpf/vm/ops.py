"""Kernel semantics of the arithmetic corners, as plain functions on unsigned register values.

The generated code inlines the common operations (add, shifts, compares) but calls these for the
rare, subtle ones: signed division and modulo (C truncation, INT_MIN / -1, division by zero),
byte swaps and sign extension.  Registers are always held as unsigned 64-bit Python ints, so
every function here takes and returns values in ``0 .. 2**64-1`` (or ``2**32-1`` for the 32-bit
forms, already zero-extended).
"""

from __future__ import annotations

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def signed(value: int, bits: int) -> int:
    """The two's complement reading of the low ``bits`` bits of ``value``."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def sign_extend(value: int, bits: int, to_bits: int = 64) -> int:
    """Sign-extend the low ``bits`` bits to ``to_bits`` bits (unsigned result)."""
    return signed(value, bits) & ((1 << to_bits) - 1)


def _trunc_div(a: int, b: int) -> int:
    """C division (rounds toward zero); Python's ``//`` rounds toward minus infinity."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _trunc_mod(a: int, b: int) -> int:
    """C remainder: takes the sign of the dividend."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def sdiv64(dst: int, src: int) -> int:
    """Signed 64-bit division; by zero gives 0, INT_MIN / -1 wraps to INT_MIN (kernel)."""
    if not src & M64:
        return 0
    return _trunc_div(signed(dst, 64), signed(src, 64)) & M64


def smod64(dst: int, src: int) -> int:
    """Signed 64-bit modulo; by zero leaves dst unchanged, INT_MIN % -1 is 0 (kernel)."""
    if not src & M64:
        return dst & M64
    return _trunc_mod(signed(dst, 64), signed(src, 64)) & M64


def sdiv32(dst: int, src: int) -> int:
    """Signed 32-bit division, zero-extended into 64 bits; by zero gives 0."""
    if not src & M32:
        return 0
    return _trunc_div(signed(dst, 32), signed(src, 32)) & M32


def smod32(dst: int, src: int) -> int:
    """Signed 32-bit modulo, zero-extended; by zero leaves the low half of dst (zero-extended)."""
    if not src & M32:
        return dst & M32
    return _trunc_mod(signed(dst, 32), signed(src, 32)) & M32


def bswap16(value: int) -> int:
    return ((value & 0xFF) << 8) | ((value >> 8) & 0xFF)


def bswap32(value: int) -> int:
    return int.from_bytes((value & M32).to_bytes(4, "little"), "big")


def bswap64(value: int) -> int:
    return int.from_bytes((value & M64).to_bytes(8, "little"), "big")


__all__ = [
    "M32",
    "M64",
    "bswap16",
    "bswap32",
    "bswap64",
    "sdiv32",
    "sdiv64",
    "sign_extend",
    "signed",
    "smod32",
    "smod64",
]
