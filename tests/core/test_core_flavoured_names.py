"""Flavoured spellings (``name___flavour``) found by searching a BTF string table in place."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf.core.candidates import _flavoured_names
from pybpf.btf.core.names import essential_name


@dataclass
class Strings:
    """The two attributes ``_flavoured_names`` reads of a BTF."""

    raw_strings: bytes
    base: Strings | None = None


def reference(tables: list[bytes], essential: str) -> set[str]:
    """Every NUL-terminated string of the tables that is a flavour of ``essential``."""
    found = set()
    for raw in tables:
        for chunk in raw.split(b"\0")[:-1]:  # the last piece is not NUL-terminated
            try:
                name = chunk.decode()
            except UnicodeDecodeError:
                continue
            if name.startswith(essential + "___") and essential_name(name) == essential:
                found.add(name)
    return found


TABLE = st.lists(st.sampled_from([b"a", b"b", b"_", b"___", b"\0", b"\xff", b"task"]), max_size=24).map(
    b"".join
)


@settings(max_examples=300, deadline=None)
@given(TABLE, TABLE, st.sampled_from(["a", "ab", "task", "b"]))
def test_flavours_are_the_terminated_strings_spelled_essential_underscores(
    own: bytes, base: bytes, essential: str
) -> None:
    btf = Strings(own, Strings(base))
    assert _flavoured_names(btf, essential) == reference([own, base], essential)  # type: ignore[arg-type]


def test_a_flavour_at_the_very_start_of_the_table_is_found() -> None:
    btf = Strings(b"task___v2\0other\0")
    assert _flavoured_names(btf, "task") == {"task___v2"}  # type: ignore[arg-type]
