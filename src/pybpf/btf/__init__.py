"""BTF: the kernel's type format, parsed lazily, with layouts, codecs and dumps.

``BTF.vmlinux()`` opens the running kernel's types; ``btf.find("task_struct")`` decodes only what
it returns.  Types are frozen dataclasses that refer to each other by id.
"""

from __future__ import annotations

from .errors import BTFError, TypeNotFound
from .fields import FieldLocation
from .spec import BTF, Header
from .types import (
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
    Type,
    Typedef,
    TypeTag,
    Union,
    Var,
    VarSecInfo,
    Void,
    Volatile,
)

__all__ = [
    "BTF",
    "Array",
    "BTFError",
    "Const",
    "Datasec",
    "DeclTag",
    "Enum",
    "Enum64",
    "EnumValue",
    "FieldLocation",
    "Float",
    "Func",
    "FuncProto",
    "Fwd",
    "Header",
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
    "TypeNotFound",
    "TypeTag",
    "Typedef",
    "Union",
    "Var",
    "VarSecInfo",
    "Void",
    "Volatile",
]
