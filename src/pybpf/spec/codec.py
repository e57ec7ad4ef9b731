"""Encode Python values into the bytes of a BTF-typed global variable, and back.

Only what ``const volatile`` configuration knobs use in practice: integers (range-checked against
the C type, so a typo never silently wraps), bools, enums (by value or by enumerator name), floats,
char arrays (from ``str`` or ``bytes``) and raw ``bytes`` of exactly the variable's size for
anything else.
"""

from __future__ import annotations

import struct

from pybpf._typing import TYPE_CHECKING

from ..btf.types import Array, Enum, Enum64, Float, Int, IntEncoding
from ..errors import Error

if TYPE_CHECKING:
    from ..btf import BTF

Value = int | bool | float | str | bytes


class GlobalValueError(Error, ValueError):
    """A value that the variable's C type cannot hold (also a ``ValueError`` for callers' sake)."""


def encode_value(btf: BTF, type_id: int, value: object, size: int, *, name: str) -> bytes:
    """The ``size`` bytes a variable of BTF type ``type_id`` holds for ``value``."""
    t = btf.resolve(type_id)
    if isinstance(value, bytes | bytearray | memoryview) and not isinstance(t, Array):
        raw = bytes(value)
        if len(raw) != size:
            raise GlobalValueError(f"{name}: needs exactly {size} bytes, got {len(raw)}")
        return raw
    if isinstance(t, Int):
        return _encode_int(t.size, bool(t.encoding & IntEncoding.SIGNED), t.encoding, value, name)
    if isinstance(t, Enum | Enum64):
        if isinstance(value, str):
            for enumerator in t.values:
                if enumerator.name == value:
                    value = enumerator.value
                    break
            else:
                known = ", ".join(v.name for v in t.values)
                raise GlobalValueError(f"{name}: {value!r} is not an enumerator of {t.name or 'enum'} ({known})")
        return _encode_int(t.size, t.signed or _negative(value), IntEncoding.NONE, value, name)
    if isinstance(t, Float):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise GlobalValueError(f"{name}: expects a number, got {type(value).__name__}")
        fmt = {4: "<f", 8: "<d"}.get(t.size)
        if fmt is None:
            raise GlobalValueError(f"{name}: {t.size}-byte floats are not supported")
        return struct.pack(fmt, value)
    if isinstance(t, Array) and _is_char(btf, t.elem_type_id):
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, bytes | bytearray | memoryview):
            raise GlobalValueError(f"{name}: char array expects str or bytes, got {type(value).__name__}")
        raw = bytes(value)
        if len(raw) > size:
            raise GlobalValueError(f"{name}: {len(raw)} bytes do not fit in char[{size}]")
        return raw.ljust(size, b"\0")
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if len(raw) != size:
            raise GlobalValueError(f"{name}: needs exactly {size} bytes, got {len(raw)}")
        return raw
    raise GlobalValueError(f"{name}: set {t.kind.name.lower()} variables from bytes of length {size}")


def decode_value(btf: BTF, type_id: int, data: bytes, *, name: str) -> Value:
    """The Python value of a variable's bytes (the inverse of :func:`encode_value`)."""
    t = btf.resolve(type_id)
    if isinstance(t, Int) and t.size <= 16 and len(data) == t.size:
        number = int.from_bytes(data, "little", signed=bool(t.encoding & IntEncoding.SIGNED))
        return bool(number) if t.encoding & IntEncoding.BOOL else number
    if isinstance(t, Enum | Enum64) and len(data) == t.size:
        return int.from_bytes(data, "little", signed=t.signed)
    if isinstance(t, Float) and len(data) in (4, 8):
        return float(struct.unpack("<f" if len(data) == 4 else "<d", data)[0])
    if isinstance(t, Array) and _is_char(btf, t.elem_type_id):
        return data.split(b"\0", 1)[0].decode(errors="replace")
    return bytes(data)


def _negative(value: object) -> bool:
    return isinstance(value, int) and value < 0


def _is_char(btf: BTF, type_id: int) -> bool:
    elem = btf.resolve(type_id)
    return isinstance(elem, Int) and elem.size == 1


def _encode_int(size: int, signed: bool, encoding: IntEncoding, value: object, name: str) -> bytes:
    if encoding & IntEncoding.BOOL:
        if not isinstance(value, bool | int) or value not in (0, 1):
            raise GlobalValueError(f"{name}: bool expects True/False, got {value!r}")
        return int(value).to_bytes(size, "little")
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        raise GlobalValueError(f"{name}: expects an integer, got {type(value).__name__}")
    bits = 8 * size
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not low <= value <= high:
        kind = f"{'s' if signed else 'u'}{bits}"
        raise GlobalValueError(f"{name}: {value} is out of range for {kind} [{low}, {high}]")
    return value.to_bytes(size, "little", signed=signed)


__all__ = ["GlobalValueError", "Value", "decode_value", "encode_value"]
