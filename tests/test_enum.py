"""pybpf's enums (built by :mod:`pybpf._enum`) against the classes a plain class statement makes.

Every ``KernelIntEnum``/``KernelIntFlag``/``ConstantEnum`` class in the package is rebuilt from its
own source with ``enum.IntEnum``/``enum.IntFlag``/``enum.Enum`` as the base, and the two are compared on everything a user
can observe: members and aliases in order, names, values, ``repr``/``str``/``format``, lookups by
value and name, unknown values, flag arithmetic, iteration, pickling and the class attributes.
``python tests/test_enum.py`` runs the same comparison without pytest (for other interpreters).
"""

from __future__ import annotations
import __future__

import enum
import importlib
import inspect
import pickle
import pkgutil
import sys
import textwrap
from typing import TYPE_CHECKING

import pybpf
from pybpf import _enum

if TYPE_CHECKING:
    import pytest

#: Names the compiler or ``EnumType`` add to a class, not part of what the body defines.
_BOOKKEEPING = {"__firstlineno__", "__static_attributes__", "__dict__", "__weakref__"}


def kernel_enums() -> list[type[enum.Enum]]:
    """Every enum class pybpf defines through its fast bases, found by importing every module."""
    for info in pkgutil.walk_packages(pybpf.__path__, "pybpf."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # optional extras (llvmlite, click, ...) that may be absent
            continue
    found = []
    pending: list[type] = [enum.Enum]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            source_module = sys.modules.get(sub.__module__)
            if source_module is not None and getattr(source_module, sub.__name__, None) is sub:
                text = inspect.getsource(source_module)
                if f"class {sub.__name__}(KernelInt" in text or f"class {sub.__name__}(ConstantEnum)" in text:
                    found.append(sub)
    return sorted(set(found), key=lambda cls: (cls.__module__, cls.__qualname__))


def standard_twin(cls: type[enum.Enum]) -> type[enum.Enum]:
    """``cls`` rebuilt from its source by a class statement on the standard base."""
    source = textwrap.dedent(inspect.getsource(cls))
    source = (
        source.replace("(KernelIntEnum):", "(enum.IntEnum):")
        .replace("(KernelIntFlag):", "(enum.IntFlag):")
        .replace("(ConstantEnum):", "(enum.Enum):")
    )
    namespace = dict(vars(sys.modules[cls.__module__]))
    namespace["enum"] = enum
    code = compile(source, inspect.getsourcefile(cls) or "<enum>", "exec", __future__.annotations.compiler_flag, True)
    exec(code, namespace)
    twin = namespace[cls.__name__]
    assert type(twin) is enum.EnumType
    return twin


def _outcome(cls: type, value: object) -> tuple[object, ...]:
    """``cls(value)``, or the exception it raises (which is what gets compared)."""
    try:
        return ("ok", cls(value))
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


def compare(built: type, twin: type) -> None:
    """Assert that ``built`` and ``twin`` behave the same, member by member."""
    assert type(built) is type(twin) is enum.EnumType
    assert [base.__name__ for base in built.__mro__[1:]] == [base.__name__ for base in twin.__mro__[1:]]
    assert (built.__name__, built.__qualname__, built.__module__, built.__doc__) == (
        twin.__name__,
        twin.__qualname__,
        twin.__module__,
        twin.__doc__,
    )
    assert list(built.__members__) == list(twin.__members__)
    assert [m.name for m in built] == [m.name for m in twin]
    assert len(built) == len(twin)
    for name, member in built.__members__.items():
        other = twin.__members__[name]
        assert type(member) is built
        seen = (member.name, member.value, repr(member), str(member), format(member), f"{member:>12}", hash(member))
        wanted = (other.name, other.value, repr(other), str(other), format(other), f"{other:>12}", hash(other))
        assert seen == wanted, name
        assert built(member.value) is built.__members__[member.name]
        assert built[name] is member
        assert vars(built)[name] is member, f"{name} is not a plain class attribute"
        assert member in built
        assert pickle.loads(pickle.dumps(member)) is member
    own = set(vars(built)) - set(built.__members__) - _BOOKKEEPING
    twin_own = set(vars(twin)) - set(twin.__members__) - _BOOKKEEPING
    assert own == twin_own, own ^ twin_own
    if issubclass(built, int):
        values = sorted({int(m) for m in built.__members__.values()})
        probes: list[object] = [max(values, default=0) + 1, 1 << 40, -1]
    else:
        probes = ["no such value", 1, None]
    for probe in probes:
        got = _outcome(built, probe)
        want = _outcome(twin, probe)
        if got[0] == "ok":
            assert want[0] == "ok"
            assert repr(got[1]) == repr(want[1]) and got[1].value == want[1].value
        else:
            assert got == want
    if issubclass(built, enum.IntFlag):
        members = list(built.__members__.values())
        for a in members[:6]:
            for b in members[-6:]:
                combined, twin_combined = a | b, twin[a.name] | twin[b.name]
                assert (repr(combined), str(combined), int(combined)) == (
                    repr(twin_combined),
                    str(twin_combined),
                    int(twin_combined),
                )
                assert [m.name for m in combined] == [m.name for m in twin_combined]
                assert (repr(a & b), repr(a ^ b)) == (repr(twin[a.name] & twin[b.name]), repr(twin[a.name] ^ twin[b.name]))
            assert (repr(~a), int(~a)) == (repr(~twin[a.name]), int(~twin[a.name]))


def test_every_kernel_enum_matches_its_class_statement_twin() -> None:
    classes = kernel_enums()
    assert len(classes) >= 50  # the package's constants: a shrinking list means discovery broke
    for cls in classes:
        compare(cls, standard_twin(cls))


def test_fast_path_is_taken_on_the_checked_versions() -> None:
    assert _enum.FAST == (sys.implementation.name == "cpython" and sys.version_info[:2] in _enum.FAST_VERSIONS)


def test_elsewhere_the_class_statement_machinery_builds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_enum, "FAST", False)

    class Colour(_enum.KernelIntEnum):
        RED = 1
        CRIMSON = 1

    assert type(Colour) is enum.EnumType and issubclass(Colour, enum.IntEnum)
    assert Colour.CRIMSON is Colour.RED and list(Colour) == [Colour.RED]


def test_aliases_bodies_and_refusals() -> None:
    class Register(_enum.KernelIntEnum):
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

    class Odd(_enum.KernelIntEnum):  # a value that is not a plain int: the general machinery
        HALF = True

    assert Odd.HALF == 1 and isinstance(Odd.HALF, enum.IntEnum)

    try:

        class Both(_enum.KernelIntEnum, int):
            A = 1

    except TypeError as exc:
        assert "no other bases" in str(exc)
    else:
        raise AssertionError("a second base was accepted")


if __name__ == "__main__":
    checked = kernel_enums()
    for cls in checked:
        compare(cls, standard_twin(cls))
    print(f"{len(checked)} enums match their class statement twins on {sys.version.split()[0]}")
