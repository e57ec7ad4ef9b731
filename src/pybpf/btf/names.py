"""C spelling of BTF types (``struct task_struct *``, ``int[16]``, ``void (*)(int)``).

C declarators read inside out, so the text is built from the outermost type towards the base type,
carrying the declarator written so far; a pointer to an array or function needs parentheses.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from .errors import BTFError, TypeNotFound
from .types import (
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
    from .spec import BTF

MAX_DEPTH = 64


def type_name(btf: BTF, type_id: int) -> str:
    """The C type name of ``type_id``; for a FUNC or VAR, its declaration with the name."""
    return _declare(btf, type_id, "", 0)


def _join(base: str, declarator: str) -> str:
    if not declarator:
        return base
    if declarator.startswith("["):
        return base + declarator
    return f"{base} {declarator}"


def _tag_name(keyword: str, name: str) -> str:
    return f"{keyword} {name}" if name else f"{keyword} (anon)"


def _declare(btf: BTF, type_id: int, declarator: str, depth: int) -> str:
    if depth > MAX_DEPTH:
        raise BTFError(f"type id {type_id}: type chain too deep or cyclic", section=".BTF")
    try:
        t = btf[type_id]
    except TypeNotFound:
        return _join(f"<missing type {type_id}>", declarator)
    if isinstance(t, Void):
        return _join("void", declarator)
    if isinstance(t, Int | Float | Typedef):
        return _join(t.name or "(anon)", declarator)
    if isinstance(t, Struct):
        return _join(_tag_name("struct", t.name), declarator)
    if isinstance(t, Union):
        return _join(_tag_name("union", t.name), declarator)
    if isinstance(t, Enum | Enum64):
        return _join(_tag_name("enum", t.name), declarator)
    if isinstance(t, Fwd):
        return _join(_tag_name("union" if t.is_union else "struct", t.name), declarator)
    if isinstance(t, Ptr):
        return _declare(btf, t.type_id, "*" + declarator, depth + 1)
    if isinstance(t, Const | Volatile | Restrict):
        qualifier = {Const: "const", Volatile: "volatile", Restrict: "restrict"}[type(t)]
        target = btf.get(t.type_id)
        if isinstance(target, Ptr | Array | FuncProto):
            # A qualified pointer: the qualifier sits right of the '*'.
            return _declare(btf, t.type_id, f"{qualifier} {declarator}".rstrip(), depth + 1)
        return f"{qualifier} " + _declare(btf, t.type_id, declarator, depth + 1)
    if isinstance(t, TypeTag):
        return _declare(btf, t.type_id, declarator, depth + 1)
    if isinstance(t, Array):
        inner = f"({declarator})" if declarator.startswith("*") else declarator
        return _declare(btf, t.elem_type_id, f"{inner}[{t.nelems}]", depth + 1)
    if isinstance(t, FuncProto):
        inner = f"({declarator})" if declarator.startswith("*") else declarator
        params = ", ".join(
            "..." if p.type_id == 0 else _declare(btf, p.type_id, p.name, depth + 1) for p in t.params
        )
        return _declare(btf, t.return_type_id, f"{inner}({params or 'void'})", depth + 1)
    if isinstance(t, Func):
        return _declare(btf, t.type_id, t.name + declarator, depth + 1)
    if isinstance(t, Var):
        return _declare(btf, t.type_id, t.name + declarator, depth + 1)
    if isinstance(t, Datasec):
        return f"SEC({t.name})"
    if isinstance(t, DeclTag):
        return f"__attribute__((btf_decl_tag({t.name!r})))"
    raise BTFError(f"type id {type_id}: cannot name kind {t.kind.name}", section=".BTF")  # pragma: no cover
