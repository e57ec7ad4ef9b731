"""The names from :mod:`typing` that pybpf needs while running, without importing it.

Importing :mod:`typing` costs a few milliseconds and pulls in :mod:`re`; a short-lived process
that loads one object pays that on every start.  Annotations are strings here (``from __future__
import annotations``) and type-only imports sit under ``if TYPE_CHECKING:``, so what is left at
run time is a generic or protocol base class and a type variable to parametrise it.  Type
checkers see the real :mod:`typing` objects; at run time these stand-ins accept the same
spellings (``Generic[T]``, ``Protocol``, ``TypeVar("T", bound=...)``) and do nothing else.

The abstract bases pybpf's mapping classes derive from come from the same place for a like
reason: :mod:`collections.abc` is a submodule of :mod:`collections`, whose package module costs
about 1.5 ms to import, while the classes themselves live in ``_collections_abc``, which the
interpreter has already imported by the time ``site`` runs (:mod:`os` needs it).
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import MutableMapping as MutableMapping
    from typing import Generic as Generic
    from typing import Protocol as Protocol
    from typing import TypeVar as TypeVar
else:
    from _collections_abc import MutableMapping

    class Generic:
        """A base class that subscripting leaves unchanged: ``Base[T]`` is ``Base``."""

        __slots__ = ()

        def __class_getitem__(cls, _params):
            return cls

    class Protocol(Generic):
        """Structural types are checked statically only; at run time this is an empty base."""

        __slots__ = ()

    def TypeVar(name, *_constraints, **_options):
        return name


__all__ = ["TYPE_CHECKING", "Generic", "MutableMapping", "Protocol", "TypeVar"]
