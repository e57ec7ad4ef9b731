"""Keys and values of a live map as Python objects, through the object's BTF when it has one.

Without BTF (or when the BTF type's size disagrees with the map's), a key or value is its raw
``bytes``; integers are still accepted on input for 1/2/4/8-byte keys and values, since that is
what nearly every map without BTF uses.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..btf.codec import Codec

from ..btf import BTF
from ..btf.types import Kind
from ..errors import Error


class MapValueError(Error, ValueError):
    """A Python value that cannot be encoded as this map's key or value."""


class RawCodec:
    """Bytes of a fixed size; ints accepted on input (little-endian, unsigned unless negative)."""

    def __init__(self, size: int, what: str) -> None:
        self.size = size
        self.what = what

    def decode(self, data: bytes) -> Any:
        return bytes(data[: self.size])

    def encode(self, value: Any) -> bytes:
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            if len(raw) != self.size:
                raise MapValueError(f"{self.what} of {len(raw)} bytes where the map's size is {self.size}")
            return raw
        if isinstance(value, int) and self.size in (1, 2, 4, 8):
            try:
                return value.to_bytes(self.size, "little", signed=value < 0)
            except OverflowError:
                raise MapValueError(f"{value} does not fit a {self.size}-byte {self.what}") from None
        raise MapValueError(f"{self.what} must be {self.size} bytes, got {type(value).__name__}")

    def zero(self) -> Any:
        return bytes(self.size)


class BytesAccepting:
    """A BTF codec that also takes the raw bytes of the right size (handy for copies)."""

    def __init__(self, inner: Codec, what: str) -> None:
        self.inner = inner
        self.size = inner.size
        self.what = what

    def decode(self, data: bytes) -> Any:
        return self.inner.decode(data)

    def encode(self, value: Any) -> bytes:
        if isinstance(value, bytes | bytearray | memoryview) and not _wants_bytes(self.inner):
            raw = bytes(value)
            if len(raw) != self.size:
                raise MapValueError(f"{self.what} of {len(raw)} bytes where the map's size is {self.size}")
            return raw
        return self.inner.encode(value)

    def zero(self) -> Any:
        return self.inner.zero()


def _wants_bytes(codec: Codec) -> bool:
    from ..btf.codec import CharArrayCodec

    return isinstance(codec, CharArrayCodec)


AnyCodec = RawCodec | BytesAccepting


def codec_of(btf: BTF | None, type_id: int, size: int, what: str) -> AnyCodec:
    """The codec for a map key or value: BTF-typed when possible, raw otherwise."""
    from ..btf.codec import codec_for  # maps build their codecs on first use, not at load

    if btf is not None and type_id:
        try:
            codec = codec_for(btf, type_id)
        except Error:
            codec = None
        if codec is not None and codec.size == size:
            return BytesAccepting(codec, what)
    return RawCodec(size, what)


def int_layout(codec: AnyCodec) -> tuple[int, bool] | None:
    """(size, signed) when values are plain little-endian integers: enables bulk decoding."""
    from ..btf.codec import IntCodec

    if isinstance(codec, BytesAccepting):
        inner = codec.inner
        if type(inner) is IntCodec and not inner.is_bool and inner.byteorder == "little":
            return inner.size, inner.signed
    return None


def lpm_key(value: Any, key_size: int) -> bytes | None:
    """An LPM trie key from ``(prefixlen, address)``, an ``ip_network`` or ``"10.0.0.0/8"``."""
    import ipaddress  # only LPM users pay for it

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    if isinstance(value, str):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return None
    elif isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        network = value
    if network is not None:
        return _lpm(network.prefixlen, network.network_address.packed, key_size)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int):
        prefix, data = value
        try:
            if isinstance(data, str):
                data = ipaddress.ip_address(data).packed
            if isinstance(data, ipaddress.IPv4Address | ipaddress.IPv6Address):
                data = data.packed
            if isinstance(data, int):
                data = data.to_bytes(key_size - 4, "big")
        except (ValueError, OverflowError) as exc:
            raise MapValueError(f"LPM key address {data!r}: {exc}") from None
        if isinstance(data, bytes | bytearray):
            return _lpm(prefix, bytes(data), key_size)
    return None


def _lpm(prefixlen: int, data: bytes, key_size: int) -> bytes:
    room = key_size - 4
    if len(data) > room:
        raise MapValueError(f"LPM key data of {len(data)} bytes exceeds the map's {room}")
    if not 0 <= prefixlen <= 8 * room:
        raise MapValueError(f"prefix length {prefixlen} outside 0..{8 * room}")
    return prefixlen.to_bytes(4, "little") + data.ljust(room, b"\0")


def find_record_type(btf: BTF, name: str) -> int | None:
    """The struct or union (or a typedef of one) called ``name``: ``"struct event"`` or ``"event"``."""
    words = name.split()
    bare = words[-1] if words else name
    try:
        ids = btf.find_ids(bare)
    except (Error, ValueError):
        return None
    for type_id in ids:
        try:
            resolved = btf.resolve(type_id)
        except (Error, ValueError, KeyError, IndexError):
            continue
        if resolved.kind in (Kind.STRUCT, Kind.UNION):
            return resolved.id
    return None


def record_decoder(btf: BTF | None, name: str, what: str) -> Callable[[bytes], Any]:
    """Decode ring or perf buffer records of ``what`` (a map) as the BTF struct ``name``.

    Records longer than the struct (perf samples carry up to 7 bytes of padding) decode their
    first bytes; a shorter one is an error naming both sizes.
    """
    type_id = find_record_type(btf, name) if btf is not None else None
    if btf is None or type_id is None:
        raise MapValueError(
            f"{what}: no struct {name!r} in the object's BTF to decode records with (clang leaves out "
            "types only used by local variables: declare an unused global such as "
            f"`{name} *record_type __attribute__((unused));`, or let `pybpf run` read the DWARF)"
        )
    from ..btf.codec import codec_for

    codec = codec_for(btf, type_id)
    size = codec.size

    def decode(record: bytes) -> Any:
        if len(record) < size:
            raise MapValueError(f"{what}: a {len(record)}-byte record is shorter than {name} ({size} bytes)")
        return codec.decode(bytes(record[:size]))

    return decode


__all__ = [
    "AnyCodec",
    "BytesAccepting",
    "MapValueError",
    "RawCodec",
    "codec_of",
    "find_record_type",
    "int_layout",
    "lpm_key",
    "record_decoder",
]
