"""Essential names: the flavour suffix rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf.core import essential_name
from pybpf.btf.core.names import names_match


@pytest.mark.parametrize(
    ("name", "essential"),
    [
        ("task_struct", "task_struct"),
        ("task_struct___v510", "task_struct"),
        ("task_struct___v5___rh", "task_struct___v5"),
        ("foo___", "foo___"),
        ("foo____bar", "foo____bar"),
        ("___foo", "___foo"),
        ("a___b", "a"),
        ("", ""),
        ("x", "x"),
    ],
)
def test_essential_name_drops_the_last_flavour_suffix(name: str, essential: str) -> None:
    assert essential_name(name) == essential


@pytest.mark.parametrize(
    ("local", "target", "match"),
    [
        ("foo___a", "foo___b", True),
        ("foo", "bar", False),
        ("", "bar", False),
        ("foo", "", False),
        ("", "", True),
    ],
)
def test_names_match_on_essential_names_or_when_both_are_anonymous(
    local: str, target: str, match: bool
) -> None:
    assert names_match(local, target) is match


_IDENT = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@settings(max_examples=200)
@given(base=_IDENT, flavour=_IDENT)
def test_adding_a_flavour_keeps_the_essential_name(base: str, flavour: str) -> None:
    assert essential_name(f"{base}___{flavour}") == base
