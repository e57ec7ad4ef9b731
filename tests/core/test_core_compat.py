"""The three compatibility relations between a local and a target type."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from core_testlib import INT, LLONG, UCHAR, UINT, btf_of

from pybpf.btf import BTF
from pybpf.btf.core import CoreError, fields_are_compat, types_are_compat, types_match
from pybpf.btf.types import (
    Array,
    Enum,
    Enum64,
    EnumValue,
    FuncProto,
    Fwd,
    Int,
    IntEncoding,
    Member,
    Param,
    Ptr,
    Struct,
    Typedef,
    Union,
)

# One BTF holds both sides: ids 5.. below.
BTF_ = btf_of(
    Ptr(5, "", INT),  # 5: int *
    Ptr(6, "", LLONG),  # 6: long long *
    Array(7, "", INT, INT, 4),  # 7: int[4]
    Array(8, "", LLONG, INT, 2),  # 8: long long[2]
    Enum(9, "color", 4, (EnumValue("RED", 0), EnumValue("BLUE", 1))),  # 9
    Enum64(10, "color___v2", 8, (EnumValue("RED", 0), EnumValue("BLUE", 1), EnumValue("GREEN", 2))),
    Enum(11, "shade", 4, (EnumValue("RED", 0),)),  # 11
    Struct(12, "pt", 8, (Member("x", INT, 0), Member("y", INT, 32))),  # 12
    Struct(13, "pt", 16, (Member("y", INT, 0), Member("x", INT, 32), Member("z", LLONG, 64))),  # 13
    Struct(14, "pt", 8, (Member("x", UINT, 0), Member("y", INT, 32))),  # 14: x unsigned
    Union(15, "pt", 8, (Member("x", INT, 0),)),  # 15
    Fwd(16, "pt", False),  # 16: struct pt;
    Ptr(17, "", 12),  # 17: struct pt *
    Ptr(18, "", 16),  # 18: fwd pt *
    Typedef(19, "myint", INT),  # 19
    FuncProto(20, "", INT, (Param("a", INT), Param("b", 5))),  # 20: int (int, int *)
    FuncProto(21, "", INT, (Param("a", INT),)),  # 21: int (int)
    Int(22, "int_bits", 4, IntEncoding.SIGNED, 3, 5),  # 22: an old-style bitfield int
    Array(23, "", INT, INT, 5),  # 23: int[5]
    Ptr(24, "", 15),  # 24: union pt *
    FuncProto(25, "", INT, (Param("a", 19), Param("b", 6))),  # 25: int (myint, long long *)
)


@pytest.mark.parametrize(
    ("local", "target", "compat"),
    [
        (INT, UCHAR, True),
        (INT, LLONG, True),
        (5, 6, True),
        (7, 8, True),
        (12, 15, True),
        (9, 10, True),
        (9, 11, False),
        (INT, 5, False),
        (19, UINT, True),
        (INT, 22, False),
        (7, INT, False),
    ],
)
def test_fields_are_compat(local: int, target: int, compat: bool) -> None:
    assert fields_are_compat(BTF_, local, BTF_, target) is compat


@pytest.mark.parametrize(
    ("local", "target", "compat"),
    [
        (12, 13, True),
        (12, 15, False),
        (9, 10, True),
        (5, 6, True),
        (17, 18, False),
        (20, 25, True),
        (20, 21, False),
        (7, 23, True),
        (INT, 22, False),
    ],
)
def test_types_are_compat(local: int, target: int, compat: bool) -> None:
    assert types_are_compat(BTF_, local, BTF_, target) is compat


@pytest.mark.parametrize(
    ("local", "target", "match"),
    [
        (12, 13, True),  # members found by name, in any order, target may have more
        (13, 12, False),  # target lacks z
        (12, 14, False),  # x changed signedness
        (12, 15, False),  # struct vs union
        (9, 10, False),  # every local enumerator exists in the target, but the sizes differ
        (10, 9, False),
        (9, 11, False),
        (17, 18, True),  # behind a pointer a struct matches its forward declaration
        (18, 17, True),
        (17, 24, False),
        (7, 23, False),  # array lengths differ
        (7, 7, True),
        (20, 25, False),  # int * vs long long *
        (20, 20, True),
        (19, INT, True),
    ],
)
def test_types_match(local: int, target: int, match: bool) -> None:
    assert types_match(BTF_, local, BTF_, target) is match


CYCLIC = btf_of(Ptr(5, "", 5))  # a pointer to itself: only malformed BTF can say this


@pytest.mark.parametrize("relation", [types_are_compat, types_match])
def test_cyclic_types_are_an_error_not_a_hang(relation: Callable[[BTF, int, BTF, int], bool]) -> None:
    with pytest.raises(CoreError, match="too deeply"):
        relation(CYCLIC, 5, CYCLIC, 5)
