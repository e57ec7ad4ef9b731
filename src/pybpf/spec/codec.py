"""Encode Python values into the bytes of a BTF-typed global variable, and back.

Only what ``const volatile`` configuration knobs use in practice: integers (range-checked against
the C type, so a typo never silently wraps), bools, enums (by value or by enumerator name), floats,
char arrays (from ``str`` or ``bytes``) and raw ``bytes`` of exactly the variable's size for
anything else.  Encoding is the BTF codecs' (:mod:`pybpf.btf.codec`), with errors naming the
variable; decoding gives plain values (``str`` for char arrays, ``int`` for enums).
"""

from __future__ import annotations

import struct

from pybpf._typing import TYPE_CHECKING

from ..btf.errors import CodecError
from ..btf.types import Array, Enum, Enum64, Float, Int, IntEncoding
from ..errors import Error

if TYPE_CHECKING:
    from ..btf import BTF

Value = int | bool | float | str | bytes


class GlobalValueError(Error, ValueError):
    """A value that the variable's C type cannot hold (also a ``ValueError`` for callers' sake)."""


def encode_value(btf: BTF, type_id: int, value: object, size: int, *, name: str) -> bytes:
    """The ``size`` bytes a variable of BTF type ``type_id`` holds for ``value``.

    Scalars and char arrays follow the BTF codecs' rules (the same as for map keys and
    values); anything else, or any type given raw ``bytes``, must be exactly ``size`` bytes.
    """
    from ..btf.codec import CharArrayCodec, codec_for  # only when a value is set from Python

    t = btf.resolve(type_id)
    raw_bytes = isinstance(value, bytes | bytearray | memoryview)
    try:
        if isinstance(t, Array) and _is_char(btf, t.elem_type_id):
            if not raw_bytes and not isinstance(value, str):
                raise GlobalValueError(f"{name}: char array expects str or bytes, got {type(value).__name__}")
            return CharArrayCodec(size).encode(value)
        if not raw_bytes and isinstance(t, Int | Enum | Enum64 | Float) and t.size == size:
            return codec_for(btf, type_id).encode(value)
    except CodecError as exc:
        raise GlobalValueError(f"{name}: {exc}") from None
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


def _is_char(btf: BTF, type_id: int) -> bool:
    elem = btf.resolve(type_id)
    return isinstance(elem, Int) and elem.size == 1


__all__ = ["GlobalValueError", "Value", "decode_value", "encode_value"]
