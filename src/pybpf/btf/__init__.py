"""BTF: the kernel's type format, parsed lazily, with layouts, codecs and dumps.

``BTF.vmlinux()`` opens the running kernel's types; ``btf.find("task_struct")`` decodes only what
it returns.  Types are frozen dataclasses that refer to each other by id.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .errors import BTFError, CodecError, TypeNotFound
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

# Resolved on first use so that opening BTF does not pay for codecs, BTF.ext or the writer.
_LAZY = {
    "FieldLocation": "fields",
    "BTFExt": "ext",
    "CoreRelo": "ext",
    "CoreReloKind": "ext",
    "FuncInfo": "ext",
    "LineInfo": "ext",
    "StructValue": "codec",
    "codec_for": "codec",
    "cstr": "codec",
    "build": "encode",
}

if TYPE_CHECKING:
    from .codec import StructValue, codec_for, cstr
    from .encode import build
    from .ext import BTFExt, CoreRelo, CoreReloKind, FuncInfo, LineInfo
    from .fields import FieldLocation


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "BTF",
    "Array",
    "BTFError",
    "BTFExt",
    "CodecError",
    "Const",
    "CoreRelo",
    "CoreReloKind",
    "Datasec",
    "DeclTag",
    "Enum",
    "Enum64",
    "EnumValue",
    "FieldLocation",
    "Float",
    "Func",
    "FuncInfo",
    "FuncProto",
    "Fwd",
    "Header",
    "Int",
    "IntEncoding",
    "Kind",
    "LineInfo",
    "Linkage",
    "Member",
    "Param",
    "Ptr",
    "Restrict",
    "Struct",
    "StructValue",
    "Type",
    "TypeNotFound",
    "TypeTag",
    "Typedef",
    "Union",
    "Var",
    "VarSecInfo",
    "Void",
    "Volatile",
    "build",
    "codec_for",
    "cstr",
]
