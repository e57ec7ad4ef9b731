"""Enums for kernel constants (and pybpf's own), without importing :mod:`enum`.

A load touches some four hundred kernel constants (program, map and attach types, bpf commands,
opcode fields, BTF kinds, flags).  Making them :class:`enum.IntEnum` classes costs a short-lived
process twice: importing :mod:`enum` drags in :mod:`functools` and :mod:`collections` (about 4 ms
of a 40 ms ``python -c 'import pybpf; pybpf.load(obj)'``), and ``EnumType`` then spends some 80k
instructions on every member.

``class X(KernelIntEnum)``, ``class X(KernelIntFlag)`` and ``class X(ConstantEnum)`` (for other
values, such as strings) make classes with the enum API instead: members are instances of the
class (``int`` subclasses for the first two) with ``name`` and ``value``; the class looks members
up by value (``X(3)``) and by name (``X["A"]``), iterates them in definition order without their
aliases, has ``__members__``, and refuses to reassign them.  ``repr``, ``str``, ``format``,
hashing, pickling and copying follow :class:`enum.IntEnum` / :class:`enum.IntFlag` /
:class:`enum.Enum` of CPython 3.11-3.13, including flag composites (``<F.A|C: 9>``, unknown bits
kept, ``~`` within the defined bits) and the 3.12 rule that ``value in X`` asks whether some
member has that value.  ``tests/test_enum.py`` compares every pybpf enum, and randomly made ones,
with the class a plain ``enum`` class statement makes.

What differs: the classes are not subclasses of :class:`enum.Enum` (``isinstance(x, enum.Enum)``
is false; test ``isinstance(x, KernelIntEnum)`` or ``int``), there is no functional API or
``auto()``, and ``dir()`` lists less.  Type checkers see the :mod:`enum` classes themselves.
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from enum import Enum as ConstantEnum
    from enum import IntEnum as KernelIntEnum
    from enum import IntFlag as KernelIntFlag
else:
    _mappingproxy = type(type.__dict__)
    _RESERVED = frozenset({"name", "value", "mro"})

    def _is_descriptor(value):
        kind = type(value)
        return hasattr(kind, "__get__") or hasattr(kind, "__set__") or hasattr(kind, "__delete__")

    class _EnumType(type):
        """Metaclass of pybpf's enum classes: makes the members and looks them up."""

        def __new__(mcls, name, bases, namespace, **kwargs):
            if "_kind_" in namespace:  # the bases themselves
                return super().__new__(mcls, name, bases, namespace, **kwargs)
            if len(bases) != 1 or "_kind_" not in vars(bases[0]) or kwargs:
                if len(bases) == 1 and isinstance(bases[0], _EnumType) and not kwargs:
                    raise TypeError(f"{name}: cannot extend enum {bases[0].__name__!r}")
                raise TypeError(f"{name}: {bases[0].__name__} takes no other bases or class keywords")
            kind = bases[0]._kind_
            plain = str if kind == "const" else int
            body = {}
            members = {}
            for key, value in namespace.items():
                if key[0] == "_":
                    body[key] = value
                elif type(value) is plain:  # nearly every member
                    members[key] = value
                elif _is_descriptor(value):
                    body[key] = value
                elif kind == "const":
                    members[key] = value
                elif isinstance(value, int):
                    members[key] = int(value)
                else:
                    raise TypeError(f"{name}.{key}: integer enum members take int values, not {value!r}")
            if not _RESERVED.isdisjoint(members):
                raise TypeError(f"{name}: {sorted(_RESERVED & members.keys())} reserved, cannot name members")
            names = body["_member_names_"] = []
            by_name = body["_member_map_"] = {}
            by_value = body["_value2member_map_"] = {}
            if kind != "const":
                # Integer members carry nothing but their value: names live in the class.
                body["__slots__"] = ()
                name_of = body["_name_of_"] = {}
                if kind == "flag":
                    order_of = body["_order_of_"] = {}  # definition index, for _iter_member_
            cls = super().__new__(mcls, name, bases, body)
            put = type.__setattr__
            if kind == "const":
                for key, value in members.items():
                    member = by_value.get(value)
                    if member is None:
                        member = object.__new__(cls)
                        member._value_ = value
                        member._name_ = key
                        names.append(key)
                        by_value[value] = member
                    by_name[key] = member
                    put(cls, key, member)
                return cls
            new = int.__new__
            if kind == "int":
                for key, value in members.items():
                    member = by_value.get(value)
                    if member is None:
                        member = by_value[value] = new(cls, value)
                        name_of[value] = key
                        names.append(key)
                    by_name[key] = member
                    put(cls, key, member)
            else:
                flag_mask = singles = 0
                for key, value in members.items():
                    member = by_value.get(value)
                    single = value > 0 and value & (value - 1) == 0
                    if member is None:
                        member = by_value[value] = new(cls, value)
                        name_of[value] = key
                        order_of[value] = len(names)
                        if single:
                            names.append(key)
                    flag_mask |= value
                    if single:
                        singles |= value
                    by_name[key] = member
                    put(cls, key, member)
                put(cls, "_flag_mask_", flag_mask)
                put(cls, "_singles_mask_", singles)
                put(cls, "_all_bits_", 2 ** flag_mask.bit_length() - 1)
                canonical = [int(by_name[key]) for key in names]
                put(cls, "_by_definition_", canonical != sorted(canonical))
            return cls

        def __call__(cls, value, *extra):
            if extra:
                raise TypeError(f"{cls.__name__}() takes one value (pybpf enums have no functional API)")
            if type(value) is cls:
                return value
            try:
                return cls._value2member_map_[value]
            except (KeyError, TypeError):
                pass
            if not cls._member_map_:
                raise TypeError(f"{cls!r} has no members defined")
            found = cls._missing_(value)
            if found is None:
                raise ValueError(f"{value!r} is not a valid {cls.__qualname__}")
            if not isinstance(found, cls):
                raise TypeError(
                    f"error in {cls.__name__}._missing_: returned {found!r} instead of None or a valid member"
                )
            return found

        def __getitem__(cls, name):
            return cls._member_map_[name]

        def __iter__(cls):
            by_name = cls._member_map_
            return (by_name[name] for name in cls._member_names_)

        def __reversed__(cls):
            by_name = cls._member_map_
            return (by_name[name] for name in reversed(cls._member_names_))

        def __len__(cls):
            return len(cls._member_names_)

        def __bool__(cls):
            return True

        def __contains__(cls, value):
            if isinstance(value, cls):
                return True
            try:
                return value in cls._value2member_map_
            except TypeError:
                return False

        @property
        def __members__(cls):
            """Every member by name, aliases included, in definition order."""
            return _mappingproxy(cls._member_map_)

        def __repr__(cls):
            return f"<{'flag' if cls._kind_ == 'flag' else 'enum'} {cls.__name__!r}>"

        def __setattr__(cls, name, value):
            if name in cls.__dict__.get("_member_map_", ()):
                raise AttributeError(f"cannot reassign member {name!r}")
            super().__setattr__(name, value)

        def __delattr__(cls, name):
            if name in cls.__dict__.get("_member_map_", ()):
                raise AttributeError(f"{cls.__name__!r} cannot delete member {name!r}.")
            super().__delattr__(name)

        def __dir__(cls):
            own = [
                key for key in type.__dir__(cls) if not (key[0] == "_" and key[-1] == "_" and key[:2] != "__")
            ]
            return sorted({*own, "__members__", *cls._member_map_})

    class _Member:
        """What every member has, whatever its value type."""

        __slots__ = ()

        @property
        def name(self):
            """The member's name (``None`` for a flag composite no member names)."""
            return self._name_

        @property
        def value(self):
            return self._value_

        def __reduce_ex__(self, protocol):
            return type(self), (self._value_,)

        def __copy__(self):
            return self

        def __deepcopy__(self, memo):
            return self

        @classmethod
        def _missing_(cls, value):
            """Called with a value no member has; returns a member, or ``None`` to refuse it."""
            return None

    # Integer members carry nothing but their value: the class keeps their names.  (Shared as
    # functions rather than through one more base class, which every enum class's creation pays.)
    def _int_value(self):
        return int(self)

    def _int_name(self):
        return type(self)._name_of_[self]

    class KernelIntEnum(_Member, int, metaclass=_EnumType):
        """Base of pybpf's integer constant enums: members are ``int``\\ s, as :class:`enum.IntEnum`'s are."""

        _kind_ = "int"
        __slots__ = ()

        def __repr__(self):
            return f"<{type(self).__name__}.{self._name_}: {int.__repr__(self)}>"

    class KernelIntFlag(_Member, int, metaclass=_EnumType):
        """Base of pybpf's flag enums: members combine with ``|``, ``&``, ``^`` and ``~``, as
        :class:`enum.IntFlag`'s do, and bits no member names are kept."""

        _kind_ = "flag"
        __slots__ = ()

        @property
        def _sort_order_(self):
            order = type(self)._order_of_.get(self)
            if order is None:  # a composite: as the standard library's have none
                raise AttributeError(f"{type(self).__name__!r} object has no attribute '_sort_order_'")
            return order

        def __repr__(self):
            if self._name_ is None:
                return f"<{type(self).__name__}: {int.__repr__(self)}>"
            return f"<{type(self).__name__}.{self._name_}: {int.__repr__(self)}>"

        @classmethod
        def _iter_member_(cls, value):
            """The members whose bits are in ``value`` (in bit order, or in definition order when
            the single-bit members were not defined in increasing order)."""
            by_value = cls._value2member_map_
            found = []
            bits = value & cls._flag_mask_
            while bits:
                low = bits & -bits
                found.append(by_value.get(low))
                bits ^= low
            if cls._by_definition_:
                found.sort(key=lambda member: member._sort_order_)
            return found

        @classmethod
        def _missing_(cls, value):
            """A composite of the members in ``value``, named ``A|B``, with unknown bits kept."""
            if not isinstance(value, int):
                return None
            flag_mask = cls._flag_mask_
            singles = cls._singles_mask_
            all_bits = cls._all_bits_
            if (not ~all_bits <= value <= all_bits or value & (all_bits ^ flag_mask)) and value < 0:
                value = max(all_bits + 1, 2 ** value.bit_length()) + value
            negative = None
            if value < 0:
                negative = value
                value = all_bits + 1 + value
            member_value = value & singles
            aliases = value & ~singles
            composite = int.__new__(cls, value)
            name = None
            if member_value or aliases:
                members = cls._iter_member_(member_value)
                combined = 0
                for member in members:
                    combined |= member._value_
                if aliases:
                    value = member_value | aliases
                    for member in cls._member_map_.values():
                        if (
                            member not in members
                            and member._value_
                            and member._value_ & value == member._value_
                        ):
                            members.append(member)
                            combined |= member._value_
                unknown = value ^ combined
                if combined:
                    name = "|".join(member._name_ for member in members)
                    if unknown:
                        name += f"|{unknown!r}"
            composite = cls._value2member_map_.setdefault(value, composite)
            cls._name_of_.setdefault(value, name)
            if negative is not None:
                cls._value2member_map_[negative] = composite
            return composite

        def __or__(self, other):
            if not isinstance(other, int):
                return NotImplemented
            return type(self)(self._value_ | other)

        def __and__(self, other):
            if not isinstance(other, int):
                return NotImplemented
            return type(self)(self._value_ & other)

        def __xor__(self, other):
            if not isinstance(other, int):
                return NotImplemented
            return type(self)(self._value_ ^ other)

        __ror__ = __or__
        __rand__ = __and__
        __rxor__ = __xor__

        def __invert__(self):
            return type(self)(~self._value_)

        def __contains__(self, other):
            if not isinstance(other, type(self)):
                raise TypeError(
                    f"unsupported operand type(s) for 'in': {type(other).__qualname__!r} and {type(self).__qualname__!r}"
                )
            return other._value_ & self._value_ == other._value_

        def __iter__(self):
            return iter(type(self)._iter_member_(self._value_))

        def __len__(self):
            return self._value_.bit_count()

        def __bool__(self):
            return self._value_ != 0

    for _base in (KernelIntEnum, KernelIntFlag):  # set before any enum class exists
        for _key, _shared in (
            ("_value_", property(_int_value)),
            ("_name_", property(_int_name)),
            ("__str__", int.__repr__),
            ("__format__", int.__format__),
        ):
            type.__setattr__(_base, _key, _shared)
    del _base, _key, _shared

    class ConstantEnum(_Member, metaclass=_EnumType):
        """Base of pybpf's other constant enums (string values), members as :class:`enum.Enum`'s."""

        _kind_ = "const"

        def __repr__(self):
            return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"

        def __str__(self):
            return f"{type(self).__name__}.{self._name_}"

        def __format__(self, spec):
            return format(str(self), spec)

        def __hash__(self):
            return hash(self._name_)


__all__ = ["ConstantEnum", "KernelIntEnum", "KernelIntFlag"]
