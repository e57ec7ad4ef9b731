"""Access strings walked through a BTF: accessors, offsets and the malformed cases."""

from __future__ import annotations

import pytest
from core_testlib import INT, LLONG, btf_of
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import BTFError
from pybpf.btf.core import CoreError, parse_spec
from pybpf.btf.ext import CoreReloKind
from pybpf.btf.types import Array, Enum, EnumValue, Member, Struct, Typedef, Union

K = CoreReloKind
# 5: struct outer { int a; union { int b; long long c; }; int arr[3]; int flex[]; }
# 6: the anonymous union, 7: int[3], 8: int[0], 9: typedef struct outer outer_t, 10: enum e
BTF_ = btf_of(
    Struct(
        5,
        "outer",
        24,
        (Member("a", INT, 0), Member("", 6, 64), Member("arr", 7, 128), Member("flex", 8, 224)),
    ),
    Union(6, "", 8, (Member("b", INT, 0), Member("c", LLONG, 0))),
    Array(7, "", INT, INT, 3),
    Array(8, "", INT, INT, 0),
    Typedef(9, "outer_t", 5),
    Enum(10, "e", 4, (EnumValue("E_A", 1), EnumValue("E_B", 2))),
)


@pytest.mark.parametrize(
    ("type_id", "access", "path", "bit_offset"),
    [
        (5, "0:0", "a", 0),
        (5, "0:1:1", "c", 64),
        (5, "0:2:2", "arr[2]", 128 + 64),
        (5, "0:3:7", "flex[7]", 224 + 7 * 32),
        (5, "1:0", "[1].a", 24 * 8),
        (9, "0:1:0", "b", 64),
        (5, "0", "", 0),
    ],
)
def test_field_access_resolves_to_path_and_bit_offset(
    type_id: int, access: str, path: str, bit_offset: int
) -> None:
    spec = parse_spec(BTF_, type_id, access, K.FIELD_BYTE_OFFSET)
    assert (spec.path, spec.bit_offset) == (path, bit_offset)


def test_anonymous_members_are_walked_but_not_accessors() -> None:
    spec = parse_spec(BTF_, 5, "0:1:1", K.FIELD_BYTE_OFFSET)
    assert [a.name for a in spec.accessors] == [None, "c"]
    assert spec.raw == (0, 1, 1)


def test_enum_access_names_the_enumerator() -> None:
    spec = parse_spec(BTF_, 10, "1", K.ENUMVAL_VALUE)
    assert spec.accessors[0].name == "E_B"


@pytest.mark.parametrize(
    ("type_id", "access", "kind", "message"),
    [
        (5, "", K.FIELD_BYTE_OFFSET, "bad access string"),
        (5, "0:", K.FIELD_BYTE_OFFSET, "bad access string"),
        (5, "0:-1", K.FIELD_BYTE_OFFSET, "bad access string"),
        (5, "x", K.FIELD_BYTE_OFFSET, "bad access string"),
        (5, ":".join(["0"] * 65), K.FIELD_BYTE_OFFSET, "bad access string"),
        (5, "0:9", K.FIELD_BYTE_OFFSET, "does not exist"),
        (5, "0:2:3", K.FIELD_BYTE_OFFSET, "out of bounds"),
        (5, "0:0:0", K.FIELD_BYTE_OFFSET, "not a struct, union or array"),
        (5, "0:1", K.TYPE_SIZE, "wants access string '0'"),
        (10, "2", K.ENUMVAL_EXISTS, "does not name an enumerator"),
        (5, "0", K.ENUMVAL_VALUE, "does not name an enumerator"),
        (10, "0:0", K.ENUMVAL_VALUE, "does not name an enumerator"),
    ],
)
def test_access_that_does_not_fit_the_type_is_a_core_error(
    type_id: int, access: str, kind: CoreReloKind, message: str
) -> None:
    with pytest.raises(CoreError, match=message):
        parse_spec(BTF_, type_id, access, kind)


@settings(max_examples=300)
@given(
    type_id=st.integers(0, 12),
    access=st.text(alphabet="0123456789:x-", max_size=20),
    kind=st.sampled_from(list(CoreReloKind)),
)
def test_any_access_string_either_parses_or_raises_a_pybpf_error(
    type_id: int, access: str, kind: CoreReloKind
) -> None:
    try:
        parse_spec(BTF_, type_id, access, kind)
    except (CoreError, BTFError):
        pass
