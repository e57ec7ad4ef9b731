"""Paths shared by the ``pybpf run`` tests (importable as ``run_testlib``)."""

from __future__ import annotations

from pathlib import Path

from testlib import EXAMPLES

__all__ = ["DATA", "EXAMPLES"]

DATA = Path(__file__).resolve().parent / "data"
