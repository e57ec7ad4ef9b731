"""Writing BTF back to bytes."""

from __future__ import annotations

import pytest

from pybpf.btf import BTF, BTFError, Int, IntEncoding, Member, Struct
from pybpf.btf.encode import StringTable, build, encode


@pytest.mark.parametrize("name", ["kinds", "core"])
def test_encoding_compiler_produced_btf_is_byte_identical(btf_sections: dict[str, bytes], name: str) -> None:
    data = btf_sections[name]
    assert encode(BTF.from_bytes(data)) == data


def test_built_btf_decodes_to_the_same_types() -> None:
    types = [
        Int(0, "int", 4, IntEncoding.SIGNED, 0, 32),
        Struct(0, "s", 8, (Member("a", 1, 0), Member("b", 1, 32))),
    ]
    btf = build(types)
    assert btf[2] == Struct(2, "s", 8, (Member("a", 1, 0), Member("b", 1, 32)))


def test_bitfield_member_without_kind_flag_cannot_be_encoded() -> None:
    with pytest.raises(BTFError, match="needs kind_flag"):
        build(
            [Int(0, "int", 4, IntEncoding.SIGNED, 0, 32), Struct(0, "s", 4, (Member("a", 1, 0, 3),), False)]
        )


def test_string_table_deduplicates_and_keeps_seeded_offsets() -> None:
    table = StringTable(b"\0abc\0de\0")
    assert (table.add("de"), table.add("abc"), table.add("new"), table.add("new")) == (5, 1, 8, 8)
    assert table.tobytes() == b"\0abc\0de\0new\0"


def test_split_btf_encodes_only_its_own_types() -> None:
    base = build([Int(0, "int", 4, IntEncoding.SIGNED, 0, 32)])
    split = build([Struct(0, "s", 4, (Member("a", 1, 0),))], base=base)
    again = BTF.from_bytes(encode(split), base=base)
    assert list(again) == list(split)


def test_to_bytes_is_the_encoding(btf_sections: dict[str, bytes]) -> None:
    data = btf_sections["kinds"]
    assert BTF.from_bytes(data).to_bytes() == data
