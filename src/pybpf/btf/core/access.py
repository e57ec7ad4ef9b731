"""Access specs: what a CO-RE record's access string ("0:1:2") denotes in a given BTF.

The string is a path of indices from the record's root type: the first is an index into an array
of the root (``p[0]``), each next one a member index (for structs/unions) or an element index (for
arrays).  Anonymous struct/union members appear in the raw path but are not *accessors*: when the
field is looked for in another BTF only named members and array indices must match, so the
target may nest the field under different anonymous members.  For enum records the single index
names an enumerator.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, set_field
from pybpf._typing import TYPE_CHECKING

from ..errors import BTFError
from ..ext import CoreReloKind
from ..types import Array, Enum, Enum64, Struct, Union
from .errors import CoreError

if TYPE_CHECKING:
    from ..spec import BTF

#: Longest access path accepted (libbpf's limit too: deeper nesting is not a real program).
MAX_SPEC_LEN = 64


@dataclass(frozen=True, slots=True, init=False)
class Accessor:
    """One step of a path that must match in the target.

    For a named member, ``type_id`` is the struct/union holding it and ``index`` the member's
    position; for an array index (``name is None``) ``type_id`` is the element type; for an
    enumerator, ``type_id`` is the enum.
    """

    type_id: int
    index: int
    name: str | None

    def __init__(self, type_id: int, index: int, name: str | None) -> None:
        set_field(self, "type_id", type_id)
        set_field(self, "index", index)
        set_field(self, "name", name)


@dataclass(frozen=True, slots=True, init=False, eq=False)
class AccessSpec:
    """A resolved access path in one BTF; ``bit_offset`` is from the start of the root object."""

    btf: BTF
    root_type_id: int
    kind: CoreReloKind
    accessors: tuple[Accessor, ...] = ()
    raw: tuple[int, ...] = ()
    bit_offset: int = 0

    @property
    def path(self) -> str:
        """The C member path of a field spec (``inner.v``, ``items[1].v``; ``[2]`` for ``p[2]``)."""
        text = ""
        for i, acc in enumerate(self.accessors):
            if acc.name is not None:
                text += f".{acc.name}"
            elif i > 0 or acc.index:
                text += f"[{acc.index}]"
        return text.lstrip(".")

    def describe(self) -> str:
        """libbpf-like text: ``[7] struct foo.a.b[2] (0:1:0:2 @ offset 12)``."""
        return describe_spec(self)

    def __init__(
        self,
        btf: BTF,
        root_type_id: int,
        kind: CoreReloKind,
        accessors: tuple[Accessor, ...] = (),
        raw: tuple[int, ...] = (),
        bit_offset: int = 0,
    ) -> None:
        set_field(self, "btf", btf)
        set_field(self, "root_type_id", root_type_id)
        set_field(self, "kind", kind)
        set_field(self, "accessors", accessors)
        set_field(self, "raw", raw)
        set_field(self, "bit_offset", bit_offset)


def resolve_size(btf: BTF, type_id: int) -> int:
    """``sizeof`` of a type, as a CO-RE error when it has none (functions, void)."""
    try:
        return btf.size_of(type_id)
    except BTFError as exc:
        raise CoreError(f"type [{type_id}] has no size: {exc.reason}") from exc


def skip_mods(btf: BTF, type_id: int) -> int:
    """Id of the type behind typedefs and qualifiers."""
    return btf.resolve(type_id).id


def parse_access(text: str) -> tuple[int, ...]:
    """``"0:1:2"`` as numbers; rejects empty, signed or oversized paths."""
    if not text or len(text) > 4 * MAX_SPEC_LEN * 3:
        raise CoreError(f"bad access string {text!r}")
    parts = text.split(":")
    if len(parts) > MAX_SPEC_LEN or not all(p.isdigit() and p.isascii() for p in parts):
        raise CoreError(f"bad access string {text!r}")
    return tuple(int(p) for p in parts)


def is_flex_array(btf: BTF, parent: Accessor | None, array: Array) -> bool:
    """A zero-length array that is the last member of its struct may be indexed past its end."""
    if parent is None or parent.name is None or array.nelems > 0:
        return False
    holder = btf[parent.type_id]
    return isinstance(holder, Struct | Union) and parent.index == len(holder.members) - 1


def parse_spec(btf: BTF, type_id: int, access: str, kind: CoreReloKind) -> AccessSpec:
    """Walk ``access`` from ``type_id`` in ``btf``; raises :class:`CoreError` if it does not fit."""
    raw = parse_access(access)
    if kind.is_type:
        if raw != (0,):
            raise CoreError(f"type relocation {kind.name} wants access string '0', got {access!r}")
        return AccessSpec(btf, type_id, kind, (), raw, 0)
    root = btf.resolve(type_id)
    first = raw[0]
    if kind.is_enumval:
        if not isinstance(root, Enum | Enum64) or len(raw) > 1 or first >= len(root.values):
            raise CoreError(
                f"enum relocation {access!r} does not name an enumerator of {btf.type_name(type_id)}"
            )
        acc = Accessor(root.id, first, root.values[first].name)
        return AccessSpec(btf, type_id, kind, (acc,), raw, 0)
    if not kind.is_field:  # pragma: no cover - every kind is one of the three
        raise CoreError(f"unknown relocation kind {kind}")
    accessors = [Accessor(root.id, first, None)]
    bit_offset = first * resolve_size(btf, root.id) * 8
    current = root.id
    for step, index in enumerate(raw[1:], start=1):
        t = btf.resolve(current)
        if isinstance(t, Struct | Union):
            if index >= len(t.members):
                raise CoreError(
                    f"access {access!r}: member #{index} of {btf.type_name(t.id)} does not exist "
                    f"(it has {len(t.members)})"
                )
            member = t.members[index]
            bit_offset += member.bit_offset
            if member.name:
                accessors.append(Accessor(t.id, index, member.name))
            current = member.type_id
        elif isinstance(t, Array):
            elem = skip_mods(btf, t.elem_type_id)
            if not is_flex_array(btf, accessors[-1], t) and index >= t.nelems:
                raise CoreError(f"access {access!r}: index {index} out of bounds of {btf.type_name(t.id)}")
            accessors.append(Accessor(elem, index, None))
            bit_offset += index * resolve_size(btf, elem) * 8
            current = elem
        else:
            raise CoreError(
                f"access {access!r} (step {step}) goes into {btf.type_name(t.id)}, "
                f"which is not a struct, union or array"
            )
    return AccessSpec(btf, type_id, kind, tuple(accessors), raw, bit_offset)


def describe_spec(spec: AccessSpec) -> str:
    """Type, C-like path, raw path and offset of a spec, for error messages and logs."""
    btf = spec.btf
    try:
        head = f"[{spec.root_type_id}] {btf.type_name(spec.root_type_id)}"
    except BTFError:
        head = f"[{spec.root_type_id}]"
    raw = ":".join(str(i) for i in spec.raw)
    if spec.kind.is_type:
        return head
    if spec.kind.is_enumval:
        name = spec.accessors[0].name if spec.accessors else "?"
        value = _enum_value_text(spec)
        return f"{head}::{name} = {value}"
    path = spec.path
    if path and not path.startswith("["):
        path = "." + path
    return f"{head}{path} ({raw} @ offset {spec.bit_offset // 8}" + (
        f".{spec.bit_offset % 8})" if spec.bit_offset % 8 else ")"
    )


def _enum_value_text(spec: AccessSpec) -> str:
    if not spec.accessors:
        return "?"
    t = spec.btf.get(spec.accessors[0].type_id)
    if isinstance(t, Enum | Enum64) and spec.accessors[0].index < len(t.values):
        return str(t.values[spec.accessors[0].index].value)
    return "?"


__all__ = [
    "MAX_SPEC_LEN",
    "AccessSpec",
    "Accessor",
    "describe_spec",
    "is_flex_array",
    "parse_access",
    "parse_spec",
    "resolve_size",
    "skip_mods",
]
