"""Property: any type list we can build parses back to the same types, and split BTF dumps as bpftool's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import (
    BTF,
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
    Linkage,
    Member,
    Param,
    Ptr,
    Restrict,
    Struct,
    Typedef,
    TypeTag,
    Union,
    Var,
    VarSecInfo,
    Volatile,
)
from pybpf.btf.encode import StringTable, build, encode, encode_types
from pybpf.btf.rawdump import dump_raw

u32 = st.integers(0, 2**32 - 1)
ids = st.integers(0, 40)
names = st.text(alphabet="abcxyz_09", max_size=6)
ident = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)


def _members(kind_flag: bool) -> st.SearchStrategy[tuple[Member, ...]]:
    if kind_flag:
        member = st.builds(Member, names, ids, st.integers(0, 2**24 - 1), st.integers(0, 255))
    else:
        member = st.builds(Member, names, ids, u32, st.just(0))
    return st.lists(member, max_size=4).map(tuple)


def _record(kind_flag: bool) -> st.SearchStrategy[object]:
    return st.one_of(
        st.builds(Struct, st.just(0), names, u32, _members(kind_flag), st.just(kind_flag)),
        st.builds(Union, st.just(0), names, u32, _members(kind_flag), st.just(kind_flag)),
    )


enum_values = st.lists(st.builds(EnumValue, ident, st.integers(0, 2**32 - 1)), max_size=3).map(tuple)
signed_enum_values = st.lists(st.builds(EnumValue, ident, st.integers(-(2**31), 2**31 - 1)), max_size=3).map(
    tuple
)

any_type = st.one_of(
    st.builds(
        Int,
        st.just(0),
        ident,
        st.sampled_from([1, 2, 4, 8, 16]),
        st.sampled_from(list(IntEncoding)),
        st.integers(0, 255),
        st.integers(0, 128),
    ),
    st.builds(Ptr, st.just(0), st.just(""), ids),
    st.builds(Array, st.just(0), st.just(""), ids, ids, u32),
    _record(False),
    _record(True),
    st.builds(Enum, st.just(0), names, st.sampled_from([1, 2, 4, 8]), enum_values, st.just(False)),
    st.builds(Enum, st.just(0), names, st.just(4), signed_enum_values, st.just(True)),
    st.builds(
        Enum64,
        st.just(0),
        names,
        st.just(8),
        st.lists(st.builds(EnumValue, ident, st.integers(-(2**63), 2**63 - 1)), max_size=3).map(tuple),
        st.just(True),
    ),
    st.builds(Fwd, st.just(0), ident, st.booleans()),
    st.builds(Typedef, st.just(0), ident, ids),
    st.builds(Volatile, st.just(0), st.just(""), ids),
    st.builds(Const, st.just(0), st.just(""), ids),
    st.builds(Restrict, st.just(0), st.just(""), ids),
    st.builds(TypeTag, st.just(0), ident, ids, st.booleans()),
    st.builds(Func, st.just(0), ident, ids, st.sampled_from(list(Linkage))),
    st.builds(
        FuncProto, st.just(0), st.just(""), ids, st.lists(st.builds(Param, names, ids), max_size=3).map(tuple)
    ),
    st.builds(Var, st.just(0), ident, ids, st.sampled_from(list(Linkage))),
    st.builds(
        Datasec, st.just(0), ident, u32, st.lists(st.builds(VarSecInfo, ids, u32, u32), max_size=3).map(tuple)
    ),
    st.builds(Float, st.just(0), ident, st.sampled_from([2, 4, 8, 12, 16])),
    st.builds(DeclTag, st.just(0), ident, ids, st.integers(-1, 5), st.booleans()),
)


def renumbered(types: list, start: int = 1) -> list:  # type: ignore[type-arg]
    """The types as the parser returns them: ``id`` is the position."""
    from dataclasses import replace

    return [replace(t, id=start + i) for i, t in enumerate(types)]


@settings(max_examples=150, deadline=None)
@given(types=st.lists(any_type, max_size=12))
def test_built_types_parse_back_unchanged(types: list) -> None:  # type: ignore[type-arg]
    btf = build(types)
    assert [btf[i] for i in btf.own_ids()] == renumbered(types)


@settings(max_examples=100, deadline=None)
@given(types=st.lists(any_type, min_size=1, max_size=12), big_endian=st.booleans())
def test_encoding_parsed_btf_again_gives_the_same_bytes(types: list, big_endian: bool) -> None:  # type: ignore[type-arg]
    data = encode_types(types, strings=StringTable(), order=">" if big_endian else "<")
    assert encode(BTF.from_bytes(data)) == data


@pytest.mark.tool
@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool is not installed")
def test_split_btf_raw_dump_matches_bpftool_with_a_base(
    btf_sections: dict[str, bytes], tmp_path: Path
) -> None:
    base = BTF.from_bytes(btf_sections["kinds"])
    first = len(base)
    split = build(
        [
            Ptr(0, "", 11),
            Struct(0, "mod_s", 16, (Member("n", first, 0), Member("kind", 2, 64))),
            Typedef(0, "nested", 11),
        ],
        base=base,
    )
    (tmp_path / "base.btf").write_bytes(btf_sections["kinds"])
    (tmp_path / "split.btf").write_bytes(encode(split))
    reference = subprocess.run(
        ["bpftool", "-B", str(tmp_path / "base.btf"), "btf", "dump", "file", str(tmp_path / "split.btf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert dump_raw(split) == reference
