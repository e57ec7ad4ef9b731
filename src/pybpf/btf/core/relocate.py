"""The CO-RE entry point: resolve every record of a program and patch its instructions."""

from __future__ import annotations

from pybpf._dataclasses import dataclass, field, replace, set_field
from pybpf._typing import TYPE_CHECKING, Protocol

from ...isa.opcodes import InsnClass
from ..errors import BTFError
from ..ext import CoreReloKind
from .access import AccessSpec, describe_spec, parse_spec
from .calc import Resolution, resolve
from .candidates import Candidate, find_candidates
from .errors import CoreError
from .patch import POISON_HELPER_ID, patch_value, poison

_MEMORY_CLASSES = (InsnClass.LDX, InsnClass.ST, InsnClass.STX)

#: Local type id -> its target candidates, for one object (one local BTF and one target).
CandidateCache = dict[int, list[Candidate]]

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ...isa import Instruction
    from ..spec import BTF


class CoreRecord(Protocol):
    """What a CO-RE record must offer: ``pybpf.spec.CORERelocation`` and ``btf.ext.CoreRelo`` do.

    The instruction slot is read from ``insn`` (program slot) or, failing that, ``insn_index``.
    """

    @property
    def type_id(self) -> int: ...

    @property
    def access(self) -> str: ...

    @property
    def kind(self) -> CoreReloKind: ...


@dataclass(frozen=True, slots=True, init=False)
class CoreRelocation:
    """The outcome of one record.

    ``local_value`` is the value compiled in, ``target_value`` the one patched in (meaningless
    when ``poisoned``; ``reason`` then says why).  ``target_type_id`` is the matching target type
    (None when none matched), ``candidates`` how many target types matched.
    """

    index: int
    insn: int
    kind: CoreReloKind
    local_type_id: int
    local_type: str
    access: str
    local_spec: str
    local_value: int
    target_value: int
    target_type_id: int | None = None
    target_spec: str = ""
    path: str = ""
    poisoned: bool = False
    reason: str = ""
    candidates: int = 0
    #: The BTF holding ``target_type_id`` (vmlinux or a module's), for loaders that need its fd.
    target_btf: BTF | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """One line for logs and errors: what was asked and what it became."""
        head = f"relo #{self.index} at insn #{self.insn}: {self.kind.name} of {self.local_spec}"
        if self.poisoned:
            return f"{head}: unresolved ({self.reason})"
        return f"{head} -> {self.target_value}" + (f" [{self.target_spec}]" if self.target_spec else "")

    def __init__(
        self,
        index: int,
        insn: int,
        kind: CoreReloKind,
        local_type_id: int,
        local_type: str,
        access: str,
        local_spec: str,
        local_value: int,
        target_value: int,
        target_type_id: int | None = None,
        target_spec: str = "",
        path: str = "",
        poisoned: bool = False,
        reason: str = "",
        candidates: int = 0,
        target_btf: BTF | None = None,
    ) -> None:
        set_field(self, "index", index)
        set_field(self, "insn", insn)
        set_field(self, "kind", kind)
        set_field(self, "local_type_id", local_type_id)
        set_field(self, "local_type", local_type)
        set_field(self, "access", access)
        set_field(self, "local_spec", local_spec)
        set_field(self, "local_value", local_value)
        set_field(self, "target_value", target_value)
        set_field(self, "target_type_id", target_type_id)
        set_field(self, "target_spec", target_spec)
        set_field(self, "path", path)
        set_field(self, "poisoned", poisoned)
        set_field(self, "reason", reason)
        set_field(self, "candidates", candidates)
        set_field(self, "target_btf", target_btf)


def _slot_of(record: object) -> int:
    slot = getattr(record, "insn", None)
    if not isinstance(slot, int):
        slot = getattr(record, "insn_index", None)
    if not isinstance(slot, int):
        raise CoreError(f"record {record!r} has no instruction index")
    return slot


def _access_of(record: CoreRecord, btf: BTF) -> str:
    access = record.access
    if not access:
        offset = getattr(record, "access_str_off", None)
        if isinstance(offset, int) and offset:
            access = btf.string(offset)
    return access


def _targets(target_btf: BTF | Sequence[BTF] | None) -> list[BTF]:
    from ..spec import BTF as _BTF

    if target_btf is None:
        return [_BTF.vmlinux()]
    if isinstance(target_btf, _BTF):
        return [target_btf]
    return list(target_btf)


def compute(
    record: CoreRecord,
    local_btf: BTF,
    target_btf: BTF | Sequence[BTF] | None = None,
    *,
    index: int = 0,
    cache: CandidateCache | None = None,
) -> tuple[Resolution, CoreRelocation]:
    """Resolve one record without patching (the value and why); raises :class:`CoreError`."""
    slot = _slot_of(record)
    kind = CoreReloKind(record.kind)
    try:
        access = _access_of(record, local_btf)
        local = parse_spec(local_btf, record.type_id, access, kind)
        res = _resolve(local, local_btf, record.type_id, kind, target_btf, cache)
        type_text = local_btf.type_name(record.type_id)
    except CoreError as exc:
        if exc.relo_index is not None:
            raise
        raise type(exc)(exc.reason, relo_index=index, insn=slot) from exc
    except BTFError as exc:
        raise CoreError(f"bad type information: {exc}", relo_index=index, insn=slot) from exc
    target = res.target
    result = CoreRelocation(
        index=index,
        insn=slot,
        kind=kind,
        local_type_id=record.type_id,
        local_type=type_text,
        access=access,
        local_spec=describe_spec(local),
        local_value=res.local_value,
        target_value=res.target_value,
        target_type_id=target.root_type_id if target is not None else None,
        target_spec=describe_spec(target) if target is not None else "",
        path=local.path if kind.is_field else "",
        target_btf=target.btf if target is not None else None,
        poisoned=res.poisoned,
        reason=res.reason,
        candidates=res.candidates,
    )
    return res, result


