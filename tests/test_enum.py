"""pybpf's enums (:mod:`pybpf._enum`) against the classes a plain :mod:`enum` class statement makes.

Every ``KernelIntEnum``/``KernelIntFlag``/``ConstantEnum`` class in the package is rebuilt from its
own source with ``enum.IntEnum``/``enum.IntFlag``/``enum.Enum`` as the base, and the two are
compared on what a user can observe: members and aliases in order, names, values,
``repr``/``str``/``format``, hashes, lookups by value and name, unknown values, flag arithmetic,
iteration, containment, pickling, copying and the properties the class body defines.  Random
integer enums and flags (aliases, multi-bit and zero members, unknown bits) are compared the
same way.  ``python tests/test_enum.py`` runs the package comparison without pytest.
"""

from __future__ import annotations
import __future__

import copy
import enum
import importlib
import inspect
import pickle
import pkgutil
import sys
import textwrap

import pybpf
from pybpf._enum import ConstantEnum, KernelIntEnum, KernelIntFlag

#: Python 3.11 raises TypeError for ``value in EnumClass``; pybpf follows 3.12's answer.
VALUE_CONTAINMENT = sys.version_info >= (3, 12)


def kernel_enums() -> list[type]:
    """Every enum class pybpf defines, found by importing every module."""
    for info in pkgutil.walk_packages(pybpf.__path__, "pybpf."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # optional extras (llvmlite, click, ...) that may be absent
            continue
    found = [sub for base in (KernelIntEnum, KernelIntFlag, ConstantEnum) for sub in base.__subclasses__()]
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def standard_twin(cls: type) -> type[enum.Enum]:
    """``cls`` rebuilt from its source by a class statement on the standard base."""
    source = textwrap.dedent(inspect.getsource(cls))
    source = (
        source.replace("(KernelIntEnum):", "(enum.IntEnum):")
        .replace("(KernelIntFlag):", "(enum.IntFlag):")
        .replace("(ConstantEnum):", "(enum.Enum):")
    )
    namespace = dict(vars(sys.modules[cls.__module__]))
    namespace["enum"] = enum
    code = compile(
        source, inspect.getsourcefile(cls) or "<enum>", "exec", __future__.annotations.compiler_flag, True
    )
    exec(code, namespace)
    twin = namespace[cls.__name__]
    assert type(twin) is enum.EnumType
    return twin


def _outcome(call: object, *args: object) -> tuple[object, ...]:
    """What ``call(*args)`` gives: a description of the result, or of the exception raised."""
    try:
        result = call(*args)  # type: ignore[operator]
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))
    return ("ok", _describe(result))


def _describe(value: object) -> object:
    """What is compared of a value: members by what they show, anything else as itself."""
    if isinstance(value, enum.Enum | KernelIntEnum | KernelIntFlag | ConstantEnum):
        return ("member", type(value).__name__, value.name, value.value, repr(value), str(value))  # type: ignore[union-attr]
    if isinstance(value, list):
        return [_describe(item) for item in value]
    if callable(value):  # a bound method of one class or the other: compared by calling it
        return "callable"
    return value


def compare_flag_values(built: type, twin: type, values: list[int]) -> None:
    """Composites, arithmetic and containment of flag values, against the standard flag."""
    for value in values:
        ours, theirs = built(value), twin(value)
        assert _describe(ours) == _describe(theirs), value
        assert _outcome(list, ours) == _outcome(list, theirs), value  # both fail alike on some aliases
        assert (len(ours), bool(ours)) == (len(theirs), bool(theirs))
        assert _describe(~ours) == _describe(~theirs), value
        assert ours is built(value)
        if getattr(sys.modules.get(built.__module__), built.__qualname__, None) is built:  # importable
            assert pickle.loads(pickle.dumps(ours)) is ours
        assert copy.copy(ours) is ours and copy.deepcopy(ours) is ours
        for other in values[:8]:
            for op in ("__or__", "__and__", "__xor__", "__ror__", "__rand__", "__rxor__"):
                assert _outcome(getattr(ours, op), other) == _outcome(getattr(theirs, op), other), (
                    value,
                    op,
                    other,
                )
            assert _describe(ours | built(other)) == _describe(theirs | twin(other))
            assert _outcome(ours.__contains__, built(other)) == _outcome(theirs.__contains__, twin(other))
        assert _outcome(ours.__contains__, 1) == _outcome(theirs.__contains__, 1)


