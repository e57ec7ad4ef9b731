"""Enums for kernel constants (and pybpf's own), built at a fraction of what a class statement costs.

A load touches some four hundred kernel constants (program, map and attach types, bpf commands,
opcode fields, BTF kinds, flags).  ``class X(enum.IntEnum)`` runs ``EnumType``'s general
machinery for every member: some 80k instructions a member on CPython 3.11-3.13, which made
building enums the largest single cost of a cold ``pybpf.load`` (18% of its instructions).

``class X(KernelIntEnum)``, ``class X(KernelIntFlag)`` and ``class X(ConstantEnum)`` (string
values) give the same classes, genuine :class:`enum.IntEnum` / :class:`enum.IntFlag` /
:class:`enum.Enum` subclasses whose metaclass is :class:`enum.EnumType`, built the way CPython
builds its own start-up enums (``http.HTTPStatus``, ``re.RegexFlag``): through the standard
library's ``_simple_enum``.  For integer enums the members are then added in one plain loop;
for the others ``_simple_enum`` makes them.  Either way each member ends up a plain class
attribute, as a class statement leaves it.  Those are private parts of :mod:`enum`, so this path
is taken only on the CPython versions it was compared against member by member
(``tests/test_enum.py`` checks it against the class statement); elsewhere the classes go through
the class statement's own machinery.  Type checkers see the :mod:`enum` classes themselves.
"""

from __future__ import annotations

import enum
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: CPython versions whose ``enum`` internals the fast path was compared against.
FAST_VERSIONS = frozenset({(3, 11), (3, 12), (3, 13)})
FAST = (
    sys.implementation.name == "cpython"
    and sys.version_info[:2] in FAST_VERSIONS
    and hasattr(enum, "_simple_enum")
)


def _is_member(name: str, value: object) -> bool:
    """What ``EnumType`` would make a member: a public name bound to a non-descriptor value."""
    if name.startswith("_"):
        return False
    return not (hasattr(value, "__get__") or hasattr(value, "__set__") or hasattr(value, "__delete__"))


def build_standard(base: type[enum.Enum], name: str, namespace: dict[str, object]) -> type:
    """The class that ``class name(base)`` with this body makes, through ``EnumType`` itself."""
    bases = (base,)
    prepared = enum.EnumType.__prepare__(name, bases)
    for key, value in namespace.items():
        prepared[key] = value
    return enum.EnumType(name, bases, prepared)


def build_fast(base: type[enum.Enum], name: str, namespace: dict[str, object]) -> type:
    """The same class as :func:`build_standard`, without ``EnumType``'s per-member work."""
    body: dict[str, object] = {}
    members: list[tuple[str, int]] = []
    plain = (int, str) if base is enum.Enum else (int,)
    for key, value in namespace.items():
        if type(value) in plain and key[0] != "_" and key not in ("name", "value"):
            members.append((key, value))  # type: ignore[arg-type]
        elif _is_member(key, value):
            return build_standard(base, name, namespace)  # not the plain case this path covers
        else:
            body[key] = value
    simple = enum._simple_enum(base)  # type: ignore[attr-defined]
    if base is enum.IntEnum:
        cls = simple(type(name, (), body))
        _add_int_members(cls, members)
    else:
        cls = simple(type(name, (), {**body, **dict(members)}))
    cls.__qualname__ = namespace.get("__qualname__", name)
    cls.__doc__ = namespace.get("__doc__")  # ``_simple_enum`` writes a stock one where none is given
    # Plain attributes, as a class statement leaves them (``_simple_enum`` may leave properties
    # that look the member up on every access), set last: setting an attribute on a class voids
    # the interpreter's attribute cache for it.
    put = type.__setattr__
    for key, member in cls._member_map_.items():
        put(cls, key, member)
    return cls


def _add_int_members(cls: type, members: list[tuple[str, int]]) -> None:
    """Members of a fresh integer enum class in definition order; a repeated value is an alias."""
    names: list[str] = cls._member_names_  # type: ignore[attr-defined]
    by_name: dict[str, Any] = cls._member_map_  # type: ignore[attr-defined]
    by_value: dict[int, Any] = cls._value2member_map_  # type: ignore[attr-defined]
    new = int.__new__
    for key, value in members:
        member: Any = by_value.get(value)
        if member is None:
            member = new(cls, value)
            member._value_ = value
            member._name_ = key
            member.__objclass__ = cls
            member._sort_order_ = len(names)
            names.append(key)
            by_value[value] = member
        by_name[key] = member


if TYPE_CHECKING:
    from enum import Enum as ConstantEnum
    from enum import IntEnum as KernelIntEnum
    from enum import IntFlag as KernelIntFlag
else:

    class _Builder(type):
        """Metaclass of the three bases: a subclass statement returns the built enum class."""

        def __new__(mcls, name, bases, namespace, **kwargs):
            if "_kind_" in namespace:  # the bases themselves
                return super().__new__(mcls, name, bases, namespace, **kwargs)
            if len(bases) != 1 or type(bases[0]) is not _Builder or kwargs:
                raise TypeError(f"{name}: {bases[0].__name__} takes no other bases or class keywords")
            build = build_fast if FAST else build_standard
            return build(bases[0]._kind_, name, dict(namespace))

    class KernelIntEnum(metaclass=_Builder):
        """Base of pybpf's integer constant enums; subclasses are :class:`enum.IntEnum` classes."""

        _kind_ = enum.IntEnum

    class KernelIntFlag(metaclass=_Builder):
        """Base of pybpf's flag enums; subclasses are :class:`enum.IntFlag` classes."""

        _kind_ = enum.IntFlag

    class ConstantEnum(metaclass=_Builder):
        """Base of pybpf's other constant enums (string values); subclasses are :class:`enum.Enum`."""

        _kind_ = enum.Enum


__all__ = [
    "FAST",
    "FAST_VERSIONS",
    "ConstantEnum",
    "KernelIntEnum",
    "KernelIntFlag",
    "build_fast",
    "build_standard",
]
