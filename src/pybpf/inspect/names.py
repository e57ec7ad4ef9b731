"""bpftool's names for kernel enum values (``socket_filter``, ``hash``, ``cgroup_inet_ingress``).

bpftool (through libbpf) names each value by its uapi name without the family prefix, in lower
case; a value this pybpf does not know is shown as its number, as bpftool does.
"""

from __future__ import annotations

from enum import IntEnum

from pybpf.enums import AttachType, LinkType, MapType, ProgramType


def _name(family: type[IntEnum], value: int) -> str | None:
    try:
        return family(value).name.lower()
    except ValueError:
        return None


def prog_type_name(value: int) -> str | None:
    return _name(ProgramType, value)


def map_type_name(value: int) -> str | None:
    return _name(MapType, value)


def link_type_name(value: int) -> str | None:
    return _name(LinkType, value)


def attach_type_name(value: int) -> str | None:
    return _name(AttachType, value)


def _parse(family: type[IntEnum], text: str, what: str) -> int:
    from .errors import InspectError

    key = text.strip().upper().replace("-", "_")
    if key.isdigit():
        return int(key)
    try:
        return int(family[key])
    except KeyError:
        known = ", ".join(sorted(m.name.lower() for m in family))
        raise InspectError(f"unknown {what} {text!r} (known: {known})") from None


def parse_map_type(text: str) -> int:
    """A map type given by bpftool name (``hash``, ``percpu_array``) or number."""
    return _parse(MapType, text, "map type")


def parse_prog_type(text: str) -> int:
    return _parse(ProgramType, text, "program type")


def parse_attach_type(text: str) -> int:
    return _parse(AttachType, text, "attach type")


__all__ = [
    "attach_type_name",
    "link_type_name",
    "map_type_name",
    "parse_attach_type",
    "parse_map_type",
    "parse_prog_type",
    "prog_type_name",
]
