"""What both runtimes' ``Object``, ``Program`` and ``Map`` have in common.

The kernel runtime and the VM expose one API so that user code runs on either.  The parts that do
not depend on where the bytes live (attributes, the BTF codec and mapping layer, per-CPU
encoding, closing) are written once here; each runtime supplies a handful of raw operations on
key and value bytes.  Nothing here imports the kernel package, so the VM can use it freely.
"""

from __future__ import annotations

from abc import abstractmethod

from pybpf._lazy import cached_property
from pybpf._typing import TYPE_CHECKING, Generic, MutableMapping, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

from .._closing import Closing
from ..enums import AttachType, MapFlags, MapType, ProgramType
from ..errors import Error

if TYPE_CHECKING:
    from ..btf import BTF
    from ..events.reader import Decoder
    from ..kernel import FD
    from ..spec import ObjectSpec
    from .values import AnyCodec

#: Map types whose lookups hold one slot per possible CPU.
PERCPU_TYPES = frozenset(
    {MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE}
)
#: Map types with a fixed key space ``0..max_entries-1`` (their length is ``max_entries``).
ARRAY_TYPES = frozenset(
    {
        MapType.ARRAY,
        MapType.PERCPU_ARRAY,
        MapType.PROG_ARRAY,
        MapType.ARRAY_OF_MAPS,
        MapType.PERF_EVENT_ARRAY,
        MapType.CGROUP_ARRAY,
    }
)
#: Map types without keys: values go in and out by push/pop (or are only tested, for blooms).
KEYLESS_TYPES = frozenset({MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER})


class PerCPU(list["Any"]):
    """One value per possible CPU, as a per-CPU map returns them; ``sum()`` adds them up."""

    def sum(self) -> Any:
        total: Any = 0
        for value in self:
            total = total + value
        return total


def percpu_stride(value_size: int) -> int:
    """The kernel copies per-CPU values in 8-byte-aligned slots, whatever the value's size."""
    return (value_size + 7) & ~7


def encode_percpu(codec: AnyCodec, value: Any, value_size: int, ncpus: int, map_name: str) -> bytes:
    """The bytes of a per-CPU update: a list gives each CPU its own value, anything else all of them."""
    if isinstance(value, list | tuple):
        if len(value) != ncpus:
            from .values import MapValueError

            raise MapValueError(f"{map_name}: {len(value)} per-CPU values for {ncpus} CPUs")
        parts = [codec.encode(v) for v in value]
    else:
        parts = [codec.encode(value)] * ncpus
    pad = bytes(percpu_stride(value_size) - value_size)
    return b"".join(p + pad for p in parts)


def decode_percpu(codec: AnyCodec, raw: bytes, value_size: int, ncpus: int) -> PerCPU:
    """Split a per-CPU lookup into its slots and decode each."""
    step = percpu_stride(value_size)
    return PerCPU(codec.decode(raw[i : i + value_size]) for i in range(0, step * ncpus, step))


class ProgramBase(Closing):
    """A loaded program's identity: what ``SEC()`` and the spec said about it."""

    #: How ``repr`` names the class (the VM says ``VM Program``).
    _label = "Program"

    def __init__(
        self,
        fd: FD | None,
        name: str,
        type: ProgramType,
        *,
        section: str = "",
        expected_attach_type: AttachType | None = None,
        attach_target: str = "",
    ) -> None:
        self.fd = fd
        self.name = name
        self.type = type
        self.section = section
        self.expected_attach_type = expected_attach_type
        self.attach_target = attach_target

    def __repr__(self) -> str:
        return f"<{self._label} {self.name!r} {self.type.name.lower()} section {self.section!r}>"


