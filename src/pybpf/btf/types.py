"""The BTF type model: one frozen dataclass per kind.

Types point at each other by id (``type_id``), never by object reference, so one type can be
decoded without touching the rest of a 150k-type graph and the values stay hashable and cheap to
compare.  Names are already resolved to ``str`` ("" when anonymous) because nobody wants to carry
the string table around to print a type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar


class Kind(enum.IntEnum):
    """``BTF_KIND_*``: the 5-bit kind field of a type's ``info`` word."""

    VOID = 0
    INT = 1
    PTR = 2
    ARRAY = 3
    STRUCT = 4
    UNION = 5
    ENUM = 6
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12
    FUNC_PROTO = 13
    VAR = 14
    DATASEC = 15
    FLOAT = 16
    DECL_TAG = 17
    TYPE_TAG = 18
    ENUM64 = 19


class IntEncoding(enum.IntFlag):
    """``BTF_INT_*`` encoding bits; an unsigned, non-char, non-bool int has none."""

    NONE = 0
    SIGNED = 1
    CHAR = 2
    BOOL = 4


class Linkage(enum.IntEnum):
    """Linkage of a FUNC (``BTF_FUNC_*``) or VAR (``BTF_VAR_*``): both use the same numbers."""

    STATIC = 0
    GLOBAL = 1
    EXTERN = 2


@dataclass(frozen=True, slots=True)
class Type:
    """Fields every kind has.  ``id`` is the type's index in its BTF (0 is void)."""

    id: int
    name: str

    kind: ClassVar[Kind] = Kind.VOID


@dataclass(frozen=True, slots=True)
class Void(Type):
    """Type id 0; never stored in the type section."""

    kind: ClassVar[Kind] = Kind.VOID


@dataclass(frozen=True, slots=True)
class Int(Type):
    size: int
    encoding: IntEncoding = IntEncoding.NONE
    bit_offset: int = 0
    bits: int = 0

    kind: ClassVar[Kind] = Kind.INT

    @property
    def signed(self) -> bool:
        return bool(self.encoding & IntEncoding.SIGNED)


@dataclass(frozen=True, slots=True)
class Ptr(Type):
    type_id: int

    kind: ClassVar[Kind] = Kind.PTR


@dataclass(frozen=True, slots=True)
class Array(Type):
    elem_type_id: int
    index_type_id: int
    nelems: int

    kind: ClassVar[Kind] = Kind.ARRAY


@dataclass(frozen=True, slots=True)
class Member:
    """A struct/union member.  ``bitfield_size`` is 0 for a plain (non-bitfield) member."""

    name: str
    type_id: int
    bit_offset: int
    bitfield_size: int = 0

    @property
    def byte_offset(self) -> int:
        """Offset of the byte holding the member's first bit."""
        return self.bit_offset // 8


@dataclass(frozen=True, slots=True)
class Struct(Type):
    """``kind_flag`` set means member offsets carry a bitfield size in their top 8 bits."""

    size: int
    members: tuple[Member, ...] = ()
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.STRUCT


@dataclass(frozen=True, slots=True)
class Union(Type):
    size: int
    members: tuple[Member, ...] = ()
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.UNION


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Enum(Type):
    """A 32-bit-valued enum; ``signed`` is the kind flag (values read as s32 rather than u32)."""

    size: int
    values: tuple[EnumValue, ...] = ()
    signed: bool = False

    kind: ClassVar[Kind] = Kind.ENUM


@dataclass(frozen=True, slots=True)
class Enum64(Type):
    size: int
    values: tuple[EnumValue, ...] = ()
    signed: bool = False

    kind: ClassVar[Kind] = Kind.ENUM64


@dataclass(frozen=True, slots=True)
class Fwd(Type):
    is_union: bool = False

    kind: ClassVar[Kind] = Kind.FWD


@dataclass(frozen=True, slots=True)
class Typedef(Type):
    type_id: int

    kind: ClassVar[Kind] = Kind.TYPEDEF


