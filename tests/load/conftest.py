"""Fixtures for loading objects into the running kernel: objects compiled once per session.

``bpf_ok`` and ``bpffs_dir`` (a scratch directory for pins) come from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from load_testlib import DATA

from testlib import object_builder


@pytest.fixture(scope="session")
def build_object(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``build_object("maps")`` compiles tests/load/data/maps.bpf.c (or an example) once."""
    return object_builder(DATA, tmp_path_factory.mktemp("load-objects"))