class MapBase(Closing, MutableMapping["Any", "Any"]):
    """A map as a Python mapping: keys and values through BTF codecs, over raw byte operations.

    A runtime implements ``get_raw``, ``_raw_update``, ``_raw_delete``, ``_raw_keys``,
    ``_lookup_or_none`` and the queue/stack ``_raw_push``/``_raw_pop``/``_raw_peek``; it may override
    ``raw_items``, ``items``, ``lookup_batch`` and ``_count`` with faster paths.
    """

    _label = "Map"

    def __init__(
        self,
        fd: FD | None,
        name: str,
        type: MapType | int,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int,
        *,
        btf: BTF | None,
        key_type_id: int,
        value_type_id: int,
        percpu: bool,
        ncpus: int,
    ) -> None:
        self.fd = fd
        self.name = name
        self.type = type
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = MapFlags(flags)
        self.btf = btf
        self._key_type_id = key_type_id
        self._value_type_id = value_type_id
        self.percpu = percpu
        self._stride = percpu_stride(value_size)
        self._ncpus = ncpus if percpu else 1

    # ---------------------------------------------------------------- raw operations
    @abstractmethod
    def get_raw(self, key: bytes) -> bytes:
        """The value bytes at ``key`` (``KeyNotFound`` if absent)."""

    @abstractmethod
    def _raw_update(self, key: bytes, value: bytes, flags: int) -> None: ...

    @abstractmethod
    def _raw_delete(self, key: bytes) -> None: ...

    @abstractmethod
    def _raw_keys(self) -> Iterator[bytes]: ...

    @abstractmethod
    def _lookup_or_none(self, key: bytes) -> bytes | None:
        """The value bytes at ``key``, or None where a lookup fails (absent, an empty slot)."""

    @abstractmethod
    def _raw_push(self, value: bytes, flags: int) -> None: ...

    @abstractmethod
    def _raw_pop(self) -> bytes: ...

    @abstractmethod
    def _raw_peek(self) -> bytes: ...

    def _before_write(self) -> None:
        """Hook run before a user-space update or delete encodes anything (the VM refuses frozen maps)."""

    def _count(self) -> int:
        return sum(1 for _ in self._raw_keys())

    # ---------------------------------------------------------------- encoding
    # Codecs (and the module that makes them) come on first use: a load need not pay for them.
    @cached_property
    def _key(self) -> AnyCodec:
        from .values import codec_of

        return codec_of(self.btf, self._key_type_id, self.key_size, "key")

    @cached_property
    def _value(self) -> AnyCodec:
        from .values import codec_of

        return codec_of(self.btf, self._value_type_id, self.value_size, "value")

    def encode_key(self, key: Any) -> bytes:
        if self.type is MapType.LPM_TRIE:
            from .values import lpm_key

            raw = lpm_key(key, self.key_size)
            if raw is not None:
                return raw
        return self._key.encode(key)

    def decode_key(self, raw: bytes) -> Any:
        return self._key.decode(raw)

    def encode_value(self, value: Any) -> bytes:
        if not self.percpu:
            return self._value.encode(value)
        return encode_percpu(self._value, value, self.value_size, self._ncpus, self.name)

    def decode_value(self, raw: bytes) -> Any:
        if not self.percpu:
            return self._value.decode(raw)
        return decode_percpu(self._value, raw, self.value_size, self._ncpus)

    # ---------------------------------------------------------------- mapping protocol
    def __getitem__(self, key: Any) -> Any:
        return self.decode_value(self.get_raw(self.encode_key(key)))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._before_write()
        self._raw_update(self.encode_key(key), self.encode_value(value), 0)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``update(key, value, flags=UpdateFlags.ANY)``, or dict-style ``update(mapping)``."""
        if len(args) >= 2:
            key, value = args[0], args[1]
            flags = args[2] if len(args) > 2 else kwargs.pop("flags", 0)
            self._before_write()
            self._raw_update(self.encode_key(key), self.encode_value(value), int(flags))
            return
        super().update(*args, **kwargs)

    def __delitem__(self, key: Any) -> None:
        self._before_write()
        self._raw_delete(self.encode_key(key))

    def __contains__(self, key: object) -> bool:
        return self._lookup_or_none(self.encode_key(key)) is not None

    def __len__(self) -> int:
        if self.type in ARRAY_TYPES:
            return self.max_entries
        return self._count()

    def __iter__(self) -> Iterator[Any]:
        decode = self._key.decode
        for raw in self._raw_keys():
            yield decode(raw)

    def _keyless_error(self) -> Error:
        return Error(f"{self.name}: a {MapType(self.type).name.lower()} map has no keys to iterate")

    def raw_items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key bytes, value bytes) of the map."""
        for key in self._raw_keys():
            value = self._lookup_or_none(key)
            if value is not None:  # else deleted while walking, or an empty slot
                yield key, value

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """Every (key, value), decoded."""
        dk, dv = self._key.decode, self.decode_value
        for key, value in self.raw_items():
            yield dk(key), dv(value)

    def keys(self) -> Iterator[Any]:  # type: ignore[override]
        return iter(self)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for _key, value in self.items():
            yield value

    def lookup_batch(self, chunk: int = 4096) -> tuple[bytes, bytes, int]:
        """The whole map as (all keys, all values, count): fixed-size records back to back.

        For bulk use (numpy ``frombuffer``, ``struct.iter_unpack``); per-CPU values hold one
        8-byte-aligned slot per possible CPU.
        """
        pairs = list(self.raw_items())
        return b"".join(k for k, _ in pairs), b"".join(v for _, v in pairs), len(pairs)

    # ---------------------------------------------------------------- queue / stack
    def push(self, value: Any, flags: int = 0) -> None:
        """Add to a queue or stack (``flags=BPF_EXIST`` overwrites the oldest when full)."""
        self._raw_push(self.encode_value(value), int(flags))

    def pop(self, *args: Any) -> Any:
        """Queue/stack: take the next value (``KeyNotFound`` when empty); others: dict ``pop``."""
        if self.type in (MapType.QUEUE, MapType.STACK) and not args:
            return self.decode_value(self._raw_pop())
        return super().pop(*args)

    def peek(self) -> Any:
        """Queue/stack: the next value without taking it."""
        return self.decode_value(self._raw_peek())

    # ---------------------------------------------------------------- event readers
    def _record_decoder(self, type: str | None, decoder: Decoder | None) -> Decoder | None:
        """``type="struct event"`` means: decode each record through this map's BTF."""
        if type is not None:
            from .values import record_decoder

            return record_decoder(self.btf, type, f"map {self.name!r}")
        return decoder

    def __repr__(self) -> str:
        kind = self.type.name.lower() if isinstance(self.type, MapType) else str(self.type)
        return (
            f"<{self._label} {self.name!r} {kind} key {self.key_size}B value {self.value_size}B "
            f"max {self.max_entries}>"
        )


