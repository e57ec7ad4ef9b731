"""The runtime-neutral layer both runtimes share: per-CPU encoding, ``with`` closing, lazy exports."""

from __future__ import annotations

import importlib
import struct
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf._closing import Closing
from pybpf._lazy import lazy_attributes
from pybpf.runtime.model import PerCPU, decode_percpu, encode_percpu, percpu_stride
from pybpf.runtime.values import MapValueError, RawCodec

U32 = RawCodec(4, "value")


@pytest.mark.parametrize(("value_size", "stride"), [(1, 8), (4, 8), (8, 8), (9, 16), (16, 16), (20, 24)])
def test_percpu_slots_are_value_sizes_rounded_up_to_eight_bytes(value_size: int, stride: int) -> None:
    assert percpu_stride(value_size) == stride


def test_one_percpu_value_is_given_to_every_cpu_padded_to_its_slot() -> None:
    raw = encode_percpu(U32, struct.pack("<I", 7), 4, 3, "m")
    assert raw == (struct.pack("<I", 7) + bytes(4)) * 3


def test_a_list_of_percpu_values_gives_each_cpu_its_own() -> None:
    raw = encode_percpu(U32, [struct.pack("<I", 1), struct.pack("<I", 2)], 4, 2, "m")
    assert raw == struct.pack("<I4xI4x", 1, 2)


@pytest.mark.parametrize("values", [[bytes(4)], [bytes(4)] * 3, ()])
def test_a_percpu_list_of_the_wrong_length_is_refused_naming_the_map(values: Any) -> None:
    with pytest.raises(MapValueError, match=r"counts: \d+ per-CPU values for 2 CPUs"):
        encode_percpu(U32, values, 4, 2, "counts")


@settings(max_examples=50)
@given(value_size=st.integers(1, 24), ncpus=st.integers(1, 8), data=st.data())
def test_percpu_values_decode_to_what_was_encoded(value_size: int, ncpus: int, data: st.DataObject) -> None:
    codec = RawCodec(value_size, "value")
    values = data.draw(
        st.lists(st.binary(min_size=value_size, max_size=value_size), min_size=ncpus, max_size=ncpus)
    )
    raw = encode_percpu(codec, values, value_size, ncpus, "m")
    assert len(raw) == percpu_stride(value_size) * ncpus
    decoded = decode_percpu(codec, raw, value_size, ncpus)
    assert isinstance(decoded, PerCPU)
    assert [bytes(v) for v in decoded] == values


class _Resource(Closing):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_entering_a_closing_object_gives_the_object_itself() -> None:
    resource = _Resource()
    with resource as entered:
        assert entered is resource
        assert resource.closed == 0


def test_leaving_with_closes_even_when_the_block_raises() -> None:
    resource = _Resource()
    with pytest.raises(RuntimeError), resource:
        raise RuntimeError("inside")
    assert resource.closed == 1


def test_a_lazy_attribute_is_imported_on_first_use_and_then_kept_in_the_package() -> None:
    package = sys.modules["pybpf.runtime"]
    assert "percpu_stride" not in vars(package)
    try:
        resolve = lazy_attributes("pybpf.runtime", {"percpu_stride": "model"})
        assert resolve("percpu_stride") is percpu_stride
        assert vars(package)["percpu_stride"] is percpu_stride
    finally:
        vars(package).pop("percpu_stride", None)


def test_an_unknown_lazy_attribute_is_an_attribute_error_naming_the_package() -> None:
    resolve = lazy_attributes("pybpf.btf", {})
    with pytest.raises(AttributeError, match=r"'pybpf\.btf' has no attribute 'nope'"):
        resolve("nope")


@pytest.mark.parametrize(("name", "module"), [("BTFExt", "ext"), ("codec_for", "codec"), ("build", "encode")])
def test_btf_package_exports_its_lazy_names_from_their_submodules(name: str, module: str) -> None:
    import pybpf.btf

    assert getattr(pybpf.btf, name) is getattr(importlib.import_module(f"pybpf.btf.{module}"), name)
