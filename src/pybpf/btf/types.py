"""The BTF type model: one frozen dataclass per kind.

Types point at each other by id (``type_id``), never by object reference, so one type can be
decoded without touching the rest of a 150k-type graph and the values stay hashable and cheap to
compare.  Names are already resolved to ``str`` ("" when anonymous) because nobody wants to carry
the string table around to print a type.

They are real dataclasses (``dataclasses.replace``/``fields``/``asdict`` work), but their
methods are written here instead of generated: ``@dataclass`` compiles half a dozen functions
per class at import, and for these 25 classes that cost more than all the rest of opening
vmlinux BTF.  :class:`_Record` holds the comparison, hashing, ``repr`` and immutability that
``frozen=True`` would generate, with the same behaviour.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import ClassVar

from pybpf._dataclasses import dataclass, set_field

from .._enum import KernelIntEnum, KernelIntFlag


class Kind(KernelIntEnum):
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


class IntEncoding(KernelIntFlag):
    """``BTF_INT_*`` encoding bits; an unsigned, non-char, non-bool int has none."""

    NONE = 0
    SIGNED = 1
    CHAR = 2
    BOOL = 4


class Linkage(KernelIntEnum):
    """Linkage of a FUNC (``BTF_FUNC_*``) or VAR (``BTF_VAR_*``): both use the same numbers."""

    STATIC = 0
    GLOBAL = 1
    EXTERN = 2


@dataclass(frozen=True, slots=True, init=False)
class Type:
    """Fields every kind has.  ``id`` is the type's index in its BTF (0 is void)."""

    id: int
    name: str

    kind: ClassVar[Kind] = Kind.VOID

    def __init__(self, id: int, name: str) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)


@dataclass(frozen=True, slots=True, init=False)
class Void(Type):
    """Type id 0; never stored in the type section."""

    kind: ClassVar[Kind] = Kind.VOID

    def __init__(self, id: int, name: str) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)


@dataclass(frozen=True, slots=True, init=False)
class Int(Type):
    """``encoding``, ``bit_offset`` and ``bits`` are the second info word of ``BTF_KIND_INT``."""

    size: int
    encoding: IntEncoding = IntEncoding.NONE
    bit_offset: int = 0
    bits: int = 0

    kind: ClassVar[Kind] = Kind.INT

    @property
    def signed(self) -> bool:
        return bool(self.encoding & IntEncoding.SIGNED)

    def __init__(
        self,
        id: int,
        name: str,
        size: int,
        encoding: IntEncoding = IntEncoding.NONE,
        bit_offset: int = 0,
        bits: int = 0,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)
        set_field(self, "encoding", encoding)
        set_field(self, "bit_offset", bit_offset)
        set_field(self, "bits", bits)


@dataclass(frozen=True, slots=True, init=False)
class Ptr(Type):
    """A pointer to ``type_id`` (0 for ``void *``)."""

    type_id: int

    kind: ClassVar[Kind] = Kind.PTR

    def __init__(self, id: int, name: str, type_id: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class Array(Type):
    """``nelems`` elements of ``elem_type_id``; ``index_type_id`` is what the compiler emitted for the index."""

    elem_type_id: int
    index_type_id: int
    nelems: int

    kind: ClassVar[Kind] = Kind.ARRAY

    def __init__(self, id: int, name: str, elem_type_id: int, index_type_id: int, nelems: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "elem_type_id", elem_type_id)
        set_field(self, "index_type_id", index_type_id)
        set_field(self, "nelems", nelems)


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(self, name: str, type_id: int, bit_offset: int, bitfield_size: int = 0) -> None:
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)
        set_field(self, "bit_offset", bit_offset)
        set_field(self, "bitfield_size", bitfield_size)


@dataclass(frozen=True, slots=True, init=False)
class Struct(Type):
    """``kind_flag`` set means member offsets carry a bitfield size in their top 8 bits."""

    size: int
    members: tuple[Member, ...] = ()
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.STRUCT

    def __init__(
        self,
        id: int,
        name: str,
        size: int,
        members: tuple[Member, ...] = (),
        kind_flag: bool = False,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)
        set_field(self, "members", members)
        set_field(self, "kind_flag", kind_flag)


@dataclass(frozen=True, slots=True, init=False)
class Union(Type):
    """Like :class:`Struct`: every member at bit offset 0 unless the layout says otherwise."""

    size: int
    members: tuple[Member, ...] = ()
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.UNION

    def __init__(
        self,
        id: int,
        name: str,
        size: int,
        members: tuple[Member, ...] = (),
        kind_flag: bool = False,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)
        set_field(self, "members", members)
        set_field(self, "kind_flag", kind_flag)


@dataclass(frozen=True, slots=True, init=False)
class EnumValue:
    """One enumerator; ``value`` is already sign-extended when the enum is signed."""

    name: str
    value: int

    def __init__(self, name: str, value: int) -> None:
        set_field(self, "name", name)
        set_field(self, "value", value)


@dataclass(frozen=True, slots=True, init=False)
class Enum(Type):
    """A 32-bit-valued enum; ``signed`` is the kind flag (values read as s32 rather than u32)."""

    size: int
    values: tuple[EnumValue, ...] = ()
    signed: bool = False

    kind: ClassVar[Kind] = Kind.ENUM

    def __init__(
        self,
        id: int,
        name: str,
        size: int,
        values: tuple[EnumValue, ...] = (),
        signed: bool = False,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)
        set_field(self, "values", values)
        set_field(self, "signed", signed)


