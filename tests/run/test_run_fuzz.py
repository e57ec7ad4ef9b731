"""Malformed input never escapes as anything but our own errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.run.autoattach import NotAutoAttachable, parse_uprobe_target
from pybpf.run.dwarf import DwarfTypes, decode, read_dwarf_types
from pybpf.run.eventtypes import RawEventType
from pybpf.run.setvars import SetError, parse_assignment

ELF_HEADER = b"\x7fELF\x02\x01\x01" + bytes(9)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=512))
def test_dwarf_reader_accepts_any_bytes(data: bytes) -> None:
    assert isinstance(read_dwarf_types(ELF_HEADER + data), DwarfTypes)


LAYOUTS = st.recursive(
    st.fixed_dictionaries(
        {"k": st.sampled_from(["int", "bool", "float", "text", "hex"]), "size": st.integers(0, 16)}
    ),
    lambda inner: st.fixed_dictionaries(
        {
            "k": st.just("struct"),
            "size": st.integers(0, 32),
            "members": st.lists(
                st.tuples(
                    st.text(max_size=4), st.integers(0, 40), inner, st.integers(0, 8), st.integers(0, 64)
                ).map(list),
                max_size=4,
            ),
        }
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None)
@given(LAYOUTS, st.binary(max_size=48))
def test_layout_decoding_accepts_any_record(layout: dict[str, object], raw: bytes) -> None:
    decode(layout, raw)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_uprobe_targets_parse_or_raise_not_auto_attachable(target: str) -> None:
    try:
        binary, symbol, offset = parse_uprobe_target(target)
    except NotAutoAttachable:
        return
    assert (binary and offset >= 0) or symbol


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_assignments_parse_or_raise_set_error(item: str) -> None:
    try:
        assignment = parse_assignment(item)
    except SetError:
        return
    assert assignment.name and "=" in item


@pytest.mark.parametrize("data", [b"", b"\x01\x02"])
def test_raw_event_type_shows_hex(data: bytes) -> None:
    assert RawEventType().decode(data) == {"raw": data.hex()}
