"""Values made on first use: package attributes that import their submodule when first asked
for, and the memoising decorators :func:`cache` and :func:`cached_property`.

Packages on the cold-start path (``import pybpf; pybpf.load(...)``) re-export names whose
submodules that path never needs; resolving them on first access keeps those imports off it.
The decorators are :mod:`functools`' own, made here because importing :mod:`functools` brings
:mod:`collections` with it, about 2 ms of a process that loads one object and exits.
"""

from __future__ import annotations

import sys

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from functools import cache as cache
    from functools import cached_property as cached_property
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


if not TYPE_CHECKING:

    def cache(function):
        """``function`` with its results kept by argument, as :func:`functools.cache` keeps them
        (with ``cache_clear()``); arguments must be hashable."""
        results = {}

        def cached(*args, **kwargs):
            key = (args, tuple(kwargs.items())) if kwargs else args
            try:
                return results[key]
            except KeyError:
                pass
            value = results[key] = function(*args, **kwargs)
            return value

        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(cached, attribute, getattr(function, attribute))
        cached.__wrapped__ = function
        cached.cache_clear = results.clear
        return cached

    class cached_property:
        """A property computed once per instance and then kept in its ``__dict__``, as
        :func:`functools.cached_property` does."""

        def __init__(self, function):
            self.function = function
            self.attribute = function.__name__
            self.__doc__ = function.__doc__

        def __set_name__(self, owner, name):
            self.attribute = name

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            value = instance.__dict__[self.attribute] = self.function(instance)
            return value


__all__ = ["Source", "cache", "cached_property", "lazy_attributes"]
