"""BTF back to bytes: what the kernel's ``BPF_BTF_LOAD`` takes.

The writer starts its string table from the blob's own string section, so re-encoding parsed BTF
keeps every string offset (and the bytes) unchanged; only strings new to the table are appended.
That matters because ``.BTF.ext`` line info and the ELF's relocations refer to those offsets.
"""

from __future__ import annotations

import struct

from pybpf._typing import TYPE_CHECKING

from .errors import BTFError
from .spec import BTF_MAGIC, HEADER_SIZE
from .types import (
    AnyType,
    Array,
    Const,
    Datasec,
    DeclTag,
    Enum,
    Enum64,
    Float,
    Func,
    FuncProto,
    Fwd,
    Int,
    Ptr,
    Restrict,
    Struct,
    Typedef,
    TypeTag,
    Union,
    Var,
    Void,
    Volatile,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .spec import BTF


class StringTable:
    """Appendable, deduplicated BTF string section; ``base_size`` shifts offsets for split BTF."""

    def __init__(self, seed: bytes = b"\0", *, base: BTF | None = None) -> None:
        if not seed or seed[0] != 0:
            seed = b"\0" + seed
        if seed[-1] != 0:
            seed += b"\0"
        self._buf = bytearray(seed)
        self.base = base
        self.base_size = base.strings_size if base is not None else 0
        self._index: dict[bytes, int] = {}
        pos = 0
        for chunk in bytes(seed).split(b"\0")[:-1]:
            self._index.setdefault(chunk, pos)
            pos += len(chunk) + 1

    def add(self, text: str) -> int:
        """Offset of ``text`` (in the base, if it has it; else in this table, appending if new)."""
        if not text:
            return 0
        if self.base is not None:
            found = self.base._string_offsets(text)
            if found:
                return found[0]
        raw = text.encode()
        if b"\0" in raw:
            raise BTFError(f"string {text!r} contains NUL")
        offset = self._index.get(raw)
        if offset is None:
            offset = len(self._buf)
            self._buf += raw + b"\0"
            self._index[raw] = offset
        return offset + self.base_size

    def tobytes(self) -> bytes:
        return bytes(self._buf)


def _info(kind: int, vlen: int = 0, kflag: bool = False) -> int:
    if vlen > 0xFFFF:
        raise BTFError(f"vlen {vlen} does not fit 16 bits")
    return (int(kflag) << 31) | (kind << 24) | vlen


def encode_type(t: AnyType, strings: StringTable, order: str = "<") -> bytes:
    """One type record."""
    name = strings.add(t.name)

    def head(vlen: int, kflag: bool, size_or_type: int) -> bytes:
        return struct.pack(order + "III", name, _info(t.kind, vlen, kflag), size_or_type)

    try:
        if isinstance(t, Int):
            extra = (int(t.encoding) << 24) | (t.bit_offset << 16) | t.bits
            return head(0, False, t.size) + struct.pack(order + "I", extra)
        if isinstance(t, Ptr | Typedef | Volatile | Const | Restrict):
            return head(0, False, t.type_id)
        if isinstance(t, TypeTag):
            return head(0, t.kind_flag, t.type_id)
        if isinstance(t, Array):
            return head(0, False, 0) + struct.pack(order + "III", t.elem_type_id, t.index_type_id, t.nelems)
        if isinstance(t, Struct | Union):
            parts = [head(len(t.members), t.kind_flag, t.size)]
            for m in t.members:
                if t.kind_flag:
                    if m.bit_offset >= 1 << 24 or m.bitfield_size > 0xFF:
                        raise BTFError(
                            f"member {m.name!r} offset/bitfield size too large for kind_flag encoding"
                        )
                    offset = (m.bitfield_size << 24) | m.bit_offset
                elif m.bitfield_size:
                    raise BTFError(f"bitfield member {m.name!r} needs kind_flag set on its struct")
                else:
                    offset = m.bit_offset
                parts.append(struct.pack(order + "III", strings.add(m.name), m.type_id, offset))
            return b"".join(parts)
        if isinstance(t, Enum):
            parts = [head(len(t.values), t.signed, t.size)]
            for v in t.values:
                parts.append(struct.pack(order + "II", strings.add(v.name), v.value & 0xFFFFFFFF))
            return b"".join(parts)
        if isinstance(t, Enum64):
            parts = [head(len(t.values), t.signed, t.size)]
            for v in t.values:
                value = v.value & 0xFFFFFFFFFFFFFFFF
                parts.append(struct.pack(order + "III", strings.add(v.name), value & 0xFFFFFFFF, value >> 32))
            return b"".join(parts)
        if isinstance(t, Fwd):
            return head(0, t.is_union, 0)
        if isinstance(t, Func):
            return head(int(t.linkage), False, t.type_id)
        if isinstance(t, FuncProto):
            parts = [head(len(t.params), False, t.return_type_id)]
            parts += [struct.pack(order + "II", strings.add(p.name), p.type_id) for p in t.params]
            return b"".join(parts)
        if isinstance(t, Var):
            return head(0, False, t.type_id) + struct.pack(order + "I", int(t.linkage))
        if isinstance(t, Datasec):
            parts = [head(len(t.vars), False, t.size)]
            parts += [struct.pack(order + "III", v.type_id, v.offset, v.size) for v in t.vars]
            return b"".join(parts)
        if isinstance(t, Float):
            return head(0, False, t.size)
        if isinstance(t, DeclTag):
            return head(0, t.kind_flag, t.type_id) + struct.pack(order + "i", t.component_idx)
    except struct.error as exc:
        raise BTFError(f"type id {t.id}: field out of range ({exc})") from exc
    if isinstance(t, Void):
        raise BTFError("void (type id 0) is implicit and cannot be encoded")
    raise BTFError(f"type id {t.id}: cannot encode kind {t.kind!r}")  # pragma: no cover


def encode_types(
    types: Iterable[AnyType],
    *,
    strings: StringTable | None = None,
    order: str = "<",
) -> bytes:
    """A complete BTF blob holding ``types`` in order (their ``id`` fields are not checked)."""
    table = strings if strings is not None else StringTable()
    body = b"".join(encode_type(t, table, order) for t in types)
    strs = table.tobytes()
    header = struct.pack(order + "HBBIIIII", BTF_MAGIC, 1, 0, HEADER_SIZE, 0, len(body), len(body), len(strs))
    return header + body + strs


def encode(btf: BTF) -> bytes:
    """Serialize the types stored in ``btf`` (not its base); byte-identical for compiler output."""
    table = StringTable(btf.raw_strings or b"\0", base=btf.base)
    order = btf.header.order
    return encode_types((btf[i] for i in btf.own_ids()), strings=table, order=order)


def build(types: Sequence[AnyType], *, base: BTF | None = None) -> BTF:
    """A :class:`BTF` from type objects (ids are assigned by position, after the base's)."""
    from .spec import BTF

    return BTF.from_bytes(encode_types(types, strings=StringTable(base=base)), base=base)


__all__ = ["StringTable", "build", "encode", "encode_type", "encode_types"]
