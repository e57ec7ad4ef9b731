"""Finding the target types a local type may correspond to, by essential name and kind.

The kernel's BTF holds ~150k types, so candidates are never found by scanning every type:
:class:`NameIndex` asks the BTF for the ids of the exact essential name (``BTF.find_ids`` searches
the string table) and for flavoured spellings of it (``foo___x``) found with one ``bytes.find``
pass over the raw strings.  Answers are memoised per target BTF and (essential name, kind
family), which is all a lookup depends on, so every program of every object relocated against
the same target shares them.
"""

from __future__ import annotations

import _thread  # threading.Lock is this; importing threading itself costs a load ~1 ms
from _weakref import ref as _weak  # weakref.ref itself, without the weakref module's Python half

from pybpf._dataclasses import dataclass, set_field
from pybpf._typing import TYPE_CHECKING

from ..types import Kind
from .names import essential_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..spec import BTF


@dataclass(frozen=True, slots=True, init=False, eq=False)
class Candidate:
    """A target type id and the BTF (vmlinux or a module) it lives in."""

    btf: BTF
    type_id: int

    def __init__(self, btf: BTF, type_id: int) -> None:
        set_field(self, "btf", btf)
        set_field(self, "type_id", type_id)


def kind_family(kind: Kind) -> Kind:
    """Kinds that may stand for each other share a family (enum and enum64)."""
    return Kind.ENUM if kind == Kind.ENUM64 else kind


class NameIndex:
    """Memoised candidate lookups on one target BTF."""

    def __init__(self, btf: BTF) -> None:
        self._btf = _weak(btf)  # the index lives on the BTF (BTF.derived): no reference cycle
        self._ids: dict[tuple[str, Kind], tuple[int, ...]] = {}
        self._lock = _thread.allocate_lock()

    def lookup(self, essential: str, kind: Kind) -> tuple[int, ...]:
        """Ids (ascending) of named types whose essential name is ``essential`` and kind fits."""
        key = (essential, kind_family(kind))
        with self._lock:
            found = self._ids.get(key)
        if found is not None:
            return found
        btf = self._btf()
        if btf is None:  # pragma: no cover - the index lives only as long as its BTF
            return ()
        ids = set(btf.find_ids(essential))
        for name in _flavoured_names(btf, essential):
            ids.update(btf.find_ids(name))
        family = key[1]
        result = tuple(sorted(i for i in ids if kind_family(btf.kind_of(i)) == family))
        with self._lock:
            self._ids[key] = result
        return result


def name_index(btf: BTF) -> NameIndex:
    """The shared candidate index of ``btf`` (created on first use, dropped with the BTF)."""
    return btf.derived("core.name_index", NameIndex)


def _flavoured_names(btf: BTF, essential: str) -> set[str]:
    """Every ``essential___flavour`` spelled in the strings of ``btf`` and its bases."""
    names: set[str] = set()
    blob: BTF | None = btf
    while blob is not None:
        prefix = essential + "___"
        names.update(
            name
            for name in blob.flavoured_strings()
            if name.startswith(prefix) and essential_name(name) == essential
        )
        blob = blob.base
    return names


def find_candidates(local_btf: BTF, local_id: int, targets: Sequence[BTF]) -> list[Candidate]:
    """Target types that may be ``local_id``: same essential name, compatible kind.

    The first target (vmlinux) is searched first; the others (modules) only when it has none,
    because a module type that shadows a vmlinux one would make every relocation ambiguous.
    """
    local = local_btf[local_id]
    essential = essential_name(local.name)
    if not essential:
        return []
    for position, target in enumerate(targets):
        ids = name_index(target).lookup(essential, local.kind)
        if position and target.base is not None:
            ids = tuple(i for i in ids if i >= target.start_id)  # a module's own types only
        if ids:
            return [Candidate(target, i) for i in ids]
    return []


__all__ = ["Candidate", "NameIndex", "find_candidates", "kind_family", "name_index"]
