"""Parsers of untrusted bytes never let a non-pybpf exception escape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import Error
from pybpf.inspect import rtnetlink, xlated
from pybpf.inspect.maps import parse_bytes
from pybpf.isa import Instruction


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_netlink_attributes_accept_any_bytes(data: bytes) -> None:
    for kind, payload in rtnetlink.attributes(data).items():
        assert 0 <= kind < 0x4000 and len(payload) <= len(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_translated_code_decodes_any_whole_slots(data: bytes) -> None:
    insns = xlated.decode_xlated(data)
    assert sum(i.size for i in insns) <= len(data) - len(data) % 8 + 8
    assert all(isinstance(i, Instruction) for i in insns)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=6))
def test_parse_bytes_raises_only_pybpf_errors(words: list[str]) -> None:
    try:
        parse_bytes(words, "key")
    except Error:
        pass


@pytest.mark.parametrize(
    ("raw", "opcodes"),
    [
        (bytes.fromhex("b7000000000000009500000000000000"), [0xB7, 0x95]),
        # a bpf-to-bpf call whose off holds the subprogram index, as the kernel stores it
        (bytes.fromhex("85100100010000009500000000000000"), [0x85, 0x95]),
        (bytes.fromhex("1811000001000000000000000000000095"), [0x18]),
    ],
)
def test_decode_xlated_keeps_kernel_only_encodings(raw: bytes, opcodes: list[int]) -> None:
    assert [i.opcode for i in xlated.decode_xlated(raw)] == opcodes
