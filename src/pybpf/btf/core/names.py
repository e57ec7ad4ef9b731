"""Essential names: ``task_struct___v510`` and ``task_struct`` denote the same kernel type.

A BPF program declares several local variants ("flavours") of one kernel type to cope with
kernels that changed it; the suffix after the last ``X___Y`` separator only tells the variants
apart and is ignored when looking for the type in the target.
"""

from __future__ import annotations


def essential_name(name: str) -> str:
    """``name`` without its flavour suffix (``foo___bar`` -> ``foo``; ``foo___`` stays as is)."""
    for i in range(len(name) - 5, -1, -1):
        if name[i] != "_" and name[i + 1 : i + 4] == "___" and name[i + 4] != "_":
            return name[: i + 1]
    return name


def names_match(local: str, target: str) -> bool:
    """Essential names equal, or both anonymous (the TYPE_MATCHES rule)."""
    if not target:
        return not local
    return essential_name(local) == essential_name(target)


__all__ = ["essential_name", "names_match"]
