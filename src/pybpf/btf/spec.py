"""BTF blobs: header, lazy type access, strings, lookups by name.

Opening the kernel's BTF (5.5 MB, ~150k types) must stay cheap because most callers want one or
two types.  So opening only records where each type starts (one pass over the type section, or a
cached index, see :mod:`pybpf.btf.index`); a type is decoded into its dataclass when asked for and
then memoised.  Lookups by name search the string table and an array of name offsets with
``bytes.find`` instead of building a dictionary of every name.

The kernel's own files under /sys/kernel/btf are mapped rather than read: sysfs hands them out
4 KiB per ``read()``, over a thousand system calls for vmlinux, while a mapping costs one and only
the pages a lookup touches.  Nothing is copied out of the blob when it is opened: records and
strings are read in place through offsets (``struct.unpack_from``, ``find`` with bounds), so
opening costs the same whether the blob is ``bytes`` or a mapping.

Split BTF (kernel modules) continues the ids and string offsets of its base: ids below
``start_id`` and string offsets below ``start_str_off`` are answered by the base.
"""

from __future__ import annotations

import os
import struct
import sys

from pybpf._sorted import bisect_left
from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from array import array
    from collections.abc import Callable, Iterator
    from mmap import mmap
    from typing import ClassVar, TypeAlias, TypeVar

    _D = TypeVar("_D")

    #: Where each record starts (or its name offset), by index: a ``memoryview`` cast to
    #: ``"I"``, over packed words when scanned or over the index cache file when loaded from it.
    Offsets: TypeAlias = memoryview[int]
    #: A BTF blob held in place: the bytes given, or a read-only mapping of a kernel file.
    Blob: TypeAlias = bytes | mmap

from .errors import BTFError, TypeNotFound
from .types import (
    AnyType,
    Array,
    Const,
    Datasec,
    DeclTag,
    Enum,
    Enum64,
    EnumValue,
    Float,
    Func,
    FuncProto,
    Fwd,
    Int,
    IntEncoding,
    Kind,
    Linkage,
    Member,
    Param,
    Ptr,
    Restrict,
    Struct,
    Typedef,
    TypeTag,
    Union,
    Var,
    VarSecInfo,
    Void,
    Volatile,
)

if TYPE_CHECKING:
    from pathlib import Path

    from .fields import FieldLocation

BTF_MAGIC = 0xEB9F
HEADER_SIZE = 24
SECTION = ".BTF"
#: Files here are kernel memory that never changes while mapped, so mapping them is safe: a
#: regular file truncated under a mapping would kill the process with SIGBUS on the next access.
KERNEL_BTF_DIR = "/sys/kernel/btf/"

#: (fixed extra bytes, bytes per vlen item) following the 12-byte common header, by kind.
RECORD_LAYOUT: tuple[tuple[int, int], ...] = (
    (0, 0),  # VOID (never valid in the section)
    (4, 0),  # INT
    (0, 0),  # PTR
    (12, 0),  # ARRAY
    (0, 12),  # STRUCT
    (0, 12),  # UNION
    (0, 8),  # ENUM
    (0, 0),  # FWD
    (0, 0),  # TYPEDEF
    (0, 0),  # VOLATILE
    (0, 0),  # CONST
    (0, 0),  # RESTRICT
    (0, 0),  # FUNC
    (0, 8),  # FUNC_PROTO
    (4, 0),  # VAR
    (0, 12),  # DATASEC
    (0, 0),  # FLOAT
    (4, 0),  # DECL_TAG
    (0, 0),  # TYPE_TAG
    (0, 12),  # ENUM64
)

MAX_RESOLVE_DEPTH = 32


