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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elftools.common.exceptions import ELFError as PyELFError
from elftools.dwarf.die import DIE
from elftools.elf.elffile import ELFFile

MAX_DEPTH = 32
_MODIFIERS = {"DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type",
              "DW_TAG_atomic_type"}
_AGGREGATES = {"DW_TAG_structure_type", "DW_TAG_union_type"}
_SIGNED = {5, 6}  # DW_ATE_signed, DW_ATE_signed_char
_CHARS = {6, 8}  # DW_ATE_signed_char, DW_ATE_unsigned_char
_BOOL = 2
_FLOAT = 4

Decode = Callable[[bytes], Any]


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
    die: DIE
    _decode: Decode | None = None

    def decode(self, data: bytes) -> dict[str, Any]:
        raw = bytes(data[: self.size]).ljust(self.size, b"\0")
        try:
            if self._decode is None:
                self._decode = _aggregate_decoder(self.die, 0)
            value = self._decode(raw)
        except (struct.error, IndexError, ValueError) as exc:
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


def _int_decoder(size: int, signed: bool) -> Decode:
    def decode(raw: bytes) -> int:
        return int.from_bytes(raw[:size], "little", signed=signed)

    return decode


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


def decoder_for(die: DIE | None, depth: int = 0) -> tuple[Decode, int]:
    """(decoder, size) for a DWARF type; unknown kinds decode as hex."""
    die = _strip(die)
    if die is None or depth > MAX_DEPTH:
        return (lambda raw: raw.hex()), 0
    size = _size_of(die)
    tag = die.tag
    if tag == "DW_TAG_base_type":
        encoding = _attr(die, "DW_AT_encoding", 7)
        if encoding == _BOOL:
            return (lambda raw: raw[:size] != bytes(size)), size
        if encoding == _FLOAT and size in (4, 8):
            fmt = "<f" if size == 4 else "<d"
            return (lambda raw: struct.unpack_from(fmt, raw)[0]), size
        return _int_decoder(size, encoding in _SIGNED), size
    if tag in ("DW_TAG_pointer_type", "DW_TAG_enumeration_type"):
        signed = tag == "DW_TAG_enumeration_type" and _is_signed_enum(die)
        return _int_decoder(size, signed), size
    if tag == "DW_TAG_array_type":
        return _array_decoder(die, depth)
    if tag in _AGGREGATES:
        return _aggregate_decoder(die, depth), size
    return (lambda raw: raw[:size].hex()), size


def _is_signed_enum(die: DIE) -> bool:
    base = _strip(_target(die))
    return base is not None and _attr(base, "DW_AT_encoding") in _SIGNED


def _array_decoder(die: DIE, depth: int) -> tuple[Decode, int]:
    element = _strip(_target(die))
    count = _count(die)
    if element is not None and element.tag == "DW_TAG_base_type" and _attr(element, "DW_AT_encoding") in _CHARS:
        def text(raw: bytes) -> str:
            return raw[:count].split(b"\0", 1)[0].decode("utf-8", "replace")

        return text, count
    inner, step = decoder_for(element, depth + 1)
    if step <= 0:
        return (lambda raw: raw.hex()), 0

    def items(raw: bytes) -> list[Any]:
        return [inner(raw[i * step : (i + 1) * step]) for i in range(count)]

    return items, count * step


def _aggregate_decoder(die: DIE, depth: int) -> Decode:
    # (name, byte offset, decoder, size, bit size, bit offset); bit size 0 for ordinary members
    members: list[tuple[str, int, Decode, int, int, int]] = []
    for index, member in enumerate(die.iter_children()):
        if member.tag != "DW_TAG_member":
            continue
        decode, size = decoder_for(_target(member), depth + 1)
        offset = _attr(member, "DW_AT_data_member_location", 0)
        offset = offset if isinstance(offset, int) else 0
        bits = int(_attr(member, "DW_AT_bit_size", 0) or 0)
        bit_offset = int(_attr(member, "DW_AT_data_bit_offset", offset * 8) or 0)
        name = _name(member) or f"(anon{index})"
        members.append((name, offset, decode, size, bits, bit_offset))

    def decode_aggregate(raw: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, offset, decode, size, bits, bit_offset in members:
            if bits:
                out[name] = (int.from_bytes(raw, "little") >> bit_offset) & ((1 << bits) - 1)
                continue
            value = decode(raw[offset : offset + size])
            if name.startswith("(anon") and isinstance(value, dict):
                out.update(value)
            else:
                out[name] = value
        return out

    return decode_aggregate


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
    except (PyELFError, struct.error, IndexError, KeyError, ValueError, AttributeError, TypeError, UnicodeDecodeError):
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


__all__ = ["DwarfStruct", "DwarfTypes", "LocalVar", "decoder_for", "read_dwarf_types"]
