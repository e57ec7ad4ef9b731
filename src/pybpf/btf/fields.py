"""Member paths like ``real_parent.tgid`` or ``thread.fpu[0].state`` resolved to offsets.

Tracing code reads kernel structs by offset, often through several pointers (what
``BPF_CORE_READ(task, real_parent, tgid)`` does).  A path may cross pointers: each one crossed is a
separate memory read, so the location lists the byte offset of every pointer followed and then the
bit offset of the final member inside the last pointee.  Anonymous struct/union members are looked
through as C does.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, set_field
from pybpf._typing import TYPE_CHECKING

from .errors import BTFError
from .types import Array, Member, Ptr, Struct, Union

if TYPE_CHECKING:
    from .spec import BTF

_TOKEN = r"\s*(?:(->|\.)|\[\s*(\d+)\s*\]|([A-Za-z_][A-Za-z_0-9]*))"


@dataclass(frozen=True, slots=True, init=False)
class FieldLocation:
    """Where a member path ends up.

    ``derefs`` holds the byte offsets (each relative to the previous pointee, the first relative to
    the start of the outer type) of the pointers read on the way; ``bit_offset`` is relative to the
    last pointee (or the outer type when ``derefs`` is empty).
    """

    path: str
    type_id: int
    bit_offset: int
    bitfield_size: int = 0
    derefs: tuple[int, ...] = ()

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8

    @property
    def is_bitfield(self) -> bool:
        return self.bitfield_size != 0

    def __init__(
        self,
        path: str,
        type_id: int,
        bit_offset: int,
        bitfield_size: int = 0,
        derefs: tuple[int, ...] = (),
    ) -> None:
        set_field(self, "path", path)
        set_field(self, "type_id", type_id)
        set_field(self, "bit_offset", bit_offset)
        set_field(self, "bitfield_size", bitfield_size)
        set_field(self, "derefs", derefs)


def _tokens(path: str) -> list[str | int]:
    import re  # member paths are parsed on request, not while loading

    token = re.compile(_TOKEN)
    out: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = token.match(text, pos)
        if m is None or m.end() == pos:
            raise BTFError(f"bad member path {path!r} at character {pos}")
        _sep, index, name = m.groups()
        if index is not None:
            out.append(int(index))
        elif name is not None:
            out.append(name)
        pos = m.end()
    if not out:
        raise BTFError(f"empty member path {path!r}")
    return out


def find_member(btf: BTF, type_id: int, name: str, _depth: int = 0) -> tuple[Member, int] | None:
    """The member ``name`` of a struct/union and its bit offset, looking into anonymous members."""
    if _depth > 32:
        raise BTFError(f"type id {type_id}: anonymous members nested too deeply or cyclic", section=".BTF")
    t = btf.resolve(type_id)
    if not isinstance(t, Struct | Union):
        return None
    for m in t.members:
        if m.name == name:
            return m, m.bit_offset
    for m in t.members:
        if not m.name:
            inner = find_member(btf, m.type_id, name, _depth + 1)
            if inner is not None:
                found, offset = inner
                return found, m.bit_offset + offset
    return None


def locate(btf: BTF, type_id: int, path: str) -> FieldLocation:
    """Resolve ``path`` (``a.b``, ``a->b``, ``a[3]``) starting at struct/union ``type_id``."""
    current = type_id
    bit_offset = 0
    bitfield_size = 0
    derefs: list[int] = []
    for token in _tokens(path):
        t = btf.resolve(current)
        if isinstance(token, int):
            if isinstance(t, Ptr):
                derefs.append(bit_offset // 8)
                bit_offset = 0
                current = t.type_id
            elif isinstance(t, Array):
                if token >= t.nelems and t.nelems:
                    raise BTFError(f"{path!r}: index {token} out of bounds for {btf.type_name(t.id)}")
                current = t.elem_type_id
            else:
                raise BTFError(f"{path!r}: cannot index {btf.type_name(t.id)}")
            bit_offset += token * btf.size_of(current) * 8
            bitfield_size = 0
            continue
        if isinstance(t, Ptr):
            if bit_offset % 8 or bitfield_size:
                raise BTFError(f"{path!r}: pointer before {token!r} is not byte-aligned")
            derefs.append(bit_offset // 8)
            bit_offset = 0
            current = t.type_id
            t = btf.resolve(current)
        if not isinstance(t, Struct | Union):
            raise BTFError(f"{path!r}: {btf.type_name(t.id)} has no member {token!r}")
        found = find_member(btf, t.id, token)
        if found is None:
            raise BTFError(f"{path!r}: {btf.type_name(t.id)} has no member {token!r}")
        member, offset = found
        bit_offset += offset
        bitfield_size = member.bitfield_size
        current = member.type_id
    return FieldLocation(path, current, bit_offset, bitfield_size, tuple(derefs))
