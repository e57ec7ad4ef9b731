"""Python values from BTF-typed bytes and back: map keys/values, ring buffer events, globals.

``codec_for(btf, type_id)`` builds a codec once per type; ``decode`` turns bytes into ints,
IntEnums, floats, lists, ``bytes`` (char arrays) and struct objects with attribute access, and
``encode`` goes back.  A decoded struct remembers its bytes, so encoding it again keeps padding
and any union member nobody changed exactly as they were: ``encode(decode(b)) == b``.  A struct
built from keyword arguments starts from zeros.

Members of anonymous structs/unions are reachable directly on the parent (``v.lo`` for
``struct { union { struct { u32 lo, hi; }; u64 whole; }; }``), as in C.  Bitfields assume the
little-endian layout of BPF targets.
"""

from __future__ import annotations

import enum
import itertools
import keyword
import math
import operator
import struct
import weakref
from collections.abc import Iterable, Mapping

from pybpf._typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from typing import Any, ClassVar

from .errors import CodecError
from .spec import BTF
from .types import Array, Datasec, Enum, Enum64, Float, Int, IntEncoding, Ptr, Struct, Union, Var

MAX_DEPTH = 64
#: Bigger values are refused: no BPF map value or event is this large, and a corrupt ``nelems``
#: would otherwise make decode allocate gigabytes.
MAX_VALUE_SIZE = 64 << 20


class Codec(Protocol):
    """What every codec offers."""

    size: int

    def decode(self, data: bytes) -> Any: ...

    def encode(self, value: Any) -> bytes: ...

    def zero(self) -> Any: ...


def _check_len(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        raise CodecError(f"{what}: need {size} bytes, got {len(data)}")


class IntCodec:
    """Integers of 1..16 bytes; ``bool`` for BTF bools."""

    def __init__(self, size: int, signed: bool, is_bool: bool = False, order: str = "<") -> None:
        self.size = size
        self.signed = signed
        self.is_bool = is_bool
        self.byteorder: Any = "little" if order == "<" else "big"
        self.bits = 8 * size
        self._range = self._bounds(self.bits)

    def from_int(self, raw: int) -> Any:
        return bool(raw) if self.is_bool else raw

    def _bounds(self, bits: int) -> tuple[int, int]:
        """The integers a ``bits``-wide field of this codec holds."""
        if self.is_bool:
            return 0, 1
        if self.signed:
            return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return 0, (1 << bits) - 1

    def to_int(self, value: Any, bits: int | None = None) -> int:
        """``value`` as an integer the field holds.  Only integers (and objects that are
        integers, ``__index__``) count: ``3.7`` or ``"12"`` would otherwise be truncated or parsed
        silently into a kernel map."""
        number = value if type(value) is int else self._number(value)
        low, high = self._range if bits is None else self._bounds(bits)
        if low <= number <= high:
            return number
        if self.is_bool:
            raise CodecError(f"a bool holds True/False (or 0/1), not {value!r}")
        width = self.bits if bits is None else bits
        raise CodecError(f"{number} is out of range for {'s' if low < 0 else 'u'}{width} [{low}, {high}]")

    def _number(self, value: Any) -> int:
        if isinstance(value, int):
            return int(value)
        if isinstance(value, str | bytes | float) or not hasattr(value, "__index__"):
            raise CodecError(f"expected an integer, got {type(value).__name__} {value!r}")
        return operator.index(value)

    def decode(self, data: bytes) -> Any:
        _check_len(data, self.size, "integer")
        return self.from_int(int.from_bytes(data[: self.size], self.byteorder, signed=self.signed))

    def encode(self, value: Any) -> bytes:
        number = self.to_int(value)
        return number.to_bytes(self.size, self.byteorder, signed=self.signed or number < 0)

    def zero(self) -> Any:
        return self.from_int(0)


class EnumCodec(IntCodec):
    """Enums decode to an IntEnum member when the value is known, else to a plain int."""

    def __init__(self, t: Enum | Enum64, order: str) -> None:
        super().__init__(t.size, t.signed, False, order)
        self.type = t
        self.enum_class = _make_enum(t)

    def from_int(self, raw: int) -> Any:
        if self.enum_class is not None:
            try:
                return self.enum_class(raw)
            except ValueError:
                pass
        return raw

    def _number(self, value: Any) -> int:
        if isinstance(value, str):  # an enumerator by name
            for enumerator in self.type.values:
                if enumerator.name == value:
                    return enumerator.value
            known = ", ".join(v.name for v in self.type.values)
            raise CodecError(f"{value!r} is not an enumerator of {self.type.name or 'enum'} ({known})")
        return super()._number(value)

    def _bounds(self, bits: int) -> tuple[int, int]:
        # Compilers before BTF's signed-enum flag leave it clear even for negative enumerators,
        # so an unsigned enum also takes the negative half of the signed range.
        high = (1 << (bits - 1)) - 1 if self.signed else (1 << bits) - 1
        return -(1 << (bits - 1)), high


def _identifier(name: str, fallback: str) -> str:
    text = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name) or fallback
    if text[0].isdigit() or keyword.iskeyword(text):
        text = "_" + text
    return text


