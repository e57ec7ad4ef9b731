"""pybpf._dataclasses behaves as the stdlib's dataclasses for the options pybpf declares.

Each case declares the same class body twice, once with each decorator, and compares what
users can observe: construction and its errors, repr, equality, hashing, immutability,
pickling, copying, slots, ``__match_args__`` and the stdlib's module functions.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpf import _dataclasses as ours

OPTIONS = [
    {},
    {"frozen": True},
    {"slots": True},
    {"frozen": True, "slots": True},
    {"eq": False},
    {"frozen": True, "eq": False},
]


def make(decorator: Callable[..., Any], **options: Any) -> Any:
    field = ours.field if decorator is ours.dataclass else dataclasses.field

    class Point:
        kind: ClassVar[str] = "point"
        x: int
        y: int = 0
        tags: list[str] = field(default_factory=list, compare=False)
        label: str = field(default="", repr=False)

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

    Point.__qualname__ = "Point"
    return decorator(**options)(Point)


def pair(**options: Any) -> tuple[Any, Any]:
    return make(dataclasses.dataclass, **options), make(ours.dataclass, **options)


def outcome(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        return ("ok", repr(call()))
    except Exception as exc:
        return (type(exc).__name__, "")


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_construction_repr_and_equality_match(options: dict[str, Any]) -> None:
    theirs, mine = pair(**options)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {}),
        ((1, 2), {}),
        ((1,), {"y": 5, "label": "a"}),
        ((), {"x": 3, "tags": ["t"]}),
        ((), {}),
        ((1, 2, [], "l", 9), {}),
        ((1,), {"x": 2}),
        ((1,), {"z": 2}),
    ]
    for args, kwargs in calls:
        assert outcome(partial(theirs, *args, **kwargs)) == outcome(partial(mine, *args, **kwargs)), (
            args,
            kwargs,
        )
    a, b = mine(1, 2, ["x"]), mine(1, 2, ["y"])
    assert (a == b) == (theirs(1, 2, ["x"]) == theirs(1, 2, ["y"]))
    assert (a == mine(1, 3)) is False
    assert mine(1).norm() == 1 and mine.kind == "point"
    assert mine.__match_args__ == theirs.__match_args__
    assert ("__slots__" in mine.__dict__) == ("__slots__" in theirs.__dict__)
    assert (mine.__hash__ is None) == (theirs.__hash__ is None)
    if mine.__hash__ is not None and options.get("eq", True):
        assert hash(a) == hash(b)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_immutability_pickling_and_copies_match(options: dict[str, Any]) -> None:
    theirs, mine = pair(**options)
    globals()["Point"] = mine  # pickle finds classes by qualified name
    try:
        record = mine(4, 5, ["t"], "l")
        for clone in (pickle.loads(pickle.dumps(record)), copy.copy(record), copy.deepcopy(record)):
            assert (clone.x, clone.y, clone.tags, clone.label) == (4, 5, ["t"], "l")
            assert type(clone) is mine
    finally:
        del globals()["Point"]

    def assign(instance: Any) -> Callable[[], Any]:
        def run() -> None:
            instance.x = 9

        return run

    assert outcome(assign(theirs(1)))[0] == outcome(assign(mine(1)))[0]
    if options.get("frozen"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            del mine(1).x
    # Python 3.11's frozen+slots classes raise TypeError here (their __setattr__ names the class
    # that slots=True replaced); ours raises FrozenInstanceError.  Both refuse.
    refused = {"FrozenInstanceError", "TypeError", "AttributeError"}
    mine_result = outcome(lambda: setattr(mine(1), "other", 1))[0]
    theirs_result = outcome(lambda: setattr(theirs(1), "other", 1))[0]
    assert (mine_result in refused) == (theirs_result in refused)


def test_stdlib_functions_accept_our_records() -> None:
    mine = make(ours.dataclass, frozen=True)
    record = mine(1, 2, ["a"], "b")
    is_record = dataclasses.is_dataclass(record)
    assert is_record
    assert [f.name for f in dataclasses.fields(record)] == ["x", "y", "tags", "label"]
    assert dataclasses.asdict(record) == {"x": 1, "y": 2, "tags": ["a"], "label": "b"}
    assert dataclasses.replace(record, y=7).y == 7
    assert [f.name for f in ours.fields(record)] == ["x", "y", "tags", "label"]
    assert ours.asdict(record) == dataclasses.asdict(record)
    assert ours.replace(record, x=3) == mine(3, 2, ["a"], "b")
    assert ours.is_dataclass(mine) and not ours.is_dataclass(object())
    assert ours.FrozenInstanceError is dataclasses.FrozenInstanceError


def test_signatures_match_for_help_and_inspect() -> None:
    import inspect

    theirs, mine = pair(frozen=True)
    assert str(inspect.signature(mine)) == str(inspect.signature(theirs))
    assert "x: 'int', y: 'int' = 0, tags: 'list[str]' = <factory>" in str(inspect.signature(mine))


def test_inheritance_post_init_and_kept_methods() -> None:
    @ours.dataclass(frozen=True)
    class Base:
        a: int
        b: int = 2

    @ours.dataclass(frozen=True)
    class Child(Base):
        c: int = 3

        def __post_init__(self) -> None:
            object.__setattr__(self, "c", self.c * 10)

        def __repr__(self) -> str:
            return "child"

    child = Child(1, c=4)
    assert (child.a, child.b, child.c) == (1, 2, 40)
    assert repr(child) == "child"
    assert [f.name for f in ours.fields(Child)] == ["a", "b", "c"]
    assert Base(1) == Base(1, 2) and Base(1) != Base(2)
    with pytest.raises(TypeError, match="non-frozen"):

        @ours.dataclass
        class Thawed(Base):  # type: ignore[misc]
            pass


def test_declaration_errors_match() -> None:
    for decorate in (dataclasses.dataclass, ours.dataclass):
        with pytest.raises(TypeError):

            class Bad:
                a: int = 1
                b: int

            decorate(Bad)
        with pytest.raises(ValueError):

            class Mutable:
                a: list[int] = []  # noqa: RUF012 - the error under test

            decorate(Mutable)


@given(st.integers(), st.integers(), st.lists(st.text(max_size=3), max_size=3), st.text(max_size=5))
def test_random_values_round_trip(x: int, y: int, tags: list[str], label: str) -> None:
    theirs, mine = pair(frozen=True, slots=True)
    a, b = theirs(x, y, tags, label), mine(x, y, tags, label)
    assert repr(a) == repr(b)
    assert dataclasses.astuple(a) == dataclasses.astuple(b)
    assert hash(b) == hash(mine(x, y, [], label))


def test_making_a_record_does_not_import_dataclasses() -> None:
    code = (
        "import sys\n"
        "from pybpf._dataclasses import dataclass, field\n"
        "@dataclass(frozen=True, slots=True)\n"
        "class R:\n    a: int\n    b: list = field(default_factory=list)\n"
        "r = R(1); assert r == R(1) and repr(r) == 'R(a=1, b=[])'\n"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
