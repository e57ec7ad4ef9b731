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

#: Where a lazy name comes from: a submodule of the package holding an attribute of the same
#: name, or (module, attribute) where the module is a submodule or, starting with "pybpf.", a
#: module anywhere and the attribute None stands for the module itself.
Source = str | tuple[str, "str | None"]


def lazy_attributes(package: str, table: Mapping[str, Source]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` resolving the names of ``table``.

    The resolved value is stored in the package's namespace, so each name is imported once.
    """

    def resolve(name: str) -> Any:
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = (source, name) if isinstance(source, str) else source
        if not module.startswith("pybpf."):
            module = f"{package}.{module}"
        # __import__ rather than importlib.import_module: importlib's own import costs more.
        __import__(module)
        value = sys.modules[module] if attribute is None else getattr(sys.modules[module], attribute)
        setattr(sys.modules[package], name, value)
        return value

    return resolve


__all__ = ["Source", "lazy_attributes"]
