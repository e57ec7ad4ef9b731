"""``--set name=value``: command-line text turned into a value of the global's BTF type.

The text is read the way a C programmer would write the constant: ``0x10``/``1_000``/``-5`` for
integers, ``true``/``false``/``1``/``0``/``yes``/``no`` for ``bool``, an enumerator name or a
number for enums, plain text for ``char[N]``.  Every failure names the variable and its type,
so a typo in a long command line is easy to spot.
"""

from __future__ import annotations

import re
from typing import Any

from pybpf._dataclasses import dataclass

from ..btf import BTF
from ..btf.types import Array, Enum, Enum64, Int, IntEncoding
from ..errors import Error
from ..spec import ObjectSpec

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Prefixes of names the compiler or pybpf's headers make up (bpf_printk's format strings).
_INTERNAL_PREFIXES = ("___", "__pybpf", ".")


def is_settable_name(name: str) -> bool:
    """Only globals a C programmer declared can be set: ``on_write.___pybpf_fmt`` (a static of
    ``bpf_printk``, named by the compiler) is data of the program, not a knob."""
    return _C_IDENTIFIER.fullmatch(name) is not None and not name.startswith(_INTERNAL_PREFIXES)


class SetError(Error, ValueError):
    """A ``--set`` assignment that does not parse or names no variable."""


@dataclass(frozen=True)
class Assignment:
    name: str
    text: str


def parse_assignment(item: str) -> Assignment:
    """``"min_duration_ns=1000"`` -> Assignment; the value may itself contain ``=``."""
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise SetError(f"--set {item!r}: expected NAME=VALUE")
    return Assignment(name, text)


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip(), 0)
    except ValueError:
        raise SetError(f"{what}: {text!r} is not an integer") from None


def convert(btf: BTF | None, type_id: int, text: str, what: str) -> Any:
    """The Python value for ``text`` as a value of BTF type ``type_id`` (raw int without BTF)."""
    if btf is None or not type_id:
        return _int(text, what)
    try:
        t = btf.resolve(type_id)
    except (Error, KeyError, IndexError) as exc:
        raise SetError(f"{what}: unreadable type ({exc})") from None
    if isinstance(t, Int):
        if t.encoding & IntEncoding.BOOL:
            low = text.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise SetError(f"{what}: {text!r} is not a bool (true/false)")
        if t.encoding & IntEncoding.CHAR and len(text) == 1 and not text.isdigit():
            return ord(text)
        value = _int(text, what)
        bits = t.size * 8
        low_bound, high_bound = (
            (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if t.signed else (0, (1 << bits) - 1)
        )
        if not low_bound <= value <= high_bound:
            raise SetError(
                f"{what}: {value} does not fit a {'signed' if t.signed else 'unsigned'} {bits}-bit integer"
            )
        return value
    if isinstance(t, Enum | Enum64):
        for enumerator in t.values:
            if enumerator.name == text.strip():
                return enumerator.value
        return _int(text, what)
    if isinstance(t, Array):
        elem = btf.resolve(t.elem_type_id)
        if isinstance(elem, Int) and elem.size == 1:
            raw = text.encode()
            if len(raw) > t.nelems:
                raise SetError(f"{what}: {len(raw)} bytes do not fit char[{t.nelems}]")
            return raw
        parts = [p for p in text.split(",") if p.strip()]
        if len(parts) > t.nelems:
            raise SetError(f"{what}: {len(parts)} values for an array of {t.nelems}")
        values = [convert(btf, t.elem_type_id, p, what) for p in parts]
        zero: Any = 0
        return values + [zero] * (t.nelems - len(values))
    raise SetError(f"{what}: cannot set a {type(t).__name__.lower()} from the command line")


def apply_assignments(spec: ObjectSpec, items: list[str]) -> dict[str, Any]:
    """Set every ``NAME=VALUE`` on the spec's ``const volatile`` globals (before load).

    Looks in ``.rodata`` first, then ``.data`` and ``.bss`` (the initial values of plain globals).
    Returns what was set, by name.
    """
    done: dict[str, Any] = {}
    for item in items:
        assignment = parse_assignment(item)
        if not is_settable_name(assignment.name):
            raise SetError(
                f"--set {assignment.name}: not a settable global (compiler-internal or not a C identifier)"
            )
        for family in (spec.rodata, spec.data, spec.bss):
            if assignment.name not in family:
                continue
            _map_name, var = family.variable(assignment.name)
            value = convert(spec.btf, var.type_id, assignment.text, f"--set {assignment.name}")
            try:
                family[assignment.name] = value
            except (Error, ValueError, TypeError, OverflowError) as exc:
                raise SetError(f"--set {assignment.name}: {exc}") from None
            done[assignment.name] = value
            break
        else:
            known = settable_names(spec)
            raise SetError(
                f"--set {assignment.name}: no such global variable (have: {', '.join(known) or 'none'})"
            )
    return done


def settable_names(spec: ObjectSpec) -> list[str]:
    """The globals ``--set`` accepts, sorted: user-declared ones of .rodata, .data and .bss."""
    return sorted(name for name in {*spec.rodata, *spec.data, *spec.bss} if is_settable_name(name))


__all__ = [
    "Assignment",
    "SetError",
    "apply_assignments",
    "convert",
    "is_settable_name",
    "parse_assignment",
    "settable_names",
]