def _resolve(
    local: AccessSpec,
    local_btf: BTF,
    type_id: int,
    kind: CoreReloKind,
    target_btf: BTF | Sequence[BTF] | None,
    cache: CandidateCache | None,
) -> Resolution:
    if kind == CoreReloKind.TYPE_ID_LOCAL:
        # Needs no target; never validated because linking may renumber local types.
        return Resolution(type_id, type_id, validate=False, target=local)
    local_type = local_btf[type_id]
    if not local_type.name:
        raise CoreError(f"{local_btf.type_name(type_id)}: CO-RE cannot relocate anonymous types")
    candidates = cache.get(type_id) if cache is not None else None
    if candidates is None:
        candidates = find_candidates(local_btf, type_id, _targets(target_btf))
    res = resolve(local, candidates)
    if cache is not None:
        # Like libbpf: once some target types matched, later records of the same local type
        # only consider those, which settles flavours a first access already told apart.
        cache[type_id] = list(res.matched) if res.matched else candidates
    if res.poisoned:
        what = "field" if kind.is_field else "enumerator" if kind.is_enumval else "type"
        if not candidates:
            why = f"no type named like {local_type.name!r} in the target BTF"
        else:
            why = (
                f"none of the {len(candidates)} target type(s) named like {local_type.name!r} has this {what}"
            )
        return Resolution(poisoned=True, reason=why, local_value=res.local_value)
    return res


def relocate(
    insns: Sequence[Instruction],
    records: Iterable[CoreRecord],
    local_btf: BTF,
    target_btf: BTF | Sequence[BTF] | None = None,
    *,
    cache: CandidateCache | None = None,
) -> tuple[list[Instruction], list[CoreRelocation]]:
    """Apply CO-RE ``records`` to ``insns``; see the package docstring.

    ``cache`` (a dict, initially empty) carries the candidates of each local type from record to
    record; pass the same one for every program of an object, as libbpf does.  Without it each
    call starts afresh.
    """
    if cache is None:
        cache = {}
    new = list(insns)
    slot_to_index = _reindex(new)
    slots = sum(insn.slots for insn in new)
    results: list[CoreRelocation] = []
    for number, record in enumerate(records):
        res, result = compute(record, local_btf, target_btf, index=number, cache=cache)
        position = slot_to_index.get(result.insn)
        if position is None:
            raise CoreError(
                f"no instruction starts at slot {result.insn} (program has {slots} slots)",
                relo_index=number,
                insn=result.insn,
            )
        insn = new[position]
        if res.size_mismatch and insn.cls in _MEMORY_CLASSES:
            # Only loads and stores care about the field's size; an ALU offset is still right.
            result = replace(
                result,
                poisoned=True,
                reason=(
                    f"the field's type changed size ({res.local_size} -> {res.target_size} bytes) and "
                    "is not a pointer or unsigned integer: a resized access would read it wrongly"
                ),
            )
        if result.poisoned:
            new[position : position + 1] = poison(insn)
            slot_to_index = _reindex(new)
            results.append(result)
            continue
        try:
            new[position] = patch_value(
                insn,
                local_value=res.local_value,
                target_value=res.target_value,
                validate=res.validate,
                local_size=res.local_size,
                target_size=res.target_size,
            )
        except CoreError as exc:
            raise CoreError(
                f"{result.kind.name} of {result.local_spec}: {exc.reason}",
                relo_index=number,
                insn=result.insn,
            ) from exc
        results.append(result)
    return new, results


def _reindex(insns: list[Instruction]) -> dict[int, int]:
    index: dict[int, int] = {}
    slot = 0
    for i, insn in enumerate(insns):
        index[slot] = i
        slot += insn.slots
    return index


# ------------------------------------------------------------------------------ verifier logs

_POISON_ERROR = f"invalid func unknown#{POISON_HELPER_ID}"


def poisoned_relocation(log: str, results: Sequence[CoreRelocation]) -> CoreRelocation | None:
    """The relocation behind a verifier rejection of a poisoned instruction, if that is what it was."""
    if _POISON_ERROR not in log:
        return None
    poisoned = [r for r in results if r.poisoned]
    import re  # only a rejected load gets here

    calls = re.findall(rf"^(\d+): \(85\) call unknown#{POISON_HELPER_ID}\b", log, re.MULTILINE)
    if calls:
        slot = int(calls[-1])
        for r in poisoned:
            if r.insn == slot:
                return r
        for r in poisoned:
            if r.insn + 1 == slot:  # the second slot of a poisoned lddw
                return r
    return poisoned[0] if len(poisoned) == 1 else None


def explain_verifier_log(log: str, results: Sequence[CoreRelocation]) -> str | None:
    """A sentence naming the failed relocation, its type and field, or None if unrelated."""
    r = poisoned_relocation(log, results)
    if r is None:
        return None
    return (
        f"instruction {r.insn} was left unresolved by CO-RE relocation #{r.index} "
        f"({r.kind.name} of {r.local_spec}): {r.reason}; guard it with bpf_core_field_exists() / "
        "bpf_core_type_exists() / bpf_core_enum_value_exists() if the target may lack it"
    )


__all__ = [
    "CandidateCache",
    "CoreRecord",
    "CoreRelocation",
    "compute",
    "explain_verifier_log",
    "poisoned_relocation",
    "relocate",
]