def compare(built: type, twin: type) -> None:
    """Assert that ``built`` and ``twin`` behave the same, member by member."""
    assert (built.__name__, built.__qualname__, built.__module__, built.__doc__) == (
        twin.__name__,
        twin.__qualname__,
        twin.__module__,
        twin.__doc__,
    )
    assert (repr(built), str(built), len(built), bool(built)) == (
        repr(twin),
        str(twin),
        len(twin),
        bool(twin),
    )
    assert list(built.__members__) == list(twin.__members__)
    assert [m.name for m in built] == [m.name for m in twin]
    assert [m.name for m in reversed(built)] == [m.name for m in reversed(twin)]  # type: ignore[call-overload]
    public = sorted(key for key in vars(twin) if not key.startswith("_") and key not in twin.__members__)
    assert public == sorted(
        key for key in vars(built) if not key.startswith("_") and key not in built.__members__
    )
    for name, member in built.__members__.items():
        other = twin.__members__[name]
        assert type(member) is built
        seen = (
            member.name,
            member.value,
            type(member.value),
            repr(member),
            str(member),
            format(member),
            f"{member:>12}",
            hash(member),
        )
        wanted = (
            other.name,
            other.value,
            type(other.value),
            repr(other),
            str(other),
            format(other),
            f"{other:>12}",
            hash(other),
        )
        assert seen == wanted, name
        assert (member == other, member == member.value, bool(member)) == (
            other == member,
            other == other.value,
            bool(other),
        )
        assert [_outcome(getattr, member, key) for key in public] == [
            _outcome(getattr, other, key) for key in public
        ]
        assert built(member.value) is built.__members__[member.name] and built(member) is member
        assert built[name] is member
        assert vars(built)[name] is member, f"{name} is not a plain class attribute"
        assert member in built
        if VALUE_CONTAINMENT:
            assert (member.value in built) == (other.value in twin)
        assert pickle.loads(pickle.dumps(member)) is member
        assert copy.copy(member) is member and copy.deepcopy(member) is member
        assert _outcome(setattr, built, name, 5) == _outcome(setattr, twin, name, 5)
        assert _outcome(delattr, built, name) == _outcome(delattr, twin, name)
    if issubclass(built, int):
        values = sorted({int(m) for m in built.__members__.values()})
        probes: list[object] = [max(values, default=0) + 1, 1 << 40, -1, "1", 1.5, None]
    else:
        probes = ["no such value", 1, None]
    assert [_outcome(built, probe) for probe in probes] == [_outcome(twin, probe) for probe in probes]
    if VALUE_CONTAINMENT:
        assert [probe in built for probe in probes] == [probe in twin for probe in probes]
    assert _outcome(built.__getitem__, "NO_SUCH_NAME") == _outcome(twin.__getitem__, "NO_SUCH_NAME")
    if issubclass(built, KernelIntFlag):
        values = [int(m) for m in built.__members__.values()]
        values += [a | b for a in values[:6] for b in values[-6:]] + [0, -1, 1 << 40, (1 << 40) | values[0]]
        compare_flag_values(built, twin, values)


def test_every_kernel_enum_matches_its_class_statement_twin() -> None:
    classes = kernel_enums()
    assert len(classes) >= 50  # the package's constants: a shrinking list means discovery broke
    for cls in classes:
        compare(cls, standard_twin(cls))


