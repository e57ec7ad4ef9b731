"""Fixtures of the build-toolchain tests."""

from __future__ import annotations

import pytest
from cc_helpers import have_compiler


@pytest.fixture
def bpf_cc() -> None:
    """Tests that really compile use this: without clang or the ziglang wheel they skip."""
    if not have_compiler():
        pytest.skip("no BPF C compiler (clang or the ziglang wheel)")