def _make_enum(t: Enum | Enum64) -> type[enum.IntEnum] | None:
    names = [v.name for v in t.values]
    if (
        not names
        or len(set(names)) != len(names)
        or not all(n.isidentifier() and not n.startswith("_") for n in names)
    ):
        return None
    try:
        made = enum.IntEnum(_identifier(t.name, "anon_enum"), [(v.name, v.value) for v in t.values])  # type: ignore[misc]
    except (ValueError, TypeError):
        return None
    return made


class RawFloat(float):
    """A float decoded from bytes that Python cannot reproduce (NaN payloads): keeps the bytes."""

    raw: bytes

    def __new__(cls, value: float, raw: bytes) -> RawFloat:
        self = super().__new__(cls, value)
        self.raw = raw
        return self


class FloatCodec:
    def __init__(self, size: int, order: str) -> None:
        if size not in (4, 8):
            raise CodecError(f"no Python codec for {size}-byte floats")
        self.size = size
        self.fmt = struct.Struct(order + ("f" if size == 4 else "d"))

    def decode(self, data: bytes) -> float:
        _check_len(data, self.size, "float")
        raw = bytes(data[: self.size])
        (value,) = self.fmt.unpack(raw)
        return RawFloat(value, raw) if math.isnan(value) else float(value)

    def encode(self, value: Any) -> bytes:
        if isinstance(value, RawFloat) and len(value.raw) == self.size:
            return value.raw
        if isinstance(value, str | bytes | bool):
            raise CodecError(f"expected a number, got {type(value).__name__} {value!r}")
        try:
            return self.fmt.pack(float(value))
        except (TypeError, ValueError, OverflowError, struct.error) as exc:
            raise CodecError(f"cannot encode {value!r} as a {self.size}-byte float") from exc

    def zero(self) -> float:
        return 0.0


class ArrayCodec:
    """Lists of the element's values; a shorter list is padded with zero elements."""

    def __init__(self, elem: Codec, nelems: int) -> None:
        self.elem = elem
        self.nelems = nelems
        self.size = elem.size * nelems

    def decode(self, data: bytes) -> list[Any]:
        _check_len(data, self.size, "array")
        step = self.elem.size
        return [self.elem.decode(data[i * step : (i + 1) * step]) for i in range(self.nelems)]

    def encode(self, value: Any) -> bytes:
        items = list(value)
        if len(items) > self.nelems:
            raise CodecError(f"{len(items)} elements for an array of {self.nelems}")
        parts = [self.elem.encode(v) for v in items]
        parts += [bytes(self.elem.size)] * (self.nelems - len(items))
        return b"".join(parts)

    def zero(self) -> list[Any]:
        return [self.elem.zero() for _ in range(self.nelems)]


class CharArrayCodec:
    """``char[N]`` as ``bytes`` (all N of them); encodes bytes or str, NUL-padded."""

    def __init__(self, nelems: int) -> None:
        self.size = nelems

    def decode(self, data: bytes) -> bytes:
        _check_len(data, self.size, "char array")
        return bytes(data[: self.size])

    def encode(self, value: Any) -> bytes:
        raw = value.encode() if isinstance(value, str) else bytes(value)
        if len(raw) > self.size:
            raise CodecError(f"{len(raw)} bytes do not fit char[{self.size}]")
        return raw.ljust(self.size, b"\0")

    def zero(self) -> bytes:
        return bytes(self.size)


