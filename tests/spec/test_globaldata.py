"""``spec.rodata`` / ``spec.data`` / ``spec.bss``: typed access to global variables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import Error
from pybpf.spec import GlobalValueError, ObjectSpec, UnknownVariable


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("min_duration_ns", 500),
        ("offset_s8", -3),
        ("verbose", True),
        ("mode", 1),
        ("comm_filter", "bash"),
        ("small_u32", 42),
    ],
)
def test_rodata_reads_initial_values_through_btf(spec: ObjectSpec, name: str, value: object) -> None:
    assert spec.rodata[name] == value


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("min_duration_ns", 1_000_000, 1_000_000),
        ("offset_s8", -128, -128),
        ("verbose", False, False),
        ("mode", "MODE_SLOW", 7),
        ("mode", 0, 0),
        ("comm_filter", "zsh", "zsh"),
        ("comm_filter", b"sh", "sh"),
        ("small_u32", 0xFFFFFFFF, 0xFFFFFFFF),
    ],
)
def test_rodata_assignment_round_trips(spec: ObjectSpec, name: str, value: object, expected: object) -> None:
    spec.rodata[name] = value  # type: ignore[assignment]
    assert spec.rodata[name] == expected


def test_assignment_rewrites_the_bytes_of_the_map(spec: ObjectSpec) -> None:
    spec.rodata["min_duration_ns"] = 0x0102030405060708
    data = spec.maps[".rodata"].data
    assert data is not None and data[:8] == bytes.fromhex("0807060504030201")


def test_assigning_a_shorter_string_clears_the_rest_of_the_array(spec: ObjectSpec) -> None:
    spec.rodata["comm_filter"] = "b"
    data = spec.maps[".rodata"].data
    assert data is not None and data[16:32] == b"b" + bytes(15)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("small_u32", -1),
        ("small_u32", 1 << 32),
        ("offset_s8", 128),
        ("offset_s8", -129),
        ("verbose", 2),
        ("mode", "MODE_BOGUS"),
        ("comm_filter", "x" * 17),
        ("min_duration_ns", "12"),
        ("min_duration_ns", b"\0" * 7),
    ],
)
def test_values_the_type_cannot_hold_are_rejected(spec: ObjectSpec, name: str, value: object) -> None:
    with pytest.raises(GlobalValueError, match=name):
        spec.rodata[name] = value  # type: ignore[assignment]


def test_unknown_variable_names_raise_a_clear_error(spec: ObjectSpec) -> None:
    with pytest.raises(UnknownVariable, match="min_duration"):
        spec.rodata["min_duraton_ns"] = 1


def test_unknown_variable_error_is_a_pybpf_error_and_a_key_error(spec: ObjectSpec) -> None:
    with pytest.raises(UnknownVariable) as info:
        _ = spec.rodata["nope"]
    assert isinstance(info.value, Error) and isinstance(info.value, KeyError)


def test_variables_of_custom_sections_belong_to_their_family(spec: ObjectSpec) -> None:
    assert spec.rodata["custom_ro"] == 99
    assert spec.data["custom_data"] == 0xDEADBEEF


def test_data_and_bss_views_list_their_variables(spec: ObjectSpec) -> None:
    assert set(spec.data) == {"hits", "data_array", "static_data", "custom_data"}
    assert set(spec.bss) == {"bss_counter", "zeroed"}


def test_bss_variables_can_be_given_initial_values(spec: ObjectSpec) -> None:
    spec.bss["zeroed"] = 9
    assert spec.bss["zeroed"] == 9


def test_arrays_of_non_char_are_set_from_raw_bytes(spec: ObjectSpec) -> None:
    spec.rodata["pair"] = b"\x05\x00\x06\x00"
    assert spec.rodata["pair"] == b"\x05\x00\x06\x00"


def test_a_rodata_variable_is_not_visible_in_data(spec: ObjectSpec) -> None:
    with pytest.raises(UnknownVariable):
        _ = spec.data["min_duration_ns"]


def test_editing_a_copy_leaves_the_original_untouched(spec: ObjectSpec) -> None:
    copy = spec.copy()
    copy.rodata["small_u32"] = 7
    assert spec.rodata["small_u32"] == 42 and copy.rodata["small_u32"] == 7


@settings(max_examples=50, deadline=None)
@given(st.integers(-(1 << 70), 1 << 70))
def test_u32_accepts_exactly_its_range(globals_spec_once: ObjectSpec, value: int) -> None:
    spec = globals_spec_once
    if 0 <= value < 1 << 32:
        spec.rodata["small_u32"] = value
        assert spec.rodata["small_u32"] == value
    else:
        with pytest.raises(GlobalValueError):
            spec.rodata["small_u32"] = value


@pytest.fixture(scope="module")
def globals_spec_once(globals_object: object) -> ObjectSpec:
    return ObjectSpec.from_file(globals_object)  # type: ignore[arg-type]