def test_aliases_bodies_and_refusals() -> None:
    class Register(KernelIntEnum):
        """Registers."""

        R0 = 0
        R10 = 10
        FP = 10

        @property
        def is_frame_pointer(self) -> bool:
            return self == 10

    assert Register.FP is Register.R10 and list(Register) == [Register.R0, Register.R10]
    assert Register.FP.name == "R10" and Register.__members__["FP"] is Register.R10
    assert Register.R10.is_frame_pointer and not Register.R0.is_frame_pointer
    assert Register.__doc__ == "Registers."
    assert isinstance(Register.R0, KernelIntEnum) and isinstance(Register.R0, int)

    class Odd(KernelIntEnum):  # an int that is not a plain int becomes one
        HALF = True

    assert Odd.HALF == 1 and type(Odd.HALF.value) is int

    refusals = {
        "no other bases": lambda: type("Both", (KernelIntEnum, int), {"A": 1}),
        "cannot extend": lambda: type("More", (Register,), {"R1": 1}),
        "reserved": lambda: type("Named", (KernelIntEnum,), {"name": 1}),
        "int values": lambda: type("Text", (KernelIntEnum,), {"A": "a"}),
        "functional API": lambda: Register("Other", "A B"),
    }
    for message, make in refusals.items():
        try:
            make()
        except TypeError as exc:
            assert message in str(exc), (message, exc)
        else:
            raise AssertionError(f"not refused: {message}")


def test_missing_hook_is_asked_for_unknown_values() -> None:
    class Wide(KernelIntEnum):
        ZERO = 0
        ONE = 1

        @classmethod
        def _missing_(cls, value: object) -> Wide | None:
            return cls.ONE if isinstance(value, int) and value > 0 else None

    assert Wide(7) is Wide.ONE
    try:
        Wide(-1)
    except ValueError as exc:
        assert str(exc) == "-1 is not a valid test_missing_hook_is_asked_for_unknown_values.<locals>.Wide"
    else:
        raise AssertionError("-1 accepted")


def _random_classes() -> object:
    from hypothesis import strategies as st

    names = st.lists(st.sampled_from([f"M{i}" for i in range(12)]), min_size=1, max_size=10, unique=True)
    values = st.one_of(st.sampled_from([0, 1, 2, 3, 4, 6, 8, 12, 16, 64, 96]), st.integers(0, 300))
    return names.flatmap(
        lambda keys: st.tuples(st.just(keys), st.lists(values, min_size=len(keys), max_size=len(keys)))
    )


def test_random_flags_and_enums_match_the_standard_library() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(_random_classes(), st.lists(st.integers(-300, 1 << 10), max_size=12))
    def check(spec: tuple[list[str], list[int]], probes: list[int]) -> None:
        members = list(zip(*spec, strict=True))
        flag_twin = enum.IntFlag("Random", members)
        flag = type(
            "Random",
            (KernelIntFlag,),
            {"__module__": flag_twin.__module__, "__qualname__": "Random", **dict(members)},
        )
        assert list(flag.__members__) == list(flag_twin.__members__)
        assert [_describe(m) for m in flag] == [_describe(m) for m in flag_twin]
        compare_flag_values(flag, flag_twin, [int(m) for m in flag_twin.__members__.values()] + probes)
        int_twin = enum.IntEnum("Random", members)
        ints = type(
            "Random",
            (KernelIntEnum,),
            {"__module__": int_twin.__module__, "__qualname__": "Random", **dict(members)},
        )
        assert [_describe(m) for m in ints] == [_describe(m) for m in int_twin]
        assert [_outcome(ints, p) for p in probes] == [_outcome(int_twin, p) for p in probes]
        if VALUE_CONTAINMENT:
            assert [p in ints for p in probes] == [p in int_twin for p in probes]

    check()
    empty, empty_twin = type("Empty", (KernelIntFlag,), {}), enum.IntFlag("Empty", [])
    assert _outcome(empty, 0) == _outcome(empty_twin, 0) and list(empty) == list(empty_twin) == []


if __name__ == "__main__":
    checked = kernel_enums()
    for cls in checked:
        compare(cls, standard_twin(cls))
    print(f"{len(checked)} enums match their class statement twins on {sys.version.split()[0]}")
