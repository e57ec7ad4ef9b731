"""Pieces of the loader that need no kernel: kconfig parsing, key/value codecs, lddw patching."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.enums import ProgramType
from pybpf.errors import Error
from pybpf.kernel.config import kernel_version, parse_config
from pybpf.runtime.errors import LoadError
from pybpf.runtime.progload import kernel_name, source_lookup
from pybpf.runtime.relocate import PSEUDO_MAP_VALUE, patch_lddw
from pybpf.runtime.values import MapValueError, RawCodec, lpm_key
from pybpf.spec import LineInfo, ProgramSpec

CONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
CONFIG_BPF=y
CONFIG_BPF_JIT=m
# CONFIG_KPROBES is not set
CONFIG_HZ=250
CONFIG_LOCALVERSION="-pybpf"
"""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFIG_BPF", "y"),
        ("CONFIG_BPF_JIT", "m"),
        ("CONFIG_KPROBES", "n"),
        ("CONFIG_HZ", "250"),
        ("CONFIG_LOCALVERSION", '"-pybpf"'),
    ],
)
def test_config_parser_reads_each_kind_of_line(name: str, value: str) -> None:
    assert parse_config(CONFIG)[name] == value


def test_config_parser_ignores_comments() -> None:
    assert all(key.startswith("CONFIG_") for key in parse_config(CONFIG))


@settings(max_examples=100)
@given(st.text())
def test_config_parser_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(parse_config(text), dict)


@pytest.mark.parametrize(
    ("release", "expected"),
    [("6.18.0", 0x061200), ("5.15.167-generic", 0x050FA7), ("6.1", 0x060100), ("4.19.300", 0x0413FF)],
)
def test_kernel_version_packs_like_the_kernel_version_macro(release: str, expected: int) -> None:
    assert kernel_version(release) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("handle_exec", "handle_exec"),
        (".rodata.str1.1", ".rodata.str1.1"),
        ("a-b c", "a_b_c"),
        ("a_very_long_program_name", "a_very_long_pro"),
    ],
)
def test_kernel_name_keeps_allowed_characters_within_fifteen_bytes(name: str, expected: str) -> None:
    assert kernel_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.0.0.0/8", struct.pack("<I", 8) + bytes([10, 0, 0, 0])),
        (ipaddress.ip_network("192.168.1.0/24"), struct.pack("<I", 24) + bytes([192, 168, 1, 0])),
        ((16, "172.16.0.0"), struct.pack("<I", 16) + bytes([172, 16, 0, 0])),
        ((32, b"\x01\x02\x03\x04"), struct.pack("<I", 32) + b"\x01\x02\x03\x04"),
    ],
    ids=["string", "network", "tuple-str", "tuple-bytes"],
)
def test_lpm_key_encodes_prefix_length_then_address(value: object, expected: bytes) -> None:
    assert lpm_key(value, 8) == expected


def test_lpm_key_refuses_a_prefix_longer_than_the_key() -> None:
    with pytest.raises(MapValueError):
        lpm_key((40, b"\0\0\0\0"), 8)


@pytest.mark.parametrize(
    ("value", "raw"), [(5, b"\x05\0\0\0"), (-1, b"\xff\xff\xff\xff"), (b"abcd", b"abcd")]
)
def test_raw_codec_accepts_ints_and_exact_bytes(value: object, raw: bytes) -> None:
    assert RawCodec(4, "key").encode(value) == raw


@pytest.mark.parametrize("value", [b"abc", 1 << 40, "text", 1.5])
def test_raw_codec_refuses_values_of_the_wrong_shape(value: object) -> None:
    with pytest.raises(Error):
        RawCodec(4, "key").encode(value)


def test_patch_lddw_writes_pseudo_source_and_both_immediates() -> None:
    code = bytearray(b"\x18\x01\0\0\0\0\0\0" + bytes(8))
    patch_lddw(code, 0, PSEUDO_MAP_VALUE, 7, 24)
    assert code[1] == 0x21
    assert struct.unpack_from("<i", code, 4)[0] == 7
    assert struct.unpack_from("<i", code, 12)[0] == 24


def test_patch_lddw_refuses_an_instruction_that_is_not_lddw() -> None:
    code = bytearray(b"\xb7\x00\0\0\0\0\0\0" + bytes(8))
    with pytest.raises(LoadError):
        patch_lddw(code, 0, PSEUDO_MAP_VALUE, 7, 0)


def test_source_lookup_uses_the_nearest_preceding_line_info() -> None:
    prog = ProgramSpec(
        "p",
        "xdp",
        ProgramType.XDP,
        line_info=[LineInfo(0, 0, 0, 10, 1, "a.c", "first"), LineInfo(4, 0, 0, 12, 1, "a.c", "second")],
    )
    lookup = source_lookup(prog)
    assert [lookup(0), lookup(3), lookup(9)] == ["a.c:10: first", "a.c:10: first", "a.c:12: second"]


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_kernel_version_of_any_release_string_is_a_non_negative_int(release: str) -> None:
    assert kernel_version(release) >= 0


_LPM_INPUTS = st.one_of(
    st.text(max_size=30),
    st.tuples(
        st.integers(-5, 200),
        st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers(-1, 1 << 70)),
    ),
    st.binary(max_size=10),
    st.integers(),
)


@settings(max_examples=200)
@given(_LPM_INPUTS)
def test_lpm_key_either_encodes_declines_or_raises_a_pybpf_error(value: object) -> None:
    try:
        raw = lpm_key(value, 8)
    except Error:
        return
    assert raw is None or len(raw) == 8
