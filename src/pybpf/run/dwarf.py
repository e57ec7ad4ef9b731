"""Struct layouts from an object's DWARF, for event structs that never reach its BTF.

clang writes into ``.BTF`` only the types reachable from globals, maps, function signatures and
CO-RE relocations; ``struct event *e = bpf_ringbuf_reserve(...)`` leaves ``struct event`` out.
The ``-g`` DWARF in the same object still describes it, and the local variable ``e`` ties it to
the program, so ``pybpf run`` reads both from there.  Anything unreadable gives an empty result:
this is a best-effort aid to display, never a reason to fail a run.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from elftools.common.exceptions import ELFError as PyELFError
from elftools.dwarf.die import DIE
from elftools.elf.elffile import ELFFile

from pybpf._dataclasses import dataclass, field

MAX_DEPTH = 32
_MODIFIERS = {
    "DW_TAG_typedef",
    "DW_TAG_const_type",
    "DW_TAG_volatile_type",
    "DW_TAG_restrict_type",
    "DW_TAG_atomic_type",
}
_AGGREGATES = {"DW_TAG_structure_type", "DW_TAG_union_type"}
_SIGNED = {5, 6}  # DW_ATE_signed, DW_ATE_signed_char
_CHARS = {6, 8}  # DW_ATE_signed_char, DW_ATE_unsigned_char
_BOOL = 2
_FLOAT = 4

#: A JSON-able type description (see :func:`layout_of`).
Layout = dict[str, Any]


@dataclass(frozen=True)
class LocalVar:
    """A variable or parameter of a function whose type is a named struct or a pointer to one."""

    function: str
    name: str
    struct: str
    pointer: bool


@dataclass
class DwarfStruct:
    """A named struct or union with a decoder to plain values (``char[]`` as text)."""

    name: str
    size: int
    die: DIE | None = None
    _layout: Layout | None = None

    @property
    def layout(self) -> Layout:
        """Built on first use: most structs of an object are never decoded."""
        if self._layout is None:
            self._layout = layout_of(self.die)
        return self._layout

    @classmethod
    def from_layout(cls, name: str, layout: Layout) -> DwarfStruct:
        return cls(name, int(layout.get("size", 0)), None, layout)

    def decode(self, data: bytes) -> dict[str, Any]:
        raw = bytes(data[: self.size]).ljust(self.size, b"\0")
        try:
            value = decode(self.layout, raw)
        except (struct.error, IndexError, ValueError, KeyError, TypeError) as exc:
            return {"error": str(exc), "raw": raw.hex()}
        return value if isinstance(value, dict) else {"value": value}


@dataclass
class DwarfTypes:
    structs: dict[str, DwarfStruct] = field(default_factory=dict)
    locals: list[LocalVar] = field(default_factory=list)

    def struct(self, name: str) -> DwarfStruct | None:
        bare = name.split()[-1] if name.split() else name
        return self.structs.get(bare)

    def of_size(self, size: int) -> list[DwarfStruct]:
        return [s for s in self.structs.values() if s.size == size]


def _attr(die: DIE, name: str, default: Any = None) -> Any:
    attr = die.attributes.get(name)
    return default if attr is None else attr.value


def _name(die: DIE) -> str:
    value = _attr(die, "DW_AT_name", b"")
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _target(die: DIE) -> DIE | None:
    if "DW_AT_type" not in die.attributes:
        return None
    return die.get_DIE_from_attribute("DW_AT_type")


def _strip(die: DIE | None) -> DIE | None:
    for _ in range(MAX_DEPTH):
        if die is None or die.tag not in _MODIFIERS:
            return die
        die = _target(die)
    return None


def _size_of(die: DIE | None, depth: int = 0) -> int:
    die = _strip(die)
    if die is None or depth > MAX_DEPTH:
        return 0
    if die.tag == "DW_TAG_pointer_type":
        return int(_attr(die, "DW_AT_byte_size", 8))
    if die.tag == "DW_TAG_array_type":
        return _count(die) * _size_of(_target(die), depth + 1)
    return int(_attr(die, "DW_AT_byte_size", 0))


def _count(array: DIE) -> int:
    total = 1
    for sub in array.iter_children():
        if sub.tag != "DW_TAG_subrange_type":
            continue
        count = _attr(sub, "DW_AT_count")
        if count is None:
            upper = _attr(sub, "DW_AT_upper_bound")
            count = upper + 1 if isinstance(upper, int) else 0
        total *= int(count)
    return total


def layout_of(die: DIE | None, depth: int = 0) -> Layout:
    """A JSON-able description of a DWARF type, enough to decode its bytes (see :func:`decode`).

    Kinds: ``int`` (size, signed), ``bool``, ``float``, ``text`` (``char[N]``), ``array``
    (elem, count), ``struct`` (members: name, offset, layout, bit size, bit offset), ``hex``.
    """
    die = _strip(die)
    if die is None or depth > MAX_DEPTH:
        return {"k": "hex", "size": 0}
    size = _size_of(die)
    tag = die.tag
    if tag == "DW_TAG_base_type":
        encoding = _attr(die, "DW_AT_encoding", 7)
        if encoding == _BOOL:
            return {"k": "bool", "size": size}
        if encoding == _FLOAT and size in (4, 8):
            return {"k": "float", "size": size}
        return {"k": "int", "size": size, "signed": encoding in _SIGNED}
    if tag == "DW_TAG_pointer_type":
        return {"k": "int", "size": size, "signed": False}
    if tag == "DW_TAG_enumeration_type":
        return {"k": "int", "size": size, "signed": _is_signed_enum(die)}
    if tag == "DW_TAG_array_type":
        element = _strip(_target(die))
        count = _count(die)
        if (
            element is not None
            and element.tag == "DW_TAG_base_type"
            and _attr(element, "DW_AT_encoding") in _CHARS
        ):
            return {"k": "text", "size": count}
        inner = layout_of(element, depth + 1)
        return {"k": "array", "size": count * int(inner["size"]), "elem": inner, "count": count}
    if tag in _AGGREGATES:
        members: list[list[Any]] = []
        for index, member in enumerate(die.iter_children()):
            if member.tag != "DW_TAG_member":
                continue
            offset = _attr(member, "DW_AT_data_member_location", 0)
            offset = offset if isinstance(offset, int) else 0
            bits = int(_attr(member, "DW_AT_bit_size", 0) or 0)
            bit_offset = int(_attr(member, "DW_AT_data_bit_offset", offset * 8) or 0)
            name = _name(member) or f"(anon{index})"
            members.append([name, offset, layout_of(_target(member), depth + 1), bits, bit_offset])
        return {"k": "struct", "size": size, "members": members}
    return {"k": "hex", "size": size}


def _is_signed_enum(die: DIE) -> bool:
    base = _strip(_target(die))
    return base is not None and _attr(base, "DW_AT_encoding") in _SIGNED


def decode(layout: Layout, raw: bytes, depth: int = 0) -> Any:
    """Plain values for ``raw`` laid out as ``layout`` (``char[]`` as text, structs as dicts)."""
    kind, size = layout.get("k"), int(layout.get("size", 0))
    if depth > MAX_DEPTH:
        return raw.hex()
    if kind == "int":
        return int.from_bytes(raw[:size], "little", signed=bool(layout.get("signed")))
    if kind == "bool":
        return raw[:size] != bytes(size)
    if kind == "float" and size in (4, 8):
        return struct.unpack_from("<f" if size == 4 else "<d", raw[:size].ljust(size, b"\0"))[0]
    if kind == "text":
        return raw[:size].split(b"\0", 1)[0].decode("utf-8", "replace")
    if kind == "array":
        elem = layout["elem"]
        step = int(elem.get("size", 0))
        if step <= 0:
            return raw[:size].hex()
        return [decode(elem, raw[i * step : (i + 1) * step], depth + 1) for i in range(int(layout["count"]))]
    if kind == "struct":
        out: dict[str, Any] = {}
        for name, offset, member, bits, bit_offset in layout["members"]:
            if bits:
                out[name] = (int.from_bytes(raw, "little") >> bit_offset) & ((1 << bits) - 1)
                continue
            value = decode(member, raw[offset : offset + int(member.get("size", 0))], depth + 1)
            if name.startswith("(anon") and isinstance(value, dict):
                out.update(value)
            else:
                out[name] = value
        return out
    return raw[:size].hex()


def _function_of(die: DIE) -> str | None:
    """The enclosing function of a variable DIE (``None`` for globals)."""
    parent = die.get_parent()
    for _ in range(MAX_DEPTH):
        if parent is None or parent.tag == "DW_TAG_compile_unit":
            return None
        if parent.tag == "DW_TAG_subprogram":
            return _name(parent)
        parent = parent.get_parent()
    return None


def _struct_of(die: DIE | None) -> tuple[DIE | None, bool]:
    """(named struct DIE, through a pointer?) for a variable's type."""
    t = _strip(die)
    pointer = False
    if t is not None and t.tag == "DW_TAG_pointer_type":
        t, pointer = _strip(_target(t)), True
    if t is None or t.tag not in _AGGREGATES or not _name(t):
        return None, False
    return t, pointer


