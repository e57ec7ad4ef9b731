"""Lazy package attributes: a package names what it exports but imports a submodule on first use.

Packages on the cold-start path (``import pybpf; pybpf.load(...)``) re-export names whose
submodules that path never needs; resolving them on first access keeps those imports off it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def lazy_attributes(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``table`` maps a name to its submodule.

    The resolved value is stored in the package's namespace, so each name is imported once.
    """

    def resolve(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # __import__ rather than importlib.import_module: importlib's own import costs more.
        __import__(f"{package}.{module}")
        value = getattr(sys.modules[f"{package}.{module}"], name)
        setattr(sys.modules[package], name, value)
        return value

    return resolve


__all__ = ["lazy_attributes"]