def cstr(value: bytes, encoding: str = "utf-8") -> str:
    """A decoded ``char[N]`` as text: up to the first NUL, undecodable bytes replaced."""
    return value.split(b"\0", 1)[0].decode(encoding, errors="replace")


class _Field:
    """One direct member of a struct/union codec."""

    __slots__ = ("bit_offset", "bits", "codec", "name")

    def __init__(self, name: str, codec: Codec, bit_offset: int, bits: int) -> None:
        self.name = name
        self.codec = codec
        self.bit_offset = bit_offset
        self.bits = bits  # 0: not a bitfield


class StructValue:
    """Base class of the generated struct/union value classes.

    Build one with keyword arguments or a mapping (missing members are zero); compare with
    ``==``; ``asdict()`` gives plain nested dicts and lists.
    """

    __slots__ = ("_raw", "_values")
    _codec: ClassVar[StructCodec]

    def __init__(self, mapping: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        codec = self._codec
        object.__setattr__(self, "_raw", None)
        object.__setattr__(self, "_values", {f.name: f.codec.zero() for f in codec.fields})
        given = dict(mapping or {}, **kwargs)
        for name, value in given.items():
            setattr(self, name, value)

    def _locate(self, name: str) -> tuple[StructValue, str]:
        values = self._values
        if name in values:
            return self, name
        path = self._codec.promoted.get(name)
        if path is None:
            raise AttributeError(f"{type(self).__name__} has no member {name!r}")
        holder: StructValue = self
        for step in path:
            holder = holder._values[step]
        return holder, name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_raw", "_values"):
            raise AttributeError(name)
        holder, key = self._locate(name)
        return holder._values[key]

    def __setattr__(self, name: str, value: Any) -> None:
        holder, key = self._locate(name)
        current = holder._values[key]
        if isinstance(current, StructValue) and isinstance(value, Mapping):
            value = type(current)(value)
        holder._values[key] = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StructValue) or other._codec is not self._codec:
            return NotImplemented
        return self._values == other._values

    __hash__ = None  # type: ignore[assignment]

    def asdict(self) -> dict[str, Any]:
        """Members (anonymous ones flattened) as plain values: nested structs become dicts."""
        out: dict[str, Any] = {}
        for f in self._codec.fields:
            value = self._values[f.name]
            if f.name.startswith("(anon"):
                out.update(value.asdict())
            else:
                out[f.name] = _plain(value)
        return out

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.asdict().items())
        return f"{type(self).__name__}({inner})"

    def __dir__(self) -> Iterable[str]:
        return [*super().__dir__(), *self.asdict()]


