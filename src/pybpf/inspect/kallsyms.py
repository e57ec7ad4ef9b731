"""Kernel symbol names for the targets of translated calls.

In translated code a helper call's immediate is the helper's address relative to
``__bpf_call_base`` (the verifier may also have swapped the helper for a specialised one, such as
``__htab_map_lookup_elem``), so the only faithful name is the kernel symbol at that address.
The table itself is :func:`pybpf.symbols.kernel_symbols`.
"""

from __future__ import annotations

from pybpf._lazy import cache

from ..errors import ParseError
from ..symbols.kallsyms import KernelSymbols, kernel_symbols

CALL_BASE = "__bpf_call_base"


@cache
def _table() -> KernelSymbols | None:
    try:
        return kernel_symbols()
    except ParseError:  # /proc/kallsyms unreadable: calls keep their helper names
        return None


def call_base() -> int | None:
    """The address of ``__bpf_call_base``, or ``None`` if it cannot be read."""
    table = _table()
    return table.address_of(CALL_BASE) if table is not None else None


def name_at(address: int) -> str | None:
    """The text symbol exactly at ``address`` (``None`` when addresses are hidden)."""
    table = _table()
    symbol = table.at(address) if table is not None else None
    return symbol.name if symbol is not None else None


def helper_target(imm: int) -> str | None:
    """The kernel function a translated helper call (``call imm``) jumps to."""
    base = call_base()
    if base is None:
        return None
    return name_at((base + imm) & 0xFFFFFFFFFFFFFFFF)


__all__ = ["call_base", "helper_target", "name_at"]
