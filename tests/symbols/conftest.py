"""Fixtures for the symbolization tests."""

from __future__ import annotations

import pytest

from testlib import find_tool, require_kernel_feature


@pytest.fixture(scope="session")
def gcc() -> str:
    found = find_tool("gcc", "cc")
    if found is None:
        pytest.skip("no C compiler (gcc)")
    return found


@pytest.fixture
def kallsyms_readable() -> None:
    from pybpf.symbols import kernel_symbols

    require_kernel_feature(len(kernel_symbols()) > 0, "/proc/kallsyms hides addresses (kptr_restrict)")