def read_dwarf_types(data: bytes) -> DwarfTypes:
    """Named structs and struct-typed locals of every function in an object's DWARF."""
    result = DwarfTypes()
    try:
        elf = ELFFile(io.BytesIO(data))
        if not elf.has_dwarf_info():
            return result
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            for die in cu.iter_DIEs():
                tag = die.tag
                if tag in _AGGREGATES:
                    if _name(die) and not _attr(die, "DW_AT_declaration"):
                        _add_struct(result, die)
                elif tag in ("DW_TAG_variable", "DW_TAG_formal_parameter"):
                    function = _function_of(die)
                    if function is None:
                        continue
                    sdie, pointer = _struct_of(_target(die))
                    if sdie is not None:
                        _add_struct(result, sdie)
                        result.locals.append(LocalVar(function, _name(die), _name(sdie), pointer))
    except (
        PyELFError,
        struct.error,
        IndexError,
        KeyError,
        ValueError,
        AttributeError,
        TypeError,
        UnicodeDecodeError,
    ):
        return result
    return result


def _add_struct(result: DwarfTypes, die: DIE) -> None:
    name = _name(die)
    if name in result.structs:
        return
    size = int(_attr(die, "DW_AT_byte_size", 0) or 0)
    if size <= 0:
        return
    result.structs[name] = DwarfStruct(f"struct {name}", size, die)


__all__ = ["DwarfStruct", "DwarfTypes", "Layout", "LocalVar", "decode", "layout_of", "read_dwarf_types"]
