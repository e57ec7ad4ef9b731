"""The BTF parser: header checks, lazy lookups, split BTF, layouts and C names."""

from __future__ import annotations

import struct

import pytest

from pybpf.btf import (
    BTF,
    Array,
    BTFError,
    Const,
    Enum,
    Enum64,
    EnumValue,
    FuncProto,
    Fwd,
    Int,
    IntEncoding,
    Kind,
    Member,
    Param,
    Ptr,
    Struct,
    Typedef,
    TypeNotFound,
    Union,
    Void,
)
from pybpf.btf.encode import build

INT = Int(0, "int", 4, IntEncoding.SIGNED, 0, 32)
CHAR = Int(0, "char", 1, IntEncoding.SIGNED, 0, 8)
U64 = Int(0, "unsigned long long", 8, IntEncoding.NONE, 0, 64)


@pytest.fixture(scope="module")
def small() -> BTF:
    """ids: 1 int, 2 char, 3 u64, 4 ptr->int, 5 char[16], 6 struct s, 7 typedef s_t, 8 const s_t,
    9 proto int(int, char *), 10 ptr->9, 11 ptr->2, 12 union, 13 fwd, 14 packed struct, 15 array of ptr to proto,
    16 enum, 17 enum64."""
    return build(
        [
            INT,
            CHAR,
            U64,
            Ptr(0, "", 1),
            Array(0, "", 2, 1, 16),
            Struct(
                0,
                "s",
                32,
                (
                    Member("a", 1, 0),
                    Member("flags", 1, 32, 3),
                    Member("prio", 1, 35, 5),
                    Member("name", 5, 64),
                    Member("", 12, 192),
                ),
                True,
            ),
            Typedef(0, "s_t", 6),
            Const(0, "", 7),
            FuncProto(0, "", 1, (Param("x", 1), Param("p", 11))),
            Ptr(0, "", 9),
            Ptr(0, "", 2),
            Union(0, "", 8, (Member("lo", 1, 0), Member("whole", 3, 0))),
            Fwd(0, "later", True),
            Struct(0, "packed", 5, (Member("c", 2, 0), Member("i", 1, 8))),
            Array(0, "", 10, 1, 4),
            Enum(0, "color", 4, (EnumValue("RED", 0), EnumValue("BLUE", -3)), True),
            Enum64(0, "big", 8, (EnumValue("HUGE", 1 << 40),), False),
        ]
    )


def test_ids_count_from_one_and_len_includes_void(small: BTF) -> None:
    assert len(small) == 18
    assert small[1].name == "int"
    assert isinstance(small[0], Void)


@pytest.mark.parametrize("bad_id", [18, 1000, -1])
def test_out_of_range_id_raises_type_not_found_which_is_a_key_error(small: BTF, bad_id: int) -> None:
    with pytest.raises(TypeNotFound):
        small[bad_id]
    with pytest.raises(KeyError):
        small[bad_id]


def test_find_returns_the_type_with_that_name(small: BTF) -> None:
    assert small.find("s").id == 6
    assert small.find("s_t", Kind.TYPEDEF).id == 7


def test_find_with_wrong_kind_raises_type_not_found(small: BTF) -> None:
    with pytest.raises(TypeNotFound, match="struct type named 's_t'"):
        small.find("s_t", Kind.STRUCT)


def test_find_of_a_name_that_is_only_a_prefix_of_a_type_name_fails(small: BTF) -> None:
    with pytest.raises(TypeNotFound):
        small.find("pack")


def test_find_all_lists_every_type_of_a_name() -> None:
    btf = build([INT, Struct(0, "dup", 4, (Member("x", 1, 0),)), Typedef(0, "dup", 2)])
    assert [t.kind for t in btf.find_all("dup")] == [Kind.STRUCT, Kind.TYPEDEF]
    assert [t.id for t in btf.find_all("dup", Kind.TYPEDEF)] == [3]


def test_member_names_are_decoded_from_the_string_table(small: BTF) -> None:
    s = small[6]
    assert isinstance(s, Struct)
    assert [m.name for m in s.members] == ["a", "flags", "prio", "name", ""]
    assert s.members[2] == Member("prio", 1, 35, 5)


@pytest.mark.parametrize(
    ("type_id", "size"),
    [
        (1, 4),
        (2, 1),
        (4, 8),
        (5, 16),
        (6, 32),
        (7, 32),
        (8, 32),
        (12, 8),
        (14, 5),
        (15, 32),
        (16, 4),
        (17, 8),
    ],
)
def test_size_of_follows_c_rules(small: BTF, type_id: int, size: int) -> None:
    assert small.size_of(type_id) == size


@pytest.mark.parametrize("type_id", [0, 9, 13])
def test_size_of_void_function_or_forward_declaration_raises(small: BTF, type_id: int) -> None:
    with pytest.raises(BTFError, match="has no size"):
        small.size_of(type_id)


@pytest.mark.parametrize(
    ("type_id", "align"), [(1, 4), (2, 1), (3, 8), (4, 8), (5, 1), (6, 8), (8, 8), (14, 1)]
)
def test_align_of_follows_c_rules_and_detects_packed_structs(small: BTF, type_id: int, align: int) -> None:
    assert small.align_of(type_id) == align