@dataclass(frozen=True, slots=True)
class Volatile(Type):
    type_id: int

    kind: ClassVar[Kind] = Kind.VOLATILE


@dataclass(frozen=True, slots=True)
class Const(Type):
    type_id: int

    kind: ClassVar[Kind] = Kind.CONST


@dataclass(frozen=True, slots=True)
class Restrict(Type):
    type_id: int

    kind: ClassVar[Kind] = Kind.RESTRICT


@dataclass(frozen=True, slots=True)
class TypeTag(Type):
    """``btf_type_tag``; ``kind_flag`` marks a tag spelled as a plain ``__attribute__``."""

    type_id: int
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.TYPE_TAG


@dataclass(frozen=True, slots=True)
class Func(Type):
    """A function; ``type_id`` points at its FUNC_PROTO."""

    type_id: int
    linkage: Linkage | int = Linkage.STATIC

    kind: ClassVar[Kind] = Kind.FUNC


@dataclass(frozen=True, slots=True)
class Param:
    """A prototype parameter; a last param with ``type_id == 0`` and no name means ``...``."""

    name: str
    type_id: int


@dataclass(frozen=True, slots=True)
class FuncProto(Type):
    return_type_id: int
    params: tuple[Param, ...] = ()

    kind: ClassVar[Kind] = Kind.FUNC_PROTO

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].type_id == 0 and not self.params[-1].name


@dataclass(frozen=True, slots=True)
class Var(Type):
    type_id: int
    linkage: Linkage | int = Linkage.STATIC

    kind: ClassVar[Kind] = Kind.VAR


@dataclass(frozen=True, slots=True)
class VarSecInfo:
    """Where a VAR (or FUNC, for externs in ``.ksyms``) sits inside its DATASEC."""

    type_id: int
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Datasec(Type):
    size: int
    vars: tuple[VarSecInfo, ...] = ()

    kind: ClassVar[Kind] = Kind.DATASEC


@dataclass(frozen=True, slots=True)
class Float(Type):
    size: int

    kind: ClassVar[Kind] = Kind.FLOAT


@dataclass(frozen=True, slots=True)
class DeclTag(Type):
    """A ``btf_decl_tag`` on a type, or on one of its members/params when ``component_idx >= 0``."""

    type_id: int
    component_idx: int = -1
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.DECL_TAG


AnyType = (
    Void
    | Int
    | Ptr
    | Array
    | Struct
    | Union
    | Enum
    | Enum64
    | Fwd
    | Typedef
    | Volatile
    | Const
    | Restrict
    | TypeTag
    | Func
    | FuncProto
    | Var
    | Datasec
    | Float
    | DeclTag
)

#: Kinds that are a thin wrapper around another type (followed by ``BTF.resolve``).
MODIFIER_KINDS = frozenset({Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG})

#: Class for each kind, for code that builds types generically.
CLASS_OF_KIND: dict[Kind, type[Type]] = {
    cls.kind: cls
    for cls in (
        Void,
        Int,
        Ptr,
        Array,
        Struct,
        Union,
        Enum,
        Enum64,
        Fwd,
        Typedef,
        Volatile,
        Const,
        Restrict,
        TypeTag,
        Func,
        FuncProto,
        Var,
        Datasec,
        Float,
        DeclTag,
    )
}

__all__ = [
    "CLASS_OF_KIND",
    "MODIFIER_KINDS",
    "AnyType",
    "Array",
    "Const",
    "Datasec",
    "DeclTag",
    "Enum",
    "Enum64",
    "EnumValue",
    "Float",
    "Func",
    "FuncProto",
    "Fwd",
    "Int",
    "IntEncoding",
    "Kind",
    "Linkage",
    "Member",
    "Param",
    "Ptr",
    "Restrict",
    "Struct",
    "Type",
    "TypeTag",
    "Typedef",
    "Union",
    "Var",
    "VarSecInfo",
    "Void",
    "Volatile",
]
