"""When a target type can stand in for a local one: three relations of increasing strictness.

* :func:`fields_are_compat`: the last step of a field access (any int for any int, any pointer
  for any pointer, structs for structs) so that a read of the target field still makes sense.
* :func:`types_are_compat`: the shape of a type for TYPE_ID/TYPE_EXISTS/TYPE_SIZE, looking
  through pointers, arrays and function prototypes but not into struct members.
* :func:`types_match`: TYPE_MATCHES, a deeper check that every local member, enumerator and
  parameter has a same-named, matching counterpart in the target.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from ..types import (
    AnyType,
    Array,
    Enum,
    Enum64,
    Float,
    FuncProto,
    Fwd,
    Int,
    Kind,
    Ptr,
    Struct,
    Union,
    Void,
)
from .errors import CoreError
from .names import essential_name, names_match

if TYPE_CHECKING:
    from ..spec import BTF

#: How deep the type relations follow pointers, arrays and prototypes before giving up.
MAX_DEPTH = 32

_ENUM_KINDS = (Kind.ENUM, Kind.ENUM64)


def kinds_compat(local: Kind, target: Kind) -> bool:
    """Same kind, except that a 32-bit and a 64-bit enum stand for each other."""
    return local == target or (local in _ENUM_KINDS and target in _ENUM_KINDS)


def _composite(t: AnyType) -> bool:
    return isinstance(t, Struct | Union)


def _essential_equal_or_anon(local: str, target: str) -> bool:
    a, b = essential_name(local), essential_name(target)
    return not a or not b or a == b


def fields_are_compat(local_btf: BTF, local_id: int, target_btf: BTF, target_id: int) -> bool:
    """Can a field of type ``target_id`` be read where the program expects ``local_id``?"""
    for _ in range(MAX_DEPTH):
        lt = local_btf.resolve(local_id)
        tt = target_btf.resolve(target_id)
        if _composite(lt) and _composite(tt):
            return True
        if not kinds_compat(lt.kind, tt.kind):
            return False
        if isinstance(lt, Ptr | Float):
            return True
        if isinstance(lt, Fwd | Enum | Enum64):
            return _essential_equal_or_anon(lt.name, tt.name)
        if isinstance(lt, Int):
            assert isinstance(tt, Int)
            # Old-style bitfield ints (with an encoding offset) are the only ints rejected.
            return lt.bit_offset == 0 and tt.bit_offset == 0
        if isinstance(lt, Array):
            assert isinstance(tt, Array)
            local_id, target_id = lt.elem_type_id, tt.elem_type_id
            continue
        return False
    raise CoreError(f"field types [{local_id}] and [{target_id}] nest too deeply")


def types_are_compat(local_btf: BTF, local_id: int, target_btf: BTF, target_id: int) -> bool:
    """Shape compatibility for type-based relocations (names were already matched)."""
    if not kinds_compat(local_btf.kind_of(local_id), target_btf.kind_of(target_id)):
        return False
    return _types_compat(local_btf, local_id, target_btf, target_id, MAX_DEPTH)


def _types_compat(local_btf: BTF, local_id: int, target_btf: BTF, target_id: int, level: int) -> bool:
    for _ in range(MAX_DEPTH):
        lt = local_btf.resolve(local_id)
        tt = target_btf.resolve(target_id)
        if not kinds_compat(lt.kind, tt.kind):
            return False
        if isinstance(lt, Void | Struct | Union | Enum | Enum64 | Fwd):
            return True
        if isinstance(lt, Int):
            assert isinstance(tt, Int)
            return lt.bit_offset == 0 and tt.bit_offset == 0
        if isinstance(lt, Ptr):
            assert isinstance(tt, Ptr)
            local_id, target_id = lt.type_id, tt.type_id
            continue
        if isinstance(lt, Array):
            assert isinstance(tt, Array)
            local_id, target_id = lt.elem_type_id, tt.elem_type_id
            continue
        if isinstance(lt, FuncProto):
            assert isinstance(tt, FuncProto)
            if len(lt.params) != len(tt.params):
                return False
            if level <= 0:
                raise CoreError(f"function prototypes [{local_id}] and [{target_id}] nest too deeply")
            for lp, tp in zip(lt.params, tt.params, strict=True):
                if not _types_compat(local_btf, lp.type_id, target_btf, tp.type_id, level - 1):
                    return False
            local_id, target_id = lt.return_type_id, tt.return_type_id
            continue
        return False
    raise CoreError(f"types [{local_id}] and [{target_id}] nest too deeply")


def types_match(local_btf: BTF, local_id: int, target_btf: BTF, target_id: int) -> bool:
    """TYPE_MATCHES: the target has everything the local type declares, with the same shape."""
    return _match(local_btf, local_id, target_btf, target_id, False, MAX_DEPTH)


def _match(
    local_btf: BTF, local_id: int, target_btf: BTF, target_id: int, behind_ptr: bool, level: int
) -> bool:
    if level <= 0:
        raise CoreError(f"types [{local_id}] and [{target_id}] nest too deeply")
    for _ in range(MAX_DEPTH):
        lt = local_btf.resolve(local_id)
        tt = target_btf.resolve(target_id)
        if not names_match(lt.name, tt.name):
            return False
        if isinstance(lt, Void):
            return isinstance(tt, Void)
        if isinstance(lt, Fwd):
            if behind_ptr and isinstance(tt, Struct | Union):
                return isinstance(tt, Union) == lt.is_union
            return isinstance(tt, Fwd) and tt.is_union == lt.is_union
        if isinstance(lt, Enum | Enum64):
            return isinstance(tt, Enum | Enum64) and _enums_match(lt, tt)
        if isinstance(lt, Struct | Union):
            if behind_ptr:
                if isinstance(tt, Fwd):
                    return tt.is_union == isinstance(lt, Union)
                return lt.kind == tt.kind
            if lt.kind != tt.kind:
                return False
            assert isinstance(tt, Struct | Union)
            return _composites_match(local_btf, lt, target_btf, tt, behind_ptr, level)
        if isinstance(lt, Int):
            return isinstance(tt, Int) and lt.size == tt.size and lt.signed == tt.signed
        if isinstance(lt, Ptr):
            if not isinstance(tt, Ptr):
                return False
            behind_ptr = True
            local_id, target_id = lt.type_id, tt.type_id
            continue
        if isinstance(lt, Array):
            if not isinstance(tt, Array) or lt.nelems != tt.nelems:
                return False
            local_id, target_id = lt.elem_type_id, tt.elem_type_id
            continue
        if isinstance(lt, FuncProto):
            if not isinstance(tt, FuncProto) or len(lt.params) != len(tt.params):
                return False
            for lp, tp in zip(lt.params, tt.params, strict=True):
                if not _match(local_btf, lp.type_id, target_btf, tp.type_id, behind_ptr, level - 1):
                    return False
            local_id, target_id = lt.return_type_id, tt.return_type_id
            continue
        return False
    raise CoreError(f"types [{local_id}] and [{target_id}] nest too deeply")


def _enums_match(local: Enum | Enum64, target: Enum | Enum64) -> bool:
    if local.size != target.size or len(local.values) > len(target.values):
        return False
    return all(any(names_match(lv.name, tv.name) for tv in target.values) for lv in local.values)


def _composites_match(
    local_btf: BTF,
    local: Struct | Union,
    target_btf: BTF,
    target: Struct | Union,
    behind_ptr: bool,
    level: int,
) -> bool:
    if len(local.members) > len(target.members):
        return False
    for lm in local.members:
        if not any(
            names_match(lm.name, tm.name)
            and _match(local_btf, lm.type_id, target_btf, tm.type_id, behind_ptr, level - 1)
            for tm in target.members
        ):
            return False
    return True


__all__ = ["fields_are_compat", "kinds_compat", "types_are_compat", "types_match"]
