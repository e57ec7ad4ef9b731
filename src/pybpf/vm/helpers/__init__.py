"""The helper functions VM programs may call, with kernel semantics.

:func:`helper_table` builds ``helper id -> implementation`` for one :class:`~pybpf.vm.host.Host`;
:func:`unsupported` names the helpers a program calls that the VM lacks, so a load refuses it
with one message listing them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...isa.helpers import HELPER_NAMES
from ..host import Host
from . import calls, events, locks, maps, misc, packet
from .common import Helper

_IDS = {name: ident for ident, name in HELPER_NAMES.items()}


def helper_table(host: Host) -> dict[int, Helper]:
    """Every helper the VM implements, bound to ``host``."""
    table: dict[int, Helper] = {}
    for module in (maps, misc, events, packet, calls, locks):
        for name, helper in module.helpers(host).items():
            table[_IDS["bpf_" + name]] = helper
    return locks.guarded(host, table, frozenset({_IDS["bpf_spin_lock"], _IDS["bpf_spin_unlock"]}))


def supported_ids() -> frozenset[int]:
    return frozenset(helper_table(Host()))


def unsupported(ids: Iterable[int], table: dict[int, Helper]) -> list[str]:
    """Names (or numbers) of the helpers in ``ids`` that ``table`` lacks, sorted."""
    missing = sorted({i for i in ids if i not in table})
    return [HELPER_NAMES.get(i, f"helper #{i}") for i in missing]


__all__ = ["Helper", "helper_table", "supported_ids", "unsupported"]