class Header:
    """The fixed BTF header; offsets are relative to the end of the header, as in the file."""

    __slots__ = ("flags", "hdr_len", "order", "str_len", "str_off", "type_len", "type_off", "version")

    def __init__(self, data: Blob) -> None:
        if len(data) < HEADER_SIZE:
            raise BTFError(f"header: {len(data)} bytes, need {HEADER_SIZE}", section=SECTION, offset=0)
        (magic,) = struct.unpack_from("<H", data, 0)
        if magic == BTF_MAGIC:
            self.order = "<"
        elif magic == 0x9FEB:
            self.order = ">"
        else:
            raise BTFError(
                f"header: bad magic {magic:#06x}, want {BTF_MAGIC:#06x}", section=SECTION, offset=0
            )
        fields = struct.unpack_from(self.order + "HBBIIIII", data, 0)
        (
            _,
            self.version,
            self.flags,
            self.hdr_len,
            self.type_off,
            self.type_len,
            self.str_off,
            self.str_len,
        ) = fields
        if self.version != 1:
            raise BTFError(f"header: unsupported version {self.version}", section=SECTION, offset=2)
        if self.hdr_len < HEADER_SIZE or self.hdr_len > len(data):
            raise BTFError(f"header: bad hdr_len {self.hdr_len}", section=SECTION, offset=4)
        body = len(data) - self.hdr_len
        for what, off, length, at in (
            ("type", self.type_off, self.type_len, 8),
            ("string", self.str_off, self.str_len, 16),
        ):
            if off + length > body:
                raise BTFError(
                    f"header: {what} section [{off}, {off + length}) runs past the end ({body} bytes)",
                    section=SECTION,
                    offset=at,
                )
        if self.type_off % 4:
            raise BTFError(
                f"header: type section offset {self.type_off} not 4-aligned", section=SECTION, offset=8
            )


