"""Kernel symbols from kallsyms: parsing, bisect lookups, module names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import ParseError
from pybpf.symbols import KernelSymbols, kernel_symbols, ksym, parse_kallsyms

SAMPLE = """\
ffffffff81000000 T _stext
ffffffff81001000 T first_function
ffffffff81001080 t second_function
ffffffff82000000 D some_data
ffffffffc0201000 t module_function\t[mymod]
0000000000000000 T hidden_symbol
"""


@pytest.fixture
def table() -> KernelSymbols:
    return KernelSymbols(parse_kallsyms(SAMPLE))


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (0xFFFFFFFF81001000, "first_function+0x0"),
        (0xFFFFFFFF8100107F, "first_function+0x7f"),
        (0xFFFFFFFF81001080, "second_function+0x0"),
        (0xFFFFFFFF82000010, "second_function+0xffef90"),
        (0xFFFFFFFFC0201010, "module_function+0x10 [mymod]"),
    ],
)
def test_address_resolves_to_the_nearest_symbol_below_it(
    table: KernelSymbols, address: int, expected: str
) -> None:
    assert str(table.lookup(address)) == expected


def test_address_below_every_symbol_resolves_to_none(table: KernelSymbols) -> None:
    assert table.lookup(0xFFFFFFFF80000000) is None


def test_data_symbols_and_zero_addresses_are_left_out(table: KernelSymbols) -> None:
    assert {s.name for s in table.symbols} == {
        "_stext",
        "first_function",
        "second_function",
        "module_function",
    }


def test_module_symbol_carries_its_module_name(table: KernelSymbols) -> None:
    frame = table.lookup(0xFFFFFFFFC0201000)
    assert frame is not None and frame.module == "mymod"


@pytest.mark.parametrize("line", ["ffffffff81000000 T", "zzzz T name"], ids=["too few fields", "bad address"])
def test_malformed_kallsyms_line_raises_parse_error(line: str) -> None:
    with pytest.raises(ParseError):
        parse_kallsyms(line)


@settings(max_examples=100, deadline=None)
@given(
    st.sets(st.integers(min_value=1, max_value=2**64 - 1), min_size=1, max_size=30), st.integers(0, 2**64 - 1)
)
def test_lookup_returns_the_greatest_symbol_address_not_above_the_query(
    addresses: set[int], query: int
) -> None:
    table = KernelSymbols(parse_kallsyms("\n".join(f"{a:x} T s{a:x}" for a in addresses)))
    below = [a for a in addresses if a <= query]
    frame = table.lookup(query)
    assert (frame.symbol.address if frame else None) == (max(below) if below else None)


def test_running_kernel_symbol_round_trips_through_its_address(kallsyms_readable: None) -> None:
    address = kernel_symbols().address_of("do_sys_openat2") or kernel_symbols().address_of("schedule")
    assert address is not None
    frame = ksym(address + 1)
    assert frame is not None and (frame.address - frame.offset, frame.offset) == (address, 1)


def test_every_loaded_kernel_symbol_is_a_text_symbol(kallsyms_readable: None) -> None:
    assert {s.type for s in kernel_symbols().symbols} <= set("tTwW")
