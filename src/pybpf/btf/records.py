"""Frozen dataclasses whose methods are written once instead of generated per class.

``@dataclass(frozen=True)`` compiles about six functions (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``) for every class when its module is imported; for
the records a load touches (BTF types, ``.BTF.ext`` records, ELF sections) that compiling cost
more than parsing the object.  A record class here is still a real dataclass, declared
``@dataclass(slots=True, init=False, repr=False, eq=False)`` with its own ``__init__`` (which
lives in the module's cached bytecode), and derives the rest from :class:`FrozenRecord`, which
behaves as the generated methods would: fields compared and hashed as a tuple (those with
``compare=True``), printed as ``Name(field=value, ...)`` (those with ``repr=True``), assignment
and deletion refused with :class:`dataclasses.FrozenInstanceError`, pickling and copying by
field values.  :func:`finish` records which fields those are, once per class.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from operator import attrgetter
from typing import Any, ClassVar, TypeVar

set_field = object.__setattr__

_R = TypeVar("_R", bound=type)


class FrozenRecord:
    """Comparison, hashing, ``repr``, immutability and pickling of a frozen dataclass."""

    __slots__ = ()
    _compared: ClassVar[Any]
    _shown: ClassVar[tuple[str, ...]]
    _all: ClassVar[tuple[str, ...]]

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(self._compared(self) == self._compared(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> list[object]:
        return [getattr(self, name) for name in self._all]

    def __setstate__(self, state: list[object]) -> None:
        for name, value in zip(self._all, state, strict=False):
            set_field(self, name, value)


class IdentityRecord(FrozenRecord):
    """A :class:`FrozenRecord` compared by identity, as ``@dataclass(frozen=True, eq=False)``."""

    __slots__ = ()
    __eq__ = object.__eq__
    __hash__ = object.__hash__


def _tuple_getter(names: tuple[str, ...]) -> Any:
    if len(names) > 1:
        return attrgetter(*names)  # a tuple, built in C
    return lambda obj: tuple(getattr(obj, name) for name in names)


def finish(cls: _R) -> _R:
    """Record the compared, shown and pickled fields of a :class:`FrozenRecord` dataclass."""
    record_fields = fields(cls)
    # staticmethod: a plain function stored on the class would be bound to the instance
    cls._compared = staticmethod(_tuple_getter(tuple(f.name for f in record_fields if f.compare)))  # type: ignore[attr-defined]
    cls._shown = tuple(f.name for f in record_fields if f.repr)  # type: ignore[attr-defined]
    cls._all = tuple(f.name for f in record_fields)  # type: ignore[attr-defined]
    return cls


__all__ = ["FrozenRecord", "IdentityRecord", "finish", "set_field"]