class BTF:
    """A parsed BTF blob.  Mapping-like: ``btf[id]``, ``len(btf)``, iteration over non-void types."""

    _vmlinux: ClassVar[BTF | None] = None

    def __init__(
        self,
        data: bytes | bytearray | memoryview | mmap,
        *,
        base: BTF | None = None,
        index: tuple[Offsets, Offsets | None] | None = None,
        by_name: tuple[Offsets, Offsets] | None = None,
        unique_strings: bool = False,
        flavoured: Offsets | None = None,
    ) -> None:
        """``index``, ``by_name``, ``unique_strings`` and ``flavoured`` come from the index
        cache (:mod:`pybpf.btf.index`) and only make lookups faster: ``index`` is (record
        offsets, name offsets by id or None), ``by_name`` (name offsets sorted, the type index of
        each), which replaces the name offsets by id; ``unique_strings`` says no string of this
        blob's section is spelled twice, so a search by name stops at the first match;
        ``flavoured`` holds the offsets of :meth:`flavoured_strings`.
        """
        blob = _blob(data)
        self._blob = blob
        self.base = base
        self.header = Header(blob)
        h = self.header
        self._order = h.order
        t0 = h.hdr_len + h.type_off
        s0 = h.hdr_len + h.str_off
        self._type_start = t0
        self._types = memoryview(blob)[t0 : t0 + h.type_len]
        # The string section is searched in place between these bounds, never copied.
        self._str_start = s0
        self._str_end = s0 + h.str_len
        self._raw_strings: bytes | None = None
        self.start_id = len(base) if base is not None else 1
        self.start_str_off = base.strings_size if base is not None else 0
        self._check_strings()
        self._offsets: Offsets
        self._name_offs: Offsets | None
        if index is None:
            self._offsets, self._name_offs = scan_types(self._types, self._order, self.start_id, t0)
        else:
            self._offsets, self._name_offs = index
        if self._name_offs is None and by_name is None:
            raise TypeError("BTF: index without name offsets needs by_name")
        self._by_name = by_name
        self._unique_strings = unique_strings
        self._flavoured_offsets = flavoured
        self._flavoured: list[str] | None = None
        self._name_offs_bytes: bytes | None = None  # made on the first lookup by name
        self._cache: dict[int, AnyType] = {}
        self._str_cache: dict[int, str] = {}
        self._derived: dict[str, object] = {}
        self._u32 = struct.Struct(self._order + "I")
        self._i32 = struct.Struct(self._order + "i")
        self._hdr = struct.Struct(self._order + "III")
        self._triple = struct.Struct(self._order + "III")
        self._pair = struct.Struct(self._order + "II")
        self._pair_si = struct.Struct(self._order + "Ii")

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview | mmap, *, base: BTF | None = None) -> BTF:
        """Parse a BTF blob (a ``.BTF`` section or a /sys/kernel/btf file).  ``base`` for split BTF."""
        return cls(data, base=base)

    @classmethod
    def from_file(cls, path: str | Path, *, base: BTF | None = None, cache: bool = True) -> BTF:
        """Read a raw BTF file (mapping the kernel's own, see :func:`read_blob`).  Large files
        use the on-disk index cache when ``cache`` is true."""
        data = read_blob(path)
        if cache:
            from .index import boot_key, cached_open

            return cached_open(data, base=base, key=boot_key(path, len(data)))
        return cls(data, base=base)

    @classmethod
    def vmlinux(cls, path: str | Path = "/sys/kernel/btf/vmlinux") -> BTF:
        """The running kernel's BTF, opened once per process and kept for it.

        The file is mapped, not read, so only the types a caller looks at are ever touched; on
        Python before 3.13 the mapping holds one descriptor of the file for the process's life.
        """
        if cls._vmlinux is None:
            cls._vmlinux = cls.from_file(path)
        return cls._vmlinux

    def derived(self, key: str, make: Callable[[BTF], _D]) -> _D:
        """What another module derives from this BTF (the CO-RE name index, ...), made by
        ``make(self)`` on first request for ``key`` and kept as long as this BTF.

        Concurrent first requests may both make one; one of them is kept and returned to both.
        """
        found = self._derived.get(key)
        if found is None:
            found = self._derived.setdefault(key, make(self))
        return found  # type: ignore[return-value]  # each key has one maker

    def _check_strings(self) -> None:
        blob, s0, end = self._blob, self._str_start, self._str_end
        if s0 == end:
            if self.base is None and self.header.str_len == 0 and self.header.type_len:
                raise BTFError("string section: empty", section=SECTION, offset=s0)
            return
        if self.base is None and blob[s0] != 0:
            raise BTFError("string section: does not start with NUL", section=SECTION, offset=s0)
        if blob[end - 1] != 0:
            raise BTFError("string section: last string not NUL-terminated", section=SECTION, offset=end - 1)

    @property
    def data(self) -> bytes:
        """The whole blob as bytes (a copy when it is a mapping: ~3 ms for vmlinux)."""
        blob = self._blob
        return blob if isinstance(blob, bytes) else blob[:]

    # ----------------------------------------------------------------- strings

    @property
    def strings_size(self) -> int:
        """Total size of the string space (base plus own), i.e. the first offset a split BTF adds."""
        return self.start_str_off + self._str_end - self._str_start

    @property
    def raw_strings(self) -> bytes:
        """This blob's own string section, copied out on first use and kept (lookups of this
        class search it in place; callers that want ``bytes`` get them once, not per call)."""
        raw = self._raw_strings
        if raw is None:
            raw = self._raw_strings = self._blob[self._str_start : self._str_end]
        return raw

    def string(self, offset: int) -> str:
        """The NUL-terminated string at ``offset`` in the (base plus own) string space."""
        cached = self._str_cache.get(offset)
        if cached is not None:
            return cached
        if offset < self.start_str_off:
            assert self.base is not None
            return self.base.string(offset)
        start = self._str_start + offset - self.start_str_off
        if start >= self._str_end:
            raise BTFError(
                f"string section: offset {offset} out of range (size {self.strings_size})",
                section=SECTION,
                offset=self._str_start,
            )
        end = self._blob.find(b"\0", start, self._str_end)
        if end < 0:
            raise BTFError("string section: unterminated string", section=SECTION, offset=start)
        try:
            text = self._blob[start:end].decode()
        except UnicodeDecodeError as exc:
            raise BTFError(
                f"string section: invalid UTF-8 in string at {offset}", section=SECTION, offset=start
            ) from exc
        self._str_cache[offset] = text
        return text

    def _string_offsets(self, name: str) -> list[int]:
        """Every offset of ``name`` in this blob's own string section (global offsets)."""
        try:
            needle = b"\0" + name.encode() + b"\0"
        except UnicodeEncodeError:
            return []
        found: list[int] = []
        blob, end = self._blob, self._str_end
        shift = 1 + self.start_str_off - self._str_start
        pos = blob.find(needle, self._str_start, end)
        while pos >= 0:
            found.append(pos + shift)
            if self._unique_strings:  # no second one: skip searching the rest (~1 ms on vmlinux)
                break
            pos = blob.find(needle, pos + 1, end)
        return found

    def strings_unique(self) -> bool:
        """Whether no non-empty string of this blob's own section is spelled twice (one pass
        over the section: the index cache records the answer for :meth:`find_ids`)."""
        parts = [p for p in self._blob[self._str_start : self._str_end].split(b"\0") if p]
        return len(set(parts)) == len(parts)

    def flavoured_string_offsets(self) -> list[int]:
        """Offsets (in this blob's own section) of every string that contains ``___``, the CO-RE
        flavour separator: one pass over the section, which the index cache keeps."""
        if self._flavoured_offsets is not None:
            return list(self._flavoured_offsets)
        blob, s0, end = self._blob, self._str_start, self._str_end
        found: list[int] = []
        pos = blob.find(b"___", s0, end)
        while pos >= 0:
            start = blob.rfind(b"\0", s0, pos) + 1 or s0
            stop = blob.find(b"\0", pos, end)
            if stop < 0:
                break
            found.append(start - s0)
            pos = blob.find(b"___", stop, end)
        return found

    def flavoured_strings(self) -> list[str]:
        """Every string of this blob's own section that contains ``___`` (``task_struct___old``):
        what a CO-RE candidate search by essential name needs, without searching 2.5 MB of
        vmlinux strings per name."""
        found = self._flavoured
        if found is None:
            found = self._strings_at(self.flavoured_string_offsets())
            if found is None:  # a damaged cache entry: find them again
                self._flavoured_offsets = None
                found = self._strings_at(self.flavoured_string_offsets()) or []
            self._flavoured = found
        return found

    def _strings_at(self, offsets: list[int]) -> list[str] | None:
        """The flavoured strings at ``offsets``, or None if one is not a string holding ``___``."""
        blob, s0, size = self._blob, self._str_start, self._str_end - self._str_start
        found = []
        for offset in offsets:
            if not 0 <= offset < size or (offset and blob[s0 + offset - 1] != 0):
                return None
            if b"___" not in blob[s0 + offset : blob.find(b"\0", s0 + offset, s0 + size)]:
                return None
            try:
                found.append(self.string(offset + self.start_str_off))
            except BTFError:
                continue  # not UTF-8: no type can be looked up by it
        return found

    def strings_with_prefix(self, prefix: str) -> list[str]:
        """Every string of this blob's own section starting with ``prefix``, searched in place
        (what :attr:`raw_strings` would give without copying the section out)."""
        try:
            raw = prefix.encode()
        except UnicodeEncodeError:
            return []
        blob, s0, end = self._blob, self._str_start, self._str_end
        if not raw or s0 == end:
            return []
        found: list[str] = []
        needle = b"\0" + raw
        start = s0 if blob[s0 : s0 + len(raw)] == raw else -1
        if start < 0:
            pos = blob.find(needle, s0, end)
            start = pos + 1 if pos >= 0 else -1
        while start >= 0:
            stop = blob.find(b"\0", start, end)
            if stop < 0:
                break
            try:
                found.append(blob[start:stop].decode())
            except UnicodeDecodeError:
                pass
            pos = blob.find(needle, stop, end)
            start = pos + 1 if pos >= 0 else -1
        return found

    # ----------------------------------------------------------------- types

    def __len__(self) -> int:
        """Number of type ids, including void and the base's types: valid ids are ``range(len(btf))``."""
        return self.start_id + len(self._offsets)

    def __iter__(self) -> Iterator[AnyType]:
        """Every non-void type, base types first."""
        for type_id in range(1, len(self)):
            yield self[type_id]

    def own_ids(self) -> range:
        """Ids of the types stored in this blob (not in its base)."""
        return range(self.start_id, len(self))

    def __contains__(self, type_id: object) -> bool:
        return isinstance(type_id, int) and 0 <= type_id < len(self)

    def __getitem__(self, type_id: int) -> AnyType:
        cached = self._cache.get(type_id)
        if cached is not None:
            return cached
        if type_id == 0:
            return Void(0, "")
        if type_id < self.start_id:
            if self.base is None or type_id < 0:
                raise TypeNotFound(f"no type id {type_id} (valid: 0..{len(self) - 1})")
            return self.base[type_id]
        index = type_id - self.start_id
        if index >= len(self._offsets):
            raise TypeNotFound(f"no type id {type_id} (valid: 0..{len(self) - 1})")
        t = self._decode(type_id, self._offsets[index])
        self._cache[type_id] = t
        return t

    def get(self, type_id: int) -> AnyType | None:
        try:
            return self[type_id]
        except TypeNotFound:
            return None

    def kind_of(self, type_id: int) -> Kind:
        """The kind of a type without decoding its members."""
        if type_id == 0:
            return Kind.VOID
        if type_id < self.start_id:
            if self.base is None or type_id < 0:
                raise TypeNotFound(f"no type id {type_id}")
            return self.base.kind_of(type_id)
        index = type_id - self.start_id
        if index >= len(self._offsets):
            raise TypeNotFound(f"no type id {type_id} (valid: 0..{len(self) - 1})")
        try:
            (info,) = self._u32.unpack_from(self._types, self._offsets[index] + 4)
            kind = _KINDS.get((info >> 24) & 0x1F)
            if kind is None:  # what Kind(value) would say, without the cost of an enum call
                raise ValueError(f"{(info >> 24) & 0x1F} is not a valid Kind")
            return kind
        except (struct.error, ValueError) as exc:
            raise BTFError(f"type id {type_id}: malformed record ({exc})", section=SECTION) from exc

    def type_record(self, type_id: int) -> bytes:
        """The raw bytes of a type's record in the type section (for writers and debugging)."""
        index = type_id - self.start_id
        if type_id < self.start_id or index >= len(self._offsets):
            raise TypeNotFound(f"type id {type_id} is not stored in this blob")
        start = self._offsets[index]
        end = self._offsets[index + 1] if index + 1 < len(self._offsets) else len(self._types)
        return bytes(self._types[start:end])

    def _decode(self, type_id: int, off: int) -> AnyType:
        where = self._type_start + off
        try:
            return self._decode_record(type_id, off)
        except BTFError as exc:
            if exc.reason.startswith(f"type id {type_id}:"):
                raise
            raise BTFError(f"type id {type_id}: {exc.reason}", section=SECTION, offset=where) from exc
        except (struct.error, ValueError, IndexError) as exc:
            raise BTFError(
                f"type id {type_id}: malformed record ({exc})", section=SECTION, offset=where
            ) from exc

    def _decode_record(self, type_id: int, off: int) -> AnyType:
        buf = self._types
        name_off, info, size_or_type = self._hdr.unpack_from(buf, off)
        kind = (info >> 24) & 0x1F
        vlen = info & 0xFFFF
        kflag = bool(info >> 31)
        name = self.string(name_off)
        p = off + 12
        s = self.string
        if kind == Kind.INT:
            (val,) = self._u32.unpack_from(buf, p)
            return Int(
                type_id, name, size_or_type, _ENCODINGS[(val >> 24) & 0x0F], (val >> 16) & 0xFF, val & 0xFF
            )
        if kind == Kind.PTR:
            return Ptr(type_id, name, size_or_type)
        if kind == Kind.ARRAY:
            elem, index, nelems = self._triple.unpack_from(buf, p)
            return Array(type_id, name, elem, index, nelems)
        if kind in (Kind.STRUCT, Kind.UNION):
            members = []
            for i in range(vlen):
                m_name, m_type, m_off = self._triple.unpack_from(buf, p + 12 * i)
                if kflag:
                    members.append(Member(s(m_name), m_type, m_off & 0xFFFFFF, m_off >> 24))
                else:
                    members.append(Member(s(m_name), m_type, m_off, 0))
            cls = Struct if kind == Kind.STRUCT else Union
            return cls(type_id, name, size_or_type, tuple(members), kflag)
        if kind == Kind.ENUM:
            fmt = self._pair_si if kflag else self._pair
            values = tuple(
                EnumValue(s(n), v) for n, v in (fmt.unpack_from(buf, p + 8 * i) for i in range(vlen))
            )
            return Enum(type_id, name, size_or_type, values, kflag)
        if kind == Kind.ENUM64:
            values64 = []
            for i in range(vlen):
                n, lo, hi = self._triple.unpack_from(buf, p + 12 * i)
                v = (hi << 32) | lo
                if kflag and v >= 1 << 63:
                    v -= 1 << 64
                values64.append(EnumValue(s(n), v))
            return Enum64(type_id, name, size_or_type, tuple(values64), kflag)
        if kind == Kind.FWD:
            return Fwd(type_id, name, kflag)
        if kind == Kind.TYPEDEF:
            return Typedef(type_id, name, size_or_type)
        if kind == Kind.VOLATILE:
            return Volatile(type_id, name, size_or_type)
        if kind == Kind.CONST:
            return Const(type_id, name, size_or_type)
        if kind == Kind.RESTRICT:
            return Restrict(type_id, name, size_or_type)
        if kind == Kind.TYPE_TAG:
            return TypeTag(type_id, name, size_or_type, kflag)
        if kind == Kind.FUNC:
            return Func(type_id, name, size_or_type, _linkage(vlen))
        if kind == Kind.FUNC_PROTO:
            params = tuple(
                Param(s(n), t) for n, t in (self._pair.unpack_from(buf, p + 8 * i) for i in range(vlen))
            )
            return FuncProto(type_id, name, size_or_type, params)
        if kind == Kind.VAR:
            (linkage,) = self._u32.unpack_from(buf, p)
            return Var(type_id, name, size_or_type, _linkage(linkage))
        if kind == Kind.DATASEC:
            secinfo = tuple(VarSecInfo(*self._triple.unpack_from(buf, p + 12 * i)) for i in range(vlen))
            return Datasec(type_id, name, size_or_type, secinfo)
        if kind == Kind.FLOAT:
            return Float(type_id, name, size_or_type)
        if kind == Kind.DECL_TAG:
            (component,) = self._i32.unpack_from(buf, p)
            return DeclTag(type_id, name, size_or_type, component, kflag)
        raise BTFError(
            f"type id {type_id}: unknown kind {kind}", section=SECTION, offset=self._type_start + off
        )

    # ----------------------------------------------------------------- lookups

    def find_ids(self, name: str) -> list[int]:
        """Ids of every type called ``name`` (base first), in id order, without decoding them."""
        ids = self.base.find_ids(name) if self.base is not None else []
        if not name:
            return ids
        offsets = self._string_offsets(name)
        chain = self.base
        while chain is not None:  # own types may use any ancestor's strings
            offsets += chain._string_offsets(name)
            chain = chain.base
        own: list[int] = []
        if self._by_name is not None:
            names, which = self._by_name
            count = len(self._offsets)
            for str_off in offsets:
                i = bisect_left(names, str_off)
                while i < len(names) and names[i] == str_off:
                    if which[i] < count:  # a damaged cache must not invent ids
                        own.append(self.start_id + which[i])
                    i += 1
        else:
            haystack = self._name_offs_bytes
            if haystack is None:
                assert self._name_offs is not None
                haystack = self._name_offs_bytes = self._name_offs.tobytes()
            for str_off in offsets:
                needle = struct.pack("=I", str_off)
                pos = haystack.find(needle)
                while pos >= 0:
                    if pos % 4 == 0:
                        own.append(self.start_id + pos // 4)
                    pos = haystack.find(needle, pos + 1)
        ids.extend(sorted(own))
        return ids

    def find_all(self, name: str, kind: Kind | None = None) -> list[AnyType]:
        """Every type called ``name`` (of ``kind`` if given), in id order."""
        found = [self[i] for i in self.find_ids(name)]
        if kind is not None:
            found = [t for t in found if t.kind == kind]
        return found

    def find(self, name: str, kind: Kind | None = None) -> AnyType:
        """The first type called ``name`` (of ``kind`` if given); raises :class:`TypeNotFound`."""
        for type_id in self.find_ids(name):
            if kind is None or self.kind_of(type_id) == kind:
                return self[type_id]
        what = f"{kind.name.lower()} " if kind is not None else ""
        raise TypeNotFound(f"no {what}type named {name!r}")

    def find_id(self, name: str, kind: Kind | None = None) -> int:
        return self.find(name, kind).id

    # ----------------------------------------------------------------- layout

    def resolve(self, type_id: int) -> AnyType:
        """The type behind typedefs and modifiers (const, volatile, restrict, type tags)."""
        t = self[type_id]
        for _ in range(MAX_RESOLVE_DEPTH):
            if not isinstance(t, Typedef | Volatile | Const | Restrict | TypeTag):
                return t
            t = self._ref(t.type_id, t.id)
        raise BTFError(f"type id {type_id}: typedef/modifier chain too deep or cyclic", section=SECTION)

    def resolve_id(self, type_id: int) -> int:
        return self.resolve(type_id).id

    def _ref(self, type_id: int, referrer: int) -> AnyType:
        """Follow a reference, turning a dangling id into an error that names the referrer."""
        try:
            return self[type_id]
        except TypeNotFound as exc:
            raise BTFError(
                f"type id {referrer}: refers to missing type id {type_id}", section=SECTION
            ) from exc

    def size_of(self, type_id: int, *, pointer_size: int = 8) -> int:
        """Size in bytes of a type, as ``sizeof`` would say."""
        multiplier = 1
        current = type_id
        for _ in range(MAX_RESOLVE_DEPTH):
            t = self[current] if current == type_id else self._ref(current, type_id)
            if isinstance(t, Int | Enum | Enum64 | Struct | Union | Float | Datasec):
                return multiplier * t.size
            if isinstance(t, Ptr):
                return multiplier * pointer_size
            if isinstance(t, Array):
                multiplier *= t.nelems
                current = t.elem_type_id
            elif isinstance(t, Typedef | Volatile | Const | Restrict | TypeTag | Var):
                current = t.type_id
            else:
                raise BTFError(f"type id {type_id}: {t.kind.name} has no size", section=SECTION)
        raise BTFError(f"type id {type_id}: type chain too deep or cyclic", section=SECTION)

    def align_of(self, type_id: int, *, pointer_size: int = 8) -> int:
        """Alignment in bytes with the C rules of the BPF target (8-byte max scalar alignment).

        A struct whose members sit at offsets their types would not allow, or whose size is not a
        multiple of its members' alignment, was declared packed: its alignment is 1.
        """
        return self._align_of(type_id, pointer_size, 0)

    def _align_of(self, type_id: int, pointer_size: int, depth: int) -> int:
        if depth > MAX_RESOLVE_DEPTH:
            raise BTFError(f"type id {type_id}: type chain too deep or cyclic", section=SECTION)
        t = self[type_id]
        if isinstance(t, Int | Enum | Enum64 | Float):
            return max(1, min(pointer_size, t.size))
        if isinstance(t, Ptr):
            return pointer_size
        if isinstance(t, Array):
            return self._align_of(self._ref(t.elem_type_id, type_id).id, pointer_size, depth + 1)
        if isinstance(t, Typedef | Volatile | Const | Restrict | TypeTag | Var):
            return self._align_of(self._ref(t.type_id, type_id).id, pointer_size, depth + 1)
        if isinstance(t, Struct | Union):
            best = 1
            for m in t.members:
                align = self._align_of(self._ref(m.type_id, type_id).id, pointer_size, depth + 1)
                if m.bitfield_size == 0 and m.bit_offset % (8 * align):
                    return 1
                best = max(best, align)
            if t.size % best:
                return 1
            return best
        raise BTFError(f"type id {type_id}: {t.kind.name} has no alignment", section=SECTION)

    def members(self, type_id: int) -> tuple[Member, ...]:
        """Direct members of a struct or union (through typedefs/modifiers); nested ones stay nested."""
        t = self.resolve(type_id)
        if not isinstance(t, Struct | Union):
            raise BTFError(f"type id {type_id}: {t.kind.name} is not a struct or union", section=SECTION)
        return t.members

    def type_name(self, type_id: int) -> str:
        """C spelling of a type: ``struct task_struct *``, ``int[16]``, ``void (*)(int)``."""
        from .names import type_name

        return type_name(self, type_id)

    def field(self, type_id: int, path: str) -> FieldLocation:
        """Locate ``a.b[2].c`` inside a struct, through anonymous members and pointers (see FieldLocation)."""
        from .fields import locate

        return locate(self, type_id, path)

    def to_bytes(self) -> bytes:
        """This blob's types re-encoded (see :mod:`pybpf.btf.encode`): what ``BPF_BTF_LOAD`` takes."""
        from .encode import encode

        return encode(self)

    def __repr__(self) -> str:
        base = f", base with {len(self.base)} ids" if self.base is not None else ""
        return f"<BTF {len(self) - self.start_id} types, {self.header.str_len} bytes of strings{base}>"


_LINKAGES = tuple(Linkage)
_ENCODINGS = tuple(IntEncoding(i) for i in range(16))
_KINDS = {int(k): k for k in Kind}


def _blob(data: bytes | bytearray | memoryview | mmap) -> Blob:
    """``data`` as something that stays as it is while parsed: bytes, or a mapping as given."""
    if isinstance(data, bytes):
        return data
    import mmap  # already loaded whenever a mapping is passed

    return data if isinstance(data, mmap.mmap) else bytes(data)


def read_blob(path: str | os.PathLike[str]) -> Blob:
    """The bytes of a BTF file: a private read-only mapping of the kernel's own files, else read.

    Older kernels refuse to map them (ENODEV), and an empty file cannot be mapped either:
    both are read instead.  The mapping lives as long as whoever holds the returned object (see
    :func:`_map_readonly` for the descriptor it keeps before Python 3.13).
    """
    name = os.fspath(path)
    if name.startswith(KERNEL_BTF_DIR):
        try:
            fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise BTFError(f"cannot read {name}: {exc.strerror or exc}") from exc
        try:
            return _map_readonly(fd)
        except (OSError, ValueError):
            pass  # read below
        finally:
            os.close(fd)
    try:
        with open(name, "rb") as f:  # not pathlib: importing it costs more than the read
            return f.read()
    except OSError as exc:
        raise BTFError(f"cannot read {name}: {exc.strerror or exc}") from exc


def _map_readonly(fd: int) -> mmap:
    """A private read-only mapping of the whole file ``fd``.

    Before Python 3.13 the ``mmap`` object keeps a duplicate of ``fd`` open while it lives (3.13
    has ``trackfd=False``): one descriptor per mapped BTF object, released with it.  The
    running kernel's BTF is kept for the whole process (:meth:`BTF.vmlinux`), so that one stays.
    """
    import mmap

    if sys.version_info >= (3, 13):
        return mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ, trackfd=False)
    return mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)


