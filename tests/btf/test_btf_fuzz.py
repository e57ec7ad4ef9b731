"""Malformed BTF and BTF.ext: whatever the bytes, only BTFError comes out.

The inputs are real sections (the compiled test objects and a slice of the kernel's types)
with bytes overwritten, inserted or cut off; every parsed blob is then walked completely (decode,
names, layout, dumps, re-encoding) because lazy parsing defers most errors to that point.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.btf import BTF, BTFError
from pybpf.btf.codec import codec_for
from pybpf.btf.encode import build, encode
from pybpf.btf.ext import BTFExt
from pybpf.btf.rawdump import dump_json, dump_raw
from pybpf.errors import Error

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes overwritten, then possibly truncated or with bytes inserted."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(buf) - 1))
        buf[pos] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
    action = draw(st.sampled_from(["none", "truncate", "insert"]))
    if action == "truncate":
        del buf[draw(st.integers(0, len(buf))) :]
    elif action == "insert":
        pos = draw(st.integers(0, len(buf)))
        buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
    return bytes(buf)


def walk(btf: BTF) -> None:
    """Touch every type the way users of the library would (codecs may also raise CodecError)."""
    for type_id in range(len(btf)):
        for op in (btf.__getitem__, btf.type_name, btf.size_of, btf.align_of, btf.resolve):
            with contextlib.suppress(BTFError):
                op(type_id)
    with contextlib.suppress(BTFError):
        dump_raw(btf)
    with contextlib.suppress(BTFError):
        dump_json(btf)
    with contextlib.suppress(BTFError):
        encode(btf)
    for type_id in range(1, len(btf)):
        with contextlib.suppress(Error):
            codec = codec_for(btf, type_id)
            if codec.size <= 1 << 16:
                codec.encode(codec.decode(bytes(codec.size)))
    for name in ("int", "task_like", "nested", "", "\udcff"):
        with contextlib.suppress(BTFError):
            btf.find_all(name)


def parse_and_walk(data: bytes) -> None:
    try:
        btf = BTF.from_bytes(data)
    except BTFError:
        return
    walk(btf)


@pytest.fixture(scope="module")
def vmlinux_slice(vmlinux_btf_path) -> bytes:  # type: ignore[no-untyped-def]
    """The first 400 kernel types re-encoded on their own (references past them dangle)."""
    vm = BTF.from_file(vmlinux_btf_path)
    return encode(build([vm[i] for i in range(1, 401)]))


@pytest.mark.parametrize("name", ["kinds", "core"])
@FUZZ
@given(data=st.data())
def test_mutated_object_btf_raises_only_btf_error(
    btf_sections: dict[str, bytes], name: str, data: st.DataObject
) -> None:
    parse_and_walk(data.draw(mutated(btf_sections[name])))


@FUZZ
@given(data=st.data())
def test_mutated_vmlinux_slice_raises_only_btf_error(vmlinux_slice: bytes, data: st.DataObject) -> None:
    parse_and_walk(data.draw(mutated(vmlinux_slice)))


@FUZZ
@given(data=st.data())
def test_truncated_btf_raises_only_btf_error(btf_sections: dict[str, bytes], data: st.DataObject) -> None:
    blob = btf_sections["kinds"]
    parse_and_walk(blob[: data.draw(st.integers(0, len(blob) - 1))])


@FUZZ
@given(data=st.data())
def test_mutated_btf_ext_raises_only_btf_error(
    btf_sections: dict[str, bytes], btf_ext_sections: dict[str, bytes], data: st.DataObject
) -> None:
    btf = BTF.from_bytes(btf_sections["core"])
    blob = data.draw(mutated(btf_ext_sections["core"]))
    with contextlib.suppress(BTFError):
        BTFExt.from_bytes(blob, btf)


@settings(max_examples=200, deadline=None)
@given(blob=st.binary(max_size=200))
def test_random_bytes_raise_only_btf_error(blob: bytes) -> None:
    parse_and_walk(blob)
    with contextlib.suppress(BTFError):
        BTFExt.from_bytes(blob, build([]))


@FUZZ
@given(data=st.data())
def test_header_fields_set_to_any_value_raise_only_btf_error(
    btf_sections: dict[str, bytes], data: st.DataObject
) -> None:
    blob = bytearray(btf_sections["kinds"])
    field = data.draw(st.sampled_from([4, 8, 12, 16, 20]), label="header field offset")
    value = data.draw(st.one_of(st.integers(0, 64), st.integers(0, len(blob) + 8), st.integers(0, 2**32 - 1)))
    blob[field : field + 4] = value.to_bytes(4, "little")
    parse_and_walk(bytes(blob))
