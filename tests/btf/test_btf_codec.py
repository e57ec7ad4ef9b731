"""Value codecs built from BTF: decoding, encoding, struct objects and byte-exact round trips."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import (
    BTF,
    Array,
    Enum,
    EnumValue,
    Float,
    FuncProto,
    Int,
    IntEncoding,
    Member,
    Ptr,
    Struct,
    Typedef,
    Union,
)
from pybpf.btf.codec import CodecError, StructValue, codec_for, cstr
from pybpf.btf.encode import build

U8 = Int(0, "unsigned char", 1, IntEncoding.NONE, 0, 8)
S32 = Int(0, "int", 4, IntEncoding.SIGNED, 0, 32)
U64 = Int(0, "unsigned long long", 8, IntEncoding.NONE, 0, 64)
CHAR = Int(0, "char", 1, IntEncoding.SIGNED, 0, 8)
BOOL = Int(0, "_Bool", 1, IntEncoding.BOOL, 0, 8)


@pytest.fixture(scope="module")
def btf() -> BTF:
    """1 u8, 2 s32, 3 u64, 4 char, 5 bool, 6 char[8], 7 enum, 8 struct ev, 9 typedef ev_t, 10 float,
    11 s32[3], 12 anon struct{lo,hi}, 13 anon union{struct 12; whole}, 14 struct outer, 15 ptr."""
    return build(
        [
            U8,
            S32,
            U64,
            CHAR,
            BOOL,
            Array(0, "", 4, 2, 8),
            Enum(0, "state", 4, (EnumValue("RUNNING", 0), EnumValue("DEAD", 16)), False),
            Struct(
                0,
                "ev",
                32,
                (
                    Member("pid", 2, 0),
                    Member("comm", 6, 32),
                    Member("flags", 1, 96, 3),
                    Member("prio", 2, 99, 5),
                    Member("on", 5, 104, 1),
                    Member("state", 7, 128),
                    Member("ts", 3, 192),
                ),
                True,
            ),
            Typedef(0, "ev_t", 8),
            Float(0, "float", 4),
            Array(0, "", 2, 2, 3),
            Struct(0, "", 8, (Member("lo", 2, 0), Member("hi", 2, 32))),
            Union(0, "", 8, (Member("", 12, 0), Member("whole", 3, 0))),
            Struct(
                0,
                "outer",
                32,
                (Member("kind", 1, 0), Member("", 13, 64), Member("f", 10, 128), Member("v", 11, 160)),
            ),
            Ptr(0, "", 8),
        ]
    )


@pytest.mark.parametrize(
    ("type_id", "data", "value"),
    [
        (1, b"\xff", 255),
        (2, b"\xfe\xff\xff\xff", -2),
        (3, b"\x01" + bytes(7), 1),
        (5, b"\x01", True),
        (6, b"bash\0\0\0\0", b"bash\0\0\0\0"),
        (10, b"\x00\x00\xc0\x3f", 1.5),
        (11, b"\x01\0\0\0\x02\0\0\0\xff\xff\xff\xff", [1, 2, -1]),
        (15, b"\x10" + bytes(7), 16),
    ],
)
def test_scalar_and_array_values_decode_and_encode_back(
    btf: BTF, type_id: int, data: bytes, value: object
) -> None:
    codec = codec_for(btf, type_id)
    assert codec.decode(data) == value
    assert codec.encode(value) == data


def test_enum_value_decodes_to_an_int_enum_member(btf: BTF) -> None:
    state = codec_for(btf, 7).decode(b"\x10\0\0\0")
    assert isinstance(state, enum.IntEnum)
    assert state.name == "DEAD"


def test_unknown_enum_value_decodes_to_a_plain_int(btf: BTF) -> None:
    value = codec_for(btf, 7).decode(b"\x05\0\0\0")
    assert value == 5 and not isinstance(value, enum.Enum)


def test_struct_fields_are_attributes_including_bitfields(btf: BTF) -> None:
    codec = codec_for(btf, 9)
    ev = codec.value_class(pid=42, comm="bash", flags=5, prio=-3, on=True, state=16, ts=7)  # type: ignore[attr-defined]
    back = codec.decode(codec.encode(ev))
    assert (back.pid, cstr(back.comm), back.flags, back.prio, back.on, back.state, back.ts) == (
        42,
        "bash",
        5,
        -3,
        True,
        16,
        7,
    )


def test_struct_built_from_a_dict_equals_one_built_from_kwargs(btf: BTF) -> None:
    cls = codec_for(btf, 8).value_class  # type: ignore[attr-defined]
    assert cls({"pid": 1, "ts": 2}) == cls(pid=1, ts=2)
    assert cls(pid=1) != cls(pid=2)


def test_missing_struct_members_are_zero_and_padding_is_zeroed(btf: BTF) -> None:
    codec = codec_for(btf, 8)
    assert codec.encode({"pid": 1}) == b"\x01" + bytes(31)


def test_asdict_and_repr_show_every_member(btf: BTF) -> None:
    ev = codec_for(btf, 8).value_class(pid=3)  # type: ignore[attr-defined]
    assert ev.asdict()["pid"] == 3
    assert set(ev.asdict()) == {"pid", "comm", "flags", "prio", "on", "state", "ts"}
    assert repr(ev).startswith("ev(pid=3, comm=b'")


def test_members_of_anonymous_struct_and_union_are_reachable_from_the_parent(btf: BTF) -> None:
    codec = codec_for(btf, 14)
    value = codec.decode(b"\x07" + bytes(7) + (0x1122334455667788).to_bytes(8, "little") + bytes(16))
    assert (value.kind, value.lo, value.hi, value.whole) == (7, 0x55667788, 0x11223344, 0x1122334455667788)
    value.lo = 1
    assert codec.decode(codec.encode(value)).whole == 0x1122334400000001
    assert set(value.asdict()) == {"kind", "lo", "hi", "whole", "f", "v"}


def test_unknown_member_raises_attribute_error(btf: BTF) -> None:
    cls = codec_for(btf, 8).value_class  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no member 'nope'"):
        cls(nope=1)


@pytest.mark.parametrize(
    ("type_id", "value"),
    [
        (1, 256),
        (1, -1),
        (2, 2**31),
        (6, b"123456789"),
        (11, [1, 2, 3, 4]),
        (8, {"flags": 8}),
        (8, {"prio": 16}),
    ],
)
def test_value_that_does_not_fit_raises_codec_error(btf: BTF, type_id: int, value: object) -> None:
    with pytest.raises(CodecError):
        codec_for(btf, type_id).encode(value)


def test_decoding_too_few_bytes_raises_codec_error(btf: BTF) -> None:
    with pytest.raises(CodecError, match="need 32 bytes"):
        codec_for(btf, 8).decode(b"\0" * 31)


def test_type_without_a_value_has_no_codec() -> None:
    btf = build([FuncProto(0, "", 0, ())])
    with pytest.raises(CodecError, match="no value codec"):
        codec_for(btf, 1)


def test_decoded_struct_is_a_struct_value(btf: BTF) -> None:
    assert isinstance(codec_for(btf, 8).decode(bytes(32)), StructValue)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=32, max_size=32))
@pytest.mark.parametrize("type_id", [8, 14])
def test_encoding_a_decoded_struct_gives_back_the_same_bytes(btf: BTF, type_id: int, data: bytes) -> None:
    codec = codec_for(btf, type_id)
    assert codec.encode(codec.decode(data)) == data


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_struct_of_the_compiled_object_round_trips(
    btf_sections: dict[str, bytes], data: st.DataObject
) -> None:
    obj = BTF.from_bytes(btf_sections["kinds"])
    structs = [t.id for t in obj if isinstance(t, Struct | Union)]
    type_id = data.draw(st.sampled_from(structs))
    codec = codec_for(obj, type_id)
    raw = data.draw(st.binary(min_size=codec.size, max_size=codec.size))
    assert codec.encode(codec.decode(raw)) == raw


def test_struct_containing_itself_by_value_is_refused() -> None:
    btf = build([S32, Struct(0, "loop", 8, (Member("a", 1, 0), Member("self", 2, 32)))])
    with pytest.raises(CodecError, match="contains itself"):
        codec_for(btf, 2)


def test_huge_array_is_refused_instead_of_allocating() -> None:
    btf = build([S32, Array(0, "", 1, 1, 1 << 30)])
    with pytest.raises(CodecError, match="too large"):
        codec_for(btf, 2)


def test_data_section_decodes_like_a_struct_of_its_variables() -> None:
    from pybpf.btf import Datasec, Var, VarSecInfo

    section = Datasec(0, ".data", 8, (VarSecInfo(3, 0, 4), VarSecInfo(4, 4, 4)))
    btf = build([S32, Float(0, "float", 4), Var(0, "counter", 1), Var(0, "ratio", 2), section])
    values = codec_for(btf, 5).decode(b"\x03\0\0\0\x00\x00\xc0\x3f")
    assert (values.counter, values.ratio) == (3, 1.5)


def test_data_section_of_an_unlinked_object_is_refused(btf_sections: dict[str, bytes]) -> None:
    from pybpf.btf import Kind

    obj = BTF.from_bytes(btf_sections["kinds"])  # the compiler leaves every variable at offset 0
    with pytest.raises(CodecError, match="overlap"):
        codec_for(obj, obj.find(".data", Kind.DATASEC).id)


def test_nan_payload_survives_a_round_trip() -> None:
    btf = build([Float(0, "float", 4)])
    codec = codec_for(btf, 1)
    signalling_nan = b"\x01\x00\x80\x7f"
    assert codec.encode(codec.decode(signalling_nan)) == signalling_nan


def test_big_endian_btf_gives_big_endian_integers() -> None:
    from pybpf.btf.encode import StringTable, encode_types

    btf = BTF.from_bytes(encode_types([S32], strings=StringTable(), order=">"))
    assert codec_for(btf, 1).decode(b"\x00\x00\x01\x00") == 256


@pytest.mark.parametrize(
    ("type_id", "value", "message"),
    [
        (2, 3.7, "expected an integer"),  # would truncate to 3
        (2, "12", "expected an integer"),  # would parse
        (3, -1, r"out of range for u64 \[0, "),
        (2, 1 << 31, r"out of range for s32"),
        (5, 2, "bool holds"),
        (7, "ZOMBIE", "not an enumerator of state"),
        (10, "1.5", "expected a number"),
        (10, True, "expected a number"),
    ],
)
def test_values_a_field_cannot_hold_are_refused_not_coerced(
    btf: BTF, type_id: int, value: object, message: str
) -> None:
    with pytest.raises(CodecError, match=message):
        codec_for(btf, type_id).encode(value)


def test_enumerators_encode_by_name_and_integers_by_index(btf: BTF) -> None:
    assert codec_for(btf, 7).encode("DEAD") == (16).to_bytes(4, "little")
    class Level(enum.IntEnum):
        LOW = 1
        HIGH = 2

    assert codec_for(btf, 2).encode(Level.HIGH) == (2).to_bytes(4, "little")
    assert codec_for(btf, 5).encode(True) == b"\x01"


def test_a_negative_enumerator_of_an_enum_not_flagged_signed_still_encodes() -> None:
    # Compilers before BTF's signed-enum flag leave it clear even for negative enumerators.
    table = build([Enum(0, "err", 4, (EnumValue("BAD", -1), EnumValue("OK", 0)), False)])
    assert codec_for(table, 1).encode("BAD") == b"\xff\xff\xff\xff"
