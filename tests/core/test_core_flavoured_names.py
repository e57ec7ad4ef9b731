"""Flavoured spellings (``name___flavour``) found by searching a BTF string table in place."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import BTF
from pybpf.btf.core.candidates import _flavoured_names
from pybpf.btf.core.names import essential_name


def blob(strings: bytes) -> bytes:
    """A BTF blob with no types and this string section."""
    return struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 0, 0, len(strings)) + strings


def reference(tables: list[bytes], essential: str) -> set[str]:
    """Every NUL-terminated string of the tables that is a flavour of ``essential``."""
    found = set()
    for raw in tables:
        for chunk in raw.split(b"\0"):
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
    # A base table starts with the empty string; a split one continues it; both end in NUL.
    base_btf = BTF.from_bytes(blob(b"\0" + base + b"\0"))
    btf = BTF.from_bytes(blob(own + b"\0"), base=base_btf)
    assert _flavoured_names(btf, essential) == reference([own, base], essential)


def test_a_flavour_at_the_very_start_of_a_split_table_is_found() -> None:
    btf = BTF.from_bytes(blob(b"task___v2\0other\0"), base=BTF.from_bytes(blob(b"\0")))
    assert _flavoured_names(btf, "task") == {"task___v2"}
    assert btf.strings_with_prefix("task") == ["task___v2"]
