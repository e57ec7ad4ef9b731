"""CO-RE: adjust a compiled program's field offsets, sizes, type ids and enum values to a target.

Pure computation over BTF: no kernel access.  The target is the running kernel's BTF
(``BTF.vmlinux()``, the default), a list ``[vmlinux, module, ...]`` (modules are searched only
when vmlinux has no candidate), or any BTF, e.g. another build of the same program in tests.

``relocate(insns, records, local_btf, target_btf=None) -> (new_insns, results)``
    ``insns`` is a program's :class:`~pybpf.isa.Instruction` list, ``records`` its CO-RE records
    (``ProgramSpec.core_relocations``, or ``btf.ext.CoreRelo`` values) whose instruction numbers
    are slots of ``insns``.  Returns a new list (the input is never changed) with the same slot
    layout, and one :class:`CoreRelocation` per record in order.  Raises :class:`CoreError` for
    a record that cannot be applied (malformed access string, instruction of an unexpected shape
    or value) and :class:`CoreAmbiguity` when target candidates disagree.

``CoreRelocation``
    ``kind``, ``insn``, ``local_type``/``local_spec`` (what was asked, e.g.
    ``[7] struct task_struct.real_parent (0:83 @ offset 1432)``), ``local_value`` and
    ``target_value``, ``target_type_id``/``target_spec``, ``path`` (member path of a field
    relocation, ``inner.v``), ``poisoned`` and ``reason``.

Unsatisfiable relocations (a field, type or enumerator the target lacks, where the value is
needed) do not fail: like libbpf, the instruction is *poisoned* (a call to helper
``POISON_HELPER_ID`` = 0xbad2310) so that it only matters if the verifier finds it reachable.
``explain_verifier_log(log, results)`` turns the verifier's "invalid func unknown#195896080"
into a sentence naming the relocation, type and field; ``poisoned_relocation`` returns the
:class:`CoreRelocation` itself.

``compute(record, local_btf, target_btf)`` resolves one record without patching.  Candidate
lookups are memoised per target BTF (see :mod:`.candidates`), so relocating many programs
against vmlinux decodes each candidate type once.  ``relocate(..., cache={})``: pass one
:data:`CandidateCache` dict for all programs of an object to narrow each local type's
candidates across records the way libbpf does (a flavour ruled out once stays out).
"""

from __future__ import annotations

from .access import Accessor, AccessSpec, parse_spec
from .candidates import Candidate, find_candidates
from .compat import fields_are_compat, types_are_compat, types_match
from .errors import CoreAmbiguity, CoreError
from .names import essential_name
from .patch import POISON_HELPER_ID, is_poison
from .relocate import (
    CandidateCache,
    CoreRecord,
    CoreRelocation,
    compute,
    explain_verifier_log,
    poisoned_relocation,
    relocate,
)

__all__ = [
    "POISON_HELPER_ID",
    "AccessSpec",
    "Accessor",
    "Candidate",
    "CandidateCache",
    "CoreAmbiguity",
    "CoreError",
    "CoreRecord",
    "CoreRelocation",
    "compute",
    "essential_name",
    "explain_verifier_log",
    "fields_are_compat",
    "find_candidates",
    "is_poison",
    "parse_spec",
    "poisoned_relocation",
    "relocate",
    "types_are_compat",
    "types_match",
]
