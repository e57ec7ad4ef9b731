"""Kernel symbol addresses from ``/proc/kallsyms``, to name the targets of translated calls.

In translated code a helper call's immediate is the helper's address relative to
``__bpf_call_base`` (the verifier may also have swapped the helper for a specialised one, such as
``__htab_map_lookup_elem``), so the only faithful name is the kernel symbol at that address.
"""

from __future__ import annotations

from functools import cache

CALL_BASE = "__bpf_call_base"


@cache
def symbols() -> dict[int, str]:
    """Address -> name of every text symbol (empty when addresses are hidden, kptr_restrict)."""
    table: dict[int, str] = {}
    try:
        with open("/proc/kallsyms", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or parts[1] not in "tTwW":
                    continue
                try:
                    address = int(parts[0], 16)
                except ValueError:
                    continue
                if address:
                    table.setdefault(address, parts[2])
    except OSError:
        pass
    return table


@cache
def call_base() -> int | None:
    """The address of ``__bpf_call_base``, or ``None`` if it cannot be read."""
    for address, name in symbols().items():
        if name == CALL_BASE:
            return address
    return None


def name_at(address: int) -> str | None:
    return symbols().get(address)


def helper_target(imm: int) -> str | None:
    """The kernel function a translated helper call (``call imm``) jumps to."""
    base = call_base()
    if base is None:
        return None
    return name_at((base + imm) & 0xFFFFFFFFFFFFFFFF)


__all__ = ["call_base", "helper_target", "name_at", "symbols"]