P = TypeVar("P", bound=ProgramBase)
M = TypeVar("M", bound=MapBase)


class ObjectBase(Closing, Generic[P, M]):
    """Programs and maps by name.  ``close()`` (or leaving ``with``) releases them all."""

    _label = "Object"

    def __init__(
        self,
        spec: ObjectSpec,
        *,
        programs: dict[str, P] | None = None,
        maps: dict[str, M] | None = None,
        btf_fd: FD | None = None,
    ) -> None:
        self.spec = spec
        self.programs: dict[str, P] = programs if programs is not None else {}
        self.maps: dict[str, M] = maps if maps is not None else {}
        self.btf_fd = btf_fd
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release every program and map; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._release()

    def _release(self) -> None:
        for prog in self.programs.values():
            prog.close()
        for m in self.maps.values():
            m.close()
        if self.btf_fd is not None:
            self.btf_fd.close()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return (
            f"<{self._label} {self.spec.path or '<bytes>'}: {len(self.programs)} programs, "
            f"{len(self.maps)} maps{state}>"
        )


__all__ = [
    "ARRAY_TYPES",
    "KEYLESS_TYPES",
    "PERCPU_TYPES",
    "MapBase",
    "ObjectBase",
    "PerCPU",
    "ProgramBase",
    "decode_percpu",
    "encode_percpu",
    "percpu_stride",
]
