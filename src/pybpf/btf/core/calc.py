"""Matching a local access spec in a candidate and computing the values to patch in.

For each candidate the local path is replayed in the target: named members are looked up by
name (searching through anonymous members, which may differ between the two), array indices are
kept, and the last member's types must be compatible.  Every matching candidate then yields a
value; they must all agree, else the relocation is ambiguous.  When none matches, the value is
that of "not found": 0 for the existence and type queries, and a poisoned instruction for
anything that needs the field or enumerator to exist.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, replace, set_field
from pybpf._typing import TYPE_CHECKING

from ..ext import CoreReloKind
from ..types import Array, Enum, Enum64, Int, Ptr, Struct, Union
from .access import MAX_SPEC_LEN, Accessor, AccessSpec, is_flex_array, resolve_size, skip_mods
from .candidates import Candidate
from .compat import fields_are_compat, types_are_compat, types_match
from .errors import CoreAmbiguity, CoreError
from .names import essential_name

if TYPE_CHECKING:
    from ..spec import BTF

_SIZES = {1, 2, 4, 8}


@dataclass(frozen=True, slots=True, init=False)
class Resolution:
    """The outcome for one record before patching.

    ``local_value`` is what the compiler put in the instruction (checked when ``validate``),
    ``target_value`` what goes in.  ``local_size``/``target_size`` are the field sizes of a
    FIELD_BYTE_OFFSET on a plain field, used to resize loads and stores; ``size_mismatch`` means
    the field changed size in a way a resized load would read wrongly.
    """

    local_value: int = 0
    target_value: int = 0
    poisoned: bool = False
    reason: str = ""
    validate: bool = True
    local_size: int = 0
    target_size: int = 0
    size_mismatch: bool = False
    target: AccessSpec | None = None
    matched: tuple[Candidate, ...] = ()

    @property
    def candidates(self) -> int:
        """How many target types matched (and agreed)."""
        return len(self.matched)

    def __init__(
        self,
        local_value: int = 0,
        target_value: int = 0,
        poisoned: bool = False,
        reason: str = "",
        validate: bool = True,
        local_size: int = 0,
        target_size: int = 0,
        size_mismatch: bool = False,
        target: AccessSpec | None = None,
        matched: tuple[Candidate, ...] = (),
    ) -> None:
        set_field(self, "local_value", local_value)
        set_field(self, "target_value", target_value)
        set_field(self, "poisoned", poisoned)
        set_field(self, "reason", reason)
        set_field(self, "validate", validate)
        set_field(self, "local_size", local_size)
        set_field(self, "target_size", target_size)
        set_field(self, "size_mismatch", size_mismatch)
        set_field(self, "target", target)
        set_field(self, "matched", matched)


class _Unsatisfied(Exception):
    """Internal: the value cannot exist on this target, poison the instruction."""


def match_spec(local: AccessSpec, cand: Candidate) -> AccessSpec | None:
    """``local`` replayed in the candidate, or None when the candidate does not have it."""
    btf, root = cand.btf, cand.type_id
    kind = local.kind
    if kind.is_type:
        if kind == CoreReloKind.TYPE_MATCHES:
            ok = types_match(local.btf, local.root_type_id, btf, root)
        else:
            ok = types_are_compat(local.btf, local.root_type_id, btf, root)
        return AccessSpec(btf, root, kind, (), (0,), 0) if ok else None
    if kind.is_enumval:
        return _match_enumval(local, btf, root)
    return _match_field(local, btf, root)


def _match_enumval(local: AccessSpec, btf: BTF, root: int) -> AccessSpec | None:
    t = btf.resolve(root)
    if not isinstance(t, Enum | Enum64):
        return None
    wanted = essential_name(local.accessors[0].name or "")
    for i, value in enumerate(t.values):
        if essential_name(value.name) == wanted:
            return AccessSpec(btf, root, local.kind, (Accessor(t.id, i, value.name),), (i,), 0)
    return None


def _match_field(local: AccessSpec, btf: BTF, root: int) -> AccessSpec | None:
    accessors: list[Accessor] = []
    raw: list[int] = []
    bit_offset = 0
    current = root
    for i, lacc in enumerate(local.accessors):
        current = skip_mods(btf, current)
        if lacc.name is not None:
            found = _match_member(local.btf, lacc, btf, current, raw)
            if found is None:
                return None
            tacc, member_type, offset = found
            accessors.append(tacc)
            bit_offset += offset
            current = member_type
            continue
        if i > 0:
            t = btf[current]
            if not isinstance(t, Array):
                return None
            if not is_flex_array(btf, accessors[-1] if accessors else None, t) and lacc.index >= t.nelems:
                return None
            current = skip_mods(btf, t.elem_type_id)
        if len(raw) >= MAX_SPEC_LEN:
            raise CoreError("access path nests too deeply in the target")
        accessors.append(Accessor(current, lacc.index, None))
        raw.append(lacc.index)
        bit_offset += lacc.index * resolve_size(btf, current) * 8
    return AccessSpec(btf, root, local.kind, tuple(accessors), tuple(raw), bit_offset)


def _match_member(
    local_btf: BTF, lacc: Accessor, btf: BTF, type_id: int, raw: list[int], depth: int = 0
) -> tuple[Accessor, int, int] | None:
    """Find member ``lacc.name`` in composite ``type_id`` (through anonymous members).

    Returns the target accessor, the member's type id and its bit offset within ``type_id``;
    appends the member indices walked to ``raw``.
    """
    if depth > MAX_SPEC_LEN:
        raise CoreError("anonymous members nest too deeply in the target")
    local_holder = local_btf[lacc.type_id]
    assert isinstance(local_holder, Struct | Union)
    local_member = local_holder.members[lacc.index]
    t = btf.resolve(type_id)
    if not isinstance(t, Struct | Union):
        return None
    for i, m in enumerate(t.members):
        if len(raw) >= MAX_SPEC_LEN:
            raise CoreError("access path nests too deeply in the target")
        raw.append(i)
        if not m.name:
            inner = _match_member(local_btf, lacc, btf, m.type_id, raw, depth + 1)
            if inner is not None:
                tacc, member_type, offset = inner
                return tacc, member_type, m.bit_offset + offset
        elif m.name == local_member.name:
            if fields_are_compat(local_btf, local_member.type_id, btf, m.type_id):
                return Accessor(t.id, i, m.name), m.type_id, m.bit_offset
            raw.pop()
            return None
        raw.pop()
    return None


# ------------------------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True, init=False)
class _FieldValue:
    """A computed relocation value, with what patching a load or store of it needs."""

    value: int
    size: int = 0  # field size for load/store resizing (0: not a plain field offset)
    type_id: int = 0
    validate: bool = True

    def __init__(self, value: int, size: int = 0, type_id: int = 0, validate: bool = True) -> None:
        set_field(self, "value", value)
        set_field(self, "size", size)
        set_field(self, "type_id", type_id)
        set_field(self, "validate", validate)


def field_value(kind: CoreReloKind, spec: AccessSpec | None) -> _FieldValue:
    """The value of a field relocation in ``spec`` (None: the field does not exist)."""
    if kind == CoreReloKind.FIELD_EXISTS:
        return _FieldValue(1 if spec is not None else 0)
    if spec is None:
        raise _Unsatisfied
    btf = spec.btf
    acc = spec.accessors[-1]
    if acc.name is None:
        size = resolve_size(btf, acc.type_id)
        if kind == CoreReloKind.FIELD_BYTE_OFFSET:
            return _FieldValue(spec.bit_offset // 8, size, acc.type_id)
        if kind == CoreReloKind.FIELD_BYTE_SIZE:
            return _FieldValue(size)
        raise CoreError(f"{kind.name} cannot be applied to an array element access")
    holder = btf[acc.type_id]
    assert isinstance(holder, Struct | Union)
    member = holder.members[acc.index]
    mt = btf.resolve(member.type_id)
    bit_off = spec.bit_offset
    bit_size = member.bitfield_size
    bitfield = bit_size > 0
    if bitfield:
        byte_size = getattr(mt, "size", 0)
        if byte_size not in _SIZES:
            raise CoreError(f"bitfield {member.name!r} has a base type of size {byte_size}")
        byte_off = bit_off // 8 // byte_size * byte_size
        while bit_off + bit_size - byte_off * 8 > byte_size * 8:
            if byte_size >= 8:
                raise CoreError(f"bitfield {member.name!r} cannot be read with one 64-bit load")
            byte_size *= 2
            byte_off = bit_off // 8 // byte_size * byte_size
    else:
        byte_size = resolve_size(btf, mt.id)
        byte_off = bit_off // 8
        bit_size = byte_size * 8
    if kind == CoreReloKind.FIELD_BYTE_OFFSET:
        if bitfield:
            return _FieldValue(byte_off, validate=False)
        return _FieldValue(byte_off, byte_size, mt.id)
    if kind == CoreReloKind.FIELD_BYTE_SIZE:
        return _FieldValue(byte_size, validate=not bitfield)
    if kind == CoreReloKind.FIELD_SIGNED:
        signed = (isinstance(mt, Enum | Enum64) and mt.signed) or (isinstance(mt, Int) and mt.signed)
        return _FieldValue(int(signed))
    if kind == CoreReloKind.FIELD_LSHIFT_U64:
        # Shift the field's top bit to bit 63 of the loaded value; where that bit sits in the
        # load depends on the byte order the BTF was written for.
        if btf.header.order == ">":
            return _FieldValue((8 - byte_size) * 8 + (bit_off - byte_off * 8), validate=not bitfield)
        return _FieldValue(64 - (bit_off + bit_size - byte_off * 8), validate=not bitfield)
    if kind == CoreReloKind.FIELD_RSHIFT_U64:
        return _FieldValue(64 - bit_size)
    raise CoreError(f"{kind.name} is not a field relocation")  # pragma: no cover


def type_value(kind: CoreReloKind, spec: AccessSpec | None) -> int:
    """The value of a type relocation (0 when the type does not exist in the target)."""
    if spec is None:
        return 0
    if kind in (CoreReloKind.TYPE_ID_TARGET, CoreReloKind.TYPE_ID_LOCAL):
        return spec.root_type_id
    if kind in (CoreReloKind.TYPE_EXISTS, CoreReloKind.TYPE_MATCHES):
        return 1
    if kind == CoreReloKind.TYPE_SIZE:
        return resolve_size(spec.btf, spec.root_type_id)
    raise CoreError(f"{kind.name} is not a type relocation")  # pragma: no cover


def enum_value(kind: CoreReloKind, spec: AccessSpec | None) -> int:
    """ENUMVAL_EXISTS (0/1) or ENUMVAL_VALUE (as a 64-bit pattern, sign-extended when signed)."""
    if kind == CoreReloKind.ENUMVAL_EXISTS:
        return 1 if spec is not None else 0
    if spec is None:
        raise _Unsatisfied
    acc = spec.accessors[0]
    t = spec.btf[acc.type_id]
    assert isinstance(t, Enum | Enum64)
    return t.values[acc.index].value & ((1 << 64) - 1)


def _values(local: AccessSpec, target: AccessSpec | None) -> Resolution:
    """Local and target values of one candidate (or of "not found" when ``target`` is None)."""
    kind = local.kind
    try:
        if kind.is_field:
            lv = field_value(kind, local)
            tv = field_value(kind, target)
            mismatch = False
            if not lv.size:
                # A local bitfield: the program picks its load width from FIELD_BYTE_SIZE.
                tv = replace(tv, size=0)
            elif lv.size != tv.size and target is not None:
                mismatch = not _resizable(local.btf, lv.type_id, target.btf, tv.type_id)
            return Resolution(
                lv.value,
                tv.value,
                validate=lv.validate,
                local_size=lv.size,
                target_size=tv.size,
                size_mismatch=mismatch,
                target=target,
            )
        if kind.is_type:
            validate = kind != CoreReloKind.TYPE_ID_TARGET
            return Resolution(
                type_value(kind, local), type_value(kind, target), validate=validate, target=target
            )
        return Resolution(enum_value(kind, local), enum_value(kind, target), target=target)
    except _Unsatisfied:
        return Resolution(poisoned=True, target=None)


def _resizable(local_btf: BTF, local_id: int, target_btf: BTF, target_id: int) -> bool:
    """A load may change width only for pointers and unsigned ints (zero extension keeps the value)."""
    lt = local_btf[local_id] if local_id else None
    tt = target_btf[target_id] if target_id else None
    if isinstance(lt, Ptr) and isinstance(tt, Ptr):
        return True
    return isinstance(lt, Int) and isinstance(tt, Int) and not lt.signed and not tt.signed


def resolve(local: AccessSpec, candidates: list[Candidate]) -> Resolution:
    """Match every candidate, check they agree, and return the relocation's values."""
    chosen: Resolution | None = None
    matched: list[Candidate] = []
    for cand in candidates:
        target = match_spec(local, cand)
        if target is None:
            continue
        res = _values(local, target)
        matched.append(cand)
        if chosen is None:
            chosen = res
            continue
        assert chosen.target is not None
        if target.bit_offset != chosen.target.bit_offset:
            raise CoreAmbiguity(f"field offset ambiguity: {chosen.target.describe()} vs {target.describe()}")
        if res.poisoned != chosen.poisoned or res.target_value != chosen.target_value:
            raise CoreAmbiguity(
                f"relocation decision ambiguity: {chosen.target.describe()} gives {chosen.target_value}, "
                f"{target.describe()} gives {res.target_value}"
            )
    if chosen is not None:
        return replace(chosen, matched=tuple(matched))
    return _values(local, None)


__all__ = ["Resolution", "enum_value", "field_value", "match_spec", "resolve", "type_value"]
