"""FrozenRecord classes behave as ``@dataclass(frozen=True)`` would have generated them."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf.records import FrozenRecord, IdentityRecord, finish, set_field


@dataclass(frozen=True, slots=True)
class Generated:
    a: int
    b: str
    c: int = field(default=0, compare=False)
    d: int = field(default=1, repr=False)


@finish
@dataclass(slots=True, init=False, repr=False, eq=False)
class Written(FrozenRecord):
    a: int
    b: str
    c: int = field(default=0, compare=False)
    d: int = field(default=1, repr=False)

    def __init__(self, a: int, b: str, c: int = 0, d: int = 1) -> None:
        set_field(self, "a", a)
        set_field(self, "b", b)
        set_field(self, "c", c)
        set_field(self, "d", d)


@finish
@dataclass(init=False, repr=False, eq=False)
class Unslotted(FrozenRecord):
    a: int

    def __init__(self, a: int) -> None:
        set_field(self, "a", a)


VALUES = st.tuples(st.integers(-3, 3), st.sampled_from(["", "x", "y"]), st.integers(0, 2), st.integers(0, 2))


def both(values: tuple[int, str, int, int]) -> tuple[Generated, Written]:
    return Generated(*values), Written(*values)


@settings(max_examples=100, deadline=None)
@given(VALUES)
def test_repr_is_the_generated_one(values: tuple[int, str, int, int]) -> None:
    generated, written = both(values)
    assert repr(written) == repr(generated).replace("Generated", "Written")


@settings(max_examples=100, deadline=None)
@given(VALUES, VALUES)
def test_equality_and_hash_follow_the_compared_fields(
    left: tuple[int, str, int, int], right: tuple[int, str, int, int]
) -> None:
    (g1, w1), (g2, w2) = both(left), both(right)
    assert (w1 == w2) == (g1 == g2)
    assert (w1 != w2) == (g1 != g2)
    assert hash(w1) == hash(g1)


@pytest.mark.parametrize("other", [None, 1, (1, "x"), Generated(1, "x")])
def test_records_never_equal_other_classes(other: object) -> None:
    assert Written(1, "x") != other


@pytest.mark.parametrize("action", ["assign", "delete"])
def test_fields_cannot_be_assigned_or_deleted(action: str) -> None:
    generated, written = both((1, "x", 0, 1))
    messages = []
    for record in (generated, written):
        with pytest.raises(dataclasses.FrozenInstanceError) as caught:
            if action == "assign":
                record.a = 2  # type: ignore[misc]
            else:
                del record.a
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("record", [Written(1, "x", 2, 3), Unslotted(4)])
@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, lambda r: pickle.loads(pickle.dumps(r))])
def test_copies_and_pickles_keep_every_field(record: Written | Unslotted, clone: object) -> None:
    again = clone(record)  # type: ignore[operator]
    assert again == record
    assert [getattr(again, f.name) for f in dataclasses.fields(again)] == [
        getattr(record, f.name) for f in dataclasses.fields(record)
    ]


def test_a_record_of_one_field_compares_and_hashes_by_it() -> None:
    assert Unslotted(4) == Unslotted(4)
    assert Unslotted(4) != Unslotted(5)
    assert hash(Unslotted(4)) == hash((4,))


def test_dataclass_functions_work_on_records() -> None:
    written = Written(1, "x", 2, 3)
    assert [f.name for f in dataclasses.fields(written)] == ["a", "b", "c", "d"]
    assert dataclasses.asdict(written) == {"a": 1, "b": "x", "c": 2, "d": 3}
    assert dataclasses.replace(written, b="y") == Written(1, "y", 2, 3)
    assert Written.__match_args__ == Generated.__match_args__


@finish
@dataclass(slots=True, init=False, repr=False, eq=False)
class ByIdentity(IdentityRecord):
    a: int

    def __init__(self, a: int) -> None:
        set_field(self, "a", a)


def test_identity_records_equal_only_themselves() -> None:
    first, second = ByIdentity(1), ByIdentity(1)
    assert first == first
    assert first != second
    assert len({first, second}) == 2
    assert repr(first) == "ByIdentity(a=1)"