@dataclass(frozen=True, slots=True, init=False)
class Enum64(Type):
    """A 64-bit-valued enum (``BTF_KIND_ENUM64``); ``signed`` is the kind flag."""

    size: int
    values: tuple[EnumValue, ...] = ()
    signed: bool = False

    kind: ClassVar[Kind] = Kind.ENUM64

    def __init__(
        self,
        id: int,
        name: str,
        size: int,
        values: tuple[EnumValue, ...] = (),
        signed: bool = False,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)
        set_field(self, "values", values)
        set_field(self, "signed", signed)


@dataclass(frozen=True, slots=True, init=False)
class Fwd(Type):
    """A forward declaration of a struct (or, with ``is_union``, a union)."""

    is_union: bool = False

    kind: ClassVar[Kind] = Kind.FWD

    def __init__(self, id: int, name: str, is_union: bool = False) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "is_union", is_union)


@dataclass(frozen=True, slots=True, init=False)
class Typedef(Type):
    """A name for ``type_id``."""

    type_id: int

    kind: ClassVar[Kind] = Kind.TYPEDEF

    def __init__(self, id: int, name: str, type_id: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class Volatile(Type):
    """The ``volatile`` modifier of ``type_id``."""

    type_id: int

    kind: ClassVar[Kind] = Kind.VOLATILE

    def __init__(self, id: int, name: str, type_id: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class Const(Type):
    """The ``const`` modifier of ``type_id``."""

    type_id: int

    kind: ClassVar[Kind] = Kind.CONST

    def __init__(self, id: int, name: str, type_id: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class Restrict(Type):
    """The ``restrict`` modifier of ``type_id``."""

    type_id: int

    kind: ClassVar[Kind] = Kind.RESTRICT

    def __init__(self, id: int, name: str, type_id: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class TypeTag(Type):
    """``btf_type_tag``; ``kind_flag`` marks a tag spelled as a plain ``__attribute__``."""

    type_id: int
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.TYPE_TAG

    def __init__(self, id: int, name: str, type_id: int, kind_flag: bool = False) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)
        set_field(self, "kind_flag", kind_flag)


@dataclass(frozen=True, slots=True, init=False)
class Func(Type):
    """A function; ``type_id`` points at its FUNC_PROTO."""

    type_id: int
    linkage: Linkage | int = Linkage.STATIC

    kind: ClassVar[Kind] = Kind.FUNC

    def __init__(self, id: int, name: str, type_id: int, linkage: Linkage | int = Linkage.STATIC) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)
        set_field(self, "linkage", linkage)


@dataclass(frozen=True, slots=True, init=False)
class Param:
    """A prototype parameter; a last param with ``type_id == 0`` and no name means ``...``."""

    name: str
    type_id: int

    def __init__(self, name: str, type_id: int) -> None:
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class FuncProto(Type):
    """A function signature; FUNCs and function pointers point at one."""

    return_type_id: int
    params: tuple[Param, ...] = ()

    kind: ClassVar[Kind] = Kind.FUNC_PROTO

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].type_id == 0 and not self.params[-1].name

    def __init__(self, id: int, name: str, return_type_id: int, params: tuple[Param, ...] = ()) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "return_type_id", return_type_id)
        set_field(self, "params", params)


@dataclass(frozen=True, slots=True, init=False)
class Var(Type):
    """A global variable; its place in memory is given by the DATASEC listing it."""

    type_id: int
    linkage: Linkage | int = Linkage.STATIC

    kind: ClassVar[Kind] = Kind.VAR

    def __init__(self, id: int, name: str, type_id: int, linkage: Linkage | int = Linkage.STATIC) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)
        set_field(self, "linkage", linkage)


@dataclass(frozen=True, slots=True, init=False)
class VarSecInfo:
    """Where a VAR (or FUNC, for externs in ``.ksyms``) sits inside its DATASEC."""

    type_id: int
    offset: int
    size: int

    def __init__(self, type_id: int, offset: int, size: int) -> None:
        set_field(self, "type_id", type_id)
        set_field(self, "offset", offset)
        set_field(self, "size", size)


@dataclass(frozen=True, slots=True, init=False)
class Datasec(Type):
    """An ELF data section (``.data``, ``.bss``, ``.maps``...): the variables placed in it."""

    size: int
    vars: tuple[VarSecInfo, ...] = ()

    kind: ClassVar[Kind] = Kind.DATASEC

    def __init__(self, id: int, name: str, size: int, vars: tuple[VarSecInfo, ...] = ()) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)
        set_field(self, "vars", vars)


@dataclass(frozen=True, slots=True, init=False)
class Float(Type):
    """A floating-point type of ``size`` bytes."""

    size: int

    kind: ClassVar[Kind] = Kind.FLOAT

    def __init__(self, id: int, name: str, size: int) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "size", size)


@dataclass(frozen=True, slots=True, init=False)
class DeclTag(Type):
    """A ``btf_decl_tag`` on a type, or on one of its members/params when ``component_idx >= 0``."""

    type_id: int
    component_idx: int = -1
    kind_flag: bool = False

    kind: ClassVar[Kind] = Kind.DECL_TAG

    def __init__(
        self,
        id: int,
        name: str,
        type_id: int,
        component_idx: int = -1,
        kind_flag: bool = False,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "name", name)
        set_field(self, "type_id", type_id)
        set_field(self, "component_idx", component_idx)
        set_field(self, "kind_flag", kind_flag)


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