def _plain(value: Any) -> Any:
    if isinstance(value, StructValue):
        return value.asdict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class StructCodec:
    """Structs and unions: values are instances of a class generated per type (``value_class``)."""

    def __init__(self, t: Struct | Union | Datasec, size: int) -> None:
        self.type = t
        self.size = size
        self.is_union = isinstance(t, Union)
        self.fields: list[_Field] = []
        self.promoted: dict[str, tuple[str, ...]] = {}
        name = _identifier(t.name, "anon_union" if self.is_union else "anon_struct")
        self.value_class: type[StructValue] = type(name, (StructValue,), {"__slots__": (), "_codec": self})

    def _finish(self) -> None:
        """Index the members reachable through anonymous members."""
        for f in self.fields:
            if f.name.startswith("(anon") and isinstance(f.codec, StructCodec):
                for inner_name, inner_path in f.codec.promoted.items():
                    self.promoted.setdefault(inner_name, (f.name, *inner_path))
                for inner in f.codec.fields:
                    if not inner.name.startswith("(anon"):
                        self.promoted.setdefault(inner.name, (f.name,))

    def _read(self, f: _Field, data: bytes) -> Any:
        if not f.bits:
            start = f.bit_offset // 8
            return f.codec.decode(data[start : start + f.codec.size])
        lo = f.bit_offset // 8
        hi = (f.bit_offset + f.bits + 7) // 8
        chunk = int.from_bytes(data[lo:hi], "little") >> (f.bit_offset % 8)
        raw = chunk & ((1 << f.bits) - 1)
        scalar = f.codec
        assert isinstance(scalar, IntCodec)
        if scalar.signed and raw >> (f.bits - 1):
            raw -= 1 << f.bits
        return scalar.from_int(raw)

    def _write(self, f: _Field, buf: bytearray, value: Any) -> None:
        if not f.bits:
            start = f.bit_offset // 8
            buf[start : start + f.codec.size] = f.codec.encode(value)
            return
        scalar = f.codec
        assert isinstance(scalar, IntCodec)
        raw = scalar.to_int(value, f.bits) & ((1 << f.bits) - 1)
        lo = f.bit_offset // 8
        hi = (f.bit_offset + f.bits + 7) // 8
        shift = f.bit_offset % 8
        mask = ((1 << f.bits) - 1) << shift
        chunk = int.from_bytes(buf[lo:hi], "little")
        chunk = (chunk & ~mask) | (raw << shift)
        buf[lo:hi] = chunk.to_bytes(hi - lo, "little")

    def decode(self, data: bytes) -> StructValue:
        _check_len(data, self.size, "struct" if not self.is_union else "union")
        raw = bytes(data[: self.size])
        value = object.__new__(self.value_class)
        object.__setattr__(value, "_raw", raw)
        object.__setattr__(value, "_values", {f.name: self._read(f, raw) for f in self.fields})
        return value

    def encode(self, value: Any) -> bytes:
        if isinstance(value, Mapping):
            value = self.value_class(value)
        if not isinstance(value, StructValue) or value._codec is not self:
            raise CodecError(
                f"expected a {self.value_class.__name__} or a mapping, got {type(value).__name__}"
            )
        raw = value._raw
        buf = bytearray(raw if raw is not None else bytes(self.size))
        if self.is_union and raw is not None:
            # Members overlap: rewrite only those whose value no longer matches the bytes.
            changed = [f for f in self.fields if self._read(f, raw) != value._values[f.name]]
            for f in changed:
                self._write(f, buf, value._values[f.name])
        elif self.is_union:
            for f in self.fields:
                if value._values[f.name] != f.codec.zero() or f is self.fields[0]:
                    self._write(f, buf, value._values[f.name])
        else:
            for f in self.fields:
                self._write(f, buf, value._values[f.name])
        return bytes(buf)

    def zero(self) -> StructValue:
        return self.value_class()