def test_resolve_skips_typedefs_and_modifiers(small: BTF) -> None:
    assert small.resolve(8).id == 6


@pytest.mark.parametrize(
    ("type_id", "text"),
    [
        (1, "int"),
        (4, "int *"),
        (5, "char[16]"),
        (6, "struct s"),
        (8, "const s_t"),
        (9, "int (int x, char *p)"),
        (10, "int (*)(int x, char *p)"),
        (12, "union (anon)"),
        (13, "union later"),
        (15, "int (*[4])(int x, char *p)"),
        (16, "enum color"),
    ],
)
def test_type_name_spells_the_c_declaration(small: BTF, type_id: int, text: str) -> None:
    assert small.type_name(type_id) == text


def test_const_pointer_puts_the_qualifier_after_the_star() -> None:
    btf = build([CHAR, Ptr(0, "", 1), Const(0, "", 2)])
    assert btf.type_name(3) == "char *const"


@pytest.mark.parametrize(
    ("path", "bit_offset", "bitfield_size"),
    [
        ("a", 0, 0),
        ("flags", 32, 3),
        ("prio", 35, 5),
        ("name[3]", 64 + 24, 0),
        ("whole", 192, 0),
        ("lo", 192, 0),
    ],
)
def test_field_finds_members_bitfields_array_elements_and_anonymous_members(
    small: BTF, path: str, bit_offset: int, bitfield_size: int
) -> None:
    loc = small.field(6, path)
    assert (loc.bit_offset, loc.bitfield_size, loc.derefs) == (bit_offset, bitfield_size, ())


def test_field_of_missing_member_raises_btf_error(small: BTF) -> None:
    with pytest.raises(BTFError, match="no member 'nope'"):
        small.field(6, "nope")


def test_split_btf_continues_the_base_ids_and_strings(small: BTF) -> None:
    split = build(
        [Ptr(0, "", 6), Struct(0, "mod_s", 8, (Member("next", 18, 0), Member("a", 1, 0)))], base=small
    )
    assert split.start_id == 18
    assert len(split) == 20
    assert split[18].type_id == 6  # type: ignore[union-attr]
    assert split[1].name == "int"
    assert split.find("mod_s").id == 19
    assert split.find("s").id == 6
    assert split.type_name(18) == "struct s *"
    assert list(split.own_ids()) == [18, 19]


def test_split_btf_reuses_base_strings_for_names_the_base_has(small: BTF) -> None:
    split = build([Struct(0, "s", 4, (Member("a", 1, 0),))], base=small)
    assert split.raw_strings == b"\0"
    assert [t.id for t in split.find_all("s")] == [6, 18]


def test_dangling_reference_fails_only_when_followed() -> None:
    btf = build([Ptr(0, "", 99), Typedef(0, "t", 99)])
    assert btf[1] == Ptr(1, "", 99)
    assert btf.type_name(1) == "<missing type 99> *"
    with pytest.raises(BTFError, match="type id 2: refers to missing type id 99"):
        btf.resolve(2)


def test_typedef_cycle_raises_instead_of_looping() -> None:
    btf = build([Typedef(0, "a", 2), Typedef(0, "b", 1)])
    with pytest.raises(BTFError, match="cyclic"):
        btf.resolve(1)
    with pytest.raises(BTFError, match="cyclic"):
        btf.size_of(1)


def test_big_endian_blob_parses_like_little_endian(small: BTF) -> None:
    from pybpf.btf.encode import StringTable, encode_types

    data = encode_types(
        (small[i] for i in small.own_ids()), strings=StringTable(small.raw_strings), order=">"
    )
    big = BTF.from_bytes(data)
    assert big.header.order == ">"
    assert list(big) == list(small)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:10], "header: 10 bytes"),
        (lambda d: b"\x00\x00" + d[2:], "bad magic"),
        (lambda d: d[:2] + b"\x02" + d[3:], "unsupported version"),
        (lambda d: d[:4] + struct.pack("<I", 8) + d[8:], "bad hdr_len"),
        (lambda d: d[:-1], "runs past the end"),
    ],
)
def test_malformed_header_raises_btf_error_naming_the_header(small: BTF, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    from pybpf.btf.encode import encode

    with pytest.raises(BTFError, match=message):
        BTF.from_bytes(mutate(encode(small)))


def test_unknown_kind_names_the_type_id_and_offset(small: BTF) -> None:
    from pybpf.btf.encode import encode

    data = bytearray(encode(small))
    data[24 + 4 + 3] = 25  # kind byte of type id 1's info word
    with pytest.raises(BTFError, match="type id 1: unknown kind 25") as info:
        BTF.from_bytes(bytes(data))
    assert info.value.offset == 24


def test_string_offset_out_of_range_raises_when_the_type_is_read(small: BTF) -> None:
    from pybpf.btf.encode import encode

    data = bytearray(encode(small))
    data[24:28] = struct.pack("<I", 1 << 20)  # name_off of type id 1
    btf = BTF.from_bytes(bytes(data))
    with pytest.raises(BTFError, match="type id 1: string section: offset 1048576 out of range"):
        btf[1]