def _linkage(value: int) -> Linkage | int:
    """``Linkage`` member for known values (a tuple lookup: Enum() calls cost ~1 µs each)."""
    return _LINKAGES[value] if 0 <= value < len(_LINKAGES) else value


def scan_types(
    types: memoryview, order: str, start_id: int, section_start: int
) -> tuple[Offsets, Offsets]:
    """Offsets and name offsets of every record in a type section: one pass, nothing decoded.

    Both are kept as 32-bit words.  A big section (vmlinux has some 130k records, scanned when
    its index is not cached) gathers them in :mod:`array`\\ s; an object's few hundred go
    through a list and one ``struct.pack``, which keeps :mod:`array` off the load path.
    """
    offsets: list[int] | array[int]
    name_offs: list[int] | array[int]
    if len(types) >= ARRAY_SCAN_BYTES:
        from array import array

        offsets, name_offs = array("I"), array("I")
    else:
        offsets, name_offs = [], []
    add_off = offsets.append
    add_name = name_offs.append
    header = struct.Struct(order + "II").unpack_from
    layout = RECORD_LAYOUT
    end = len(types)
    off = 0
    try:
        while off < end:
            if off + 12 > end:
                raise BTFError(
                    f"type id {start_id + len(offsets)}: record truncated ({end - off} of 12 bytes)",
                    section=SECTION,
                    offset=section_start + off,
                )
            name_off, info = header(types, off)
            kind = (info >> 24) & 0x1F
            if kind == 0 or kind >= 20:
                raise BTFError(
                    f"type id {start_id + len(offsets)}: unknown kind {kind}",
                    section=SECTION,
                    offset=section_start + off,
                )
            fixed, per = layout[kind]
            add_off(off)
            add_name(name_off)
            off += 12 + fixed + per * (info & 0xFFFF)
    except OverflowError as exc:  # pragma: no cover - offsets are < 4 GiB by construction
        raise BTFError(f"type section too large ({exc})", section=SECTION, offset=section_start) from exc
    if off > end:
        raise BTFError(
            f"type id {start_id + len(offsets) - 1}: record runs past the end of the type section",
            section=SECTION,
            offset=section_start + offsets[-1],
        )
    return _words(offsets), _words(name_offs)


#: From this size of type section on, :func:`scan_types` collects into arrays.
ARRAY_SCAN_BYTES = 256 * 1024


def _words(values: list[int] | array[int]) -> Offsets:
    if isinstance(values, list):
        return memoryview(struct.pack(f"={len(values)}I", *values)).cast("I")
    return memoryview(values)


__all__ = ["BTF", "HEADER_SIZE", "KERNEL_BTF_DIR", "Header", "TypeNotFound", "read_blob", "scan_types"]