class _Builder:
    def __init__(self, btf: BTF) -> None:
        self.btf = btf
        self.order = btf.header.order
        self.cache: dict[int, Codec] = {}
        self.building: set[int] = set()

    def codec(self, type_id: int, depth: int = 0) -> Codec:
        if depth > MAX_DEPTH:
            raise CodecError(f"type id {type_id}: nested too deeply")
        found = self.cache.get(type_id)
        if found is not None:
            return found
        if type_id in self.building:
            raise CodecError(f"type id {type_id}: contains itself by value")
        self.building.add(type_id)
        try:
            made = self._make(type_id, depth)
        finally:
            self.building.discard(type_id)
        if made.size > MAX_VALUE_SIZE:
            raise CodecError(f"type id {type_id}: {made.size} bytes is too large for a value codec")
        self.cache[type_id] = made
        return made

    def _make(self, type_id: int, depth: int) -> Codec:
        btf = self.btf
        t = btf.resolve(type_id)
        if isinstance(t, Var):
            return self.codec(t.type_id, depth + 1)
        if isinstance(t, Int):
            if t.size > 16 or t.size == 0:
                raise CodecError(f"type id {type_id}: {t.size}-byte integer")
            return IntCodec(t.size, t.signed, bool(t.encoding & IntEncoding.BOOL), self.order)
        if isinstance(t, Enum | Enum64):
            if t.size not in (1, 2, 4, 8):
                raise CodecError(f"type id {type_id}: {t.size}-byte enum")
            return EnumCodec(t, self.order)
        if isinstance(t, Ptr):
            return IntCodec(8, False, False, self.order)
        if isinstance(t, Float):
            return FloatCodec(t.size, self.order)
        if isinstance(t, Array):
            elem = btf.resolve(t.elem_type_id)
            if (
                isinstance(elem, Int)
                and elem.size == 1
                and (elem.encoding & IntEncoding.CHAR or "char" in elem.name)
            ):
                return CharArrayCodec(t.nelems)
            return ArrayCodec(self.codec(t.elem_type_id, depth + 1), t.nelems)
        if isinstance(t, Struct | Union):
            return self._struct(t, depth)
        if isinstance(t, Datasec):
            return self._datasec(t, depth)
        raise CodecError(f"type id {type_id}: no value codec for {t.kind.name} {btf.type_name(type_id)!r}")

    def _struct(self, t: Struct | Union, depth: int) -> StructCodec:
        codec = StructCodec(t, t.size)
        anon = 0
        for m in t.members:
            member_codec = self.codec(m.type_id, depth + 1)
            bit_offset, bits = m.bit_offset, m.bitfield_size
            target = self.btf.resolve(m.type_id)
            if not bits and isinstance(target, Int) and (target.bits != 8 * target.size or target.bit_offset):
                bit_offset, bits = bit_offset + target.bit_offset, target.bits  # old-style int bitfield
            if bits and not isinstance(member_codec, IntCodec):
                raise CodecError(f"type id {t.id}: bitfield {m.name!r} of a non-integer type")
            if not bits and bit_offset % 8:
                raise CodecError(f"type id {t.id}: member {m.name!r} is not byte-aligned")
            end = (bit_offset + (bits or 8 * member_codec.size) + 7) // 8
            if end > t.size:
                raise CodecError(f"type id {t.id}: member {m.name!r} extends past the end of the type")
            name = m.name
            if not name:
                name = f"(anon{anon})"
                anon += 1
            _check_unique(t, codec, name)
            codec.fields.append(_Field(name, member_codec, bit_offset, bits))
        codec._finish()
        return codec

    def _datasec(self, t: Datasec, depth: int) -> StructCodec:
        """A data section (``.rodata``, ``.bss``) decodes like a struct of its variables."""
        size = t.size or max((v.offset + v.size for v in t.vars), default=0)
        codec = StructCodec(t, size)
        spans = sorted((v.offset, v.offset + v.size) for v in t.vars)
        if any(end > nxt for (_, end), (nxt, _) in itertools.pairwise(spans)):
            raise CodecError(
                f"type id {t.id}: variables of {t.name!r} overlap (offsets not assigned yet, as in an unlinked object?)"
            )
        for v in t.vars:
            var = self.btf[v.type_id]
            member_codec = self.codec(v.type_id, depth + 1)
            name = var.name or f"(anon{v.offset})"
            _check_unique(t, codec, name)
            codec.fields.append(_Field(name, member_codec, 8 * v.offset, 0))
        codec._finish()
        return codec


def _check_unique(t: Struct | Union | Datasec, codec: StructCodec, name: str) -> None:
    """Values are kept by member name, so two members of one name (only in broken BTF) cannot round-trip."""
    if any(f.name == name for f in codec.fields):
        raise CodecError(f"type id {t.id}: two members named {name!r}")


_BUILDERS: weakref.WeakKeyDictionary[BTF, _Builder] = weakref.WeakKeyDictionary()


def codec_for(btf: BTF, type_id: int) -> Codec:
    """The codec of ``type_id`` (typedefs and qualifiers looked through); cached per BTF.

    Raises :class:`CodecError` for types that have no value (void, functions, forward
    declarations) and :class:`~pybpf.errors.BTFError` for broken BTF.
    """
    builder = _BUILDERS.get(btf)
    if builder is None:
        builder = _BUILDERS[btf] = _Builder(btf)
    return builder.codec(type_id)


__all__ = [
    "ArrayCodec",
    "CharArrayCodec",
    "Codec",
    "CodecError",
    "EnumCodec",
    "FloatCodec",
    "IntCodec",
    "RawFloat",
    "StructCodec",
    "StructValue",
    "codec_for",
    "cstr",
]
