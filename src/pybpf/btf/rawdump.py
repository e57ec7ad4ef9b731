"""The ``raw`` and ``json`` BTF dumps, in the same shape as ``bpftool btf dump file F``.

People compare dumps with ``diff`` against bpftool's, and scripts already parse bpftool's JSON, so
both formats follow bpftool 7.x field for field (including its habit of printing an unsigned
32-bit enum value in JSON as the sign-extended 64-bit number).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import TypeNotFound
from .types import (
    AnyType,
    Array,
    Const,
    Datasec,
    DeclTag,
    Enum,
    Enum64,
    Float,
    Func,
    FuncProto,
    Fwd,
    Int,
    IntEncoding,
    Linkage,
    Ptr,
    Restrict,
    Struct,
    Typedef,
    TypeTag,
    Union,
    Var,
    Volatile,
)

if TYPE_CHECKING:
    from .spec import BTF

_INT_ENCODING = {
    IntEncoding.NONE: "(none)",
    IntEncoding.SIGNED: "SIGNED",
    IntEncoding.CHAR: "CHAR",
    IntEncoding.BOOL: "BOOL",
}


def _name(name: str) -> str:
    return name or "(anon)"


def _int_encoding(t: Int) -> str:
    return _INT_ENCODING.get(t.encoding, "UNKN")


def _linkage(value: Linkage | int, *, var: bool) -> str:
    # FUNC and VAR linkages share numbers and, in bpftool's output, names.
    names = ("static", "global", "extern")
    return names[value] if 0 <= value < len(names) else "(unknown)"


def _kind_name(t: AnyType) -> str:
    return "UNKNOWN" if t.kind == 0 else t.kind.name


def raw_lines(btf: BTF, t: AnyType) -> list[str]:
    """The lines bpftool prints for one type (the first names it, the rest are its members)."""
    head = f"[{t.id}] {_kind_name(t)} '{_name(t.name)}'"
    if isinstance(t, Int):
        return [
            f"{head} size={t.size} bits_offset={t.bit_offset} nr_bits={t.bits} encoding={_int_encoding(t)}"
        ]
    if isinstance(t, Ptr | Typedef | Volatile | Const | Restrict | TypeTag):
        return [f"{head} type_id={t.type_id}"]
    if isinstance(t, Array):
        return [f"{head} type_id={t.elem_type_id} index_type_id={t.index_type_id} nr_elems={t.nelems}"]
    if isinstance(t, Struct | Union):
        lines = [f"{head} size={t.size} vlen={len(t.members)}"]
        for m in t.members:
            line = f"\t'{_name(m.name)}' type_id={m.type_id} bits_offset={m.bit_offset}"
            if m.bitfield_size:
                line += f" bitfield_size={m.bitfield_size}"
            lines.append(line)
        return lines
    if isinstance(t, Enum):
        sign = "SIGNED" if t.signed else "UNSIGNED"
        lines = [f"{head} encoding={sign} size={t.size} vlen={len(t.values)}"]
        lines += [f"\t'{_name(v.name)}' val={v.value}" for v in t.values]
        return lines
    if isinstance(t, Enum64):
        sign = "SIGNED" if t.signed else "UNSIGNED"
        suffix = "LL" if t.signed else "ULL"
        lines = [f"{head} encoding={sign} size={t.size} vlen={len(t.values)}"]
        lines += [f"\t'{_name(v.name)}' val={v.value}{suffix}" for v in t.values]
        return lines
    if isinstance(t, Fwd):
        return [f"{head} fwd_kind={'union' if t.is_union else 'struct'}"]
    if isinstance(t, Func):
        return [f"{head} type_id={t.type_id} linkage={_linkage(t.linkage, var=False)}"]
    if isinstance(t, FuncProto):
        lines = [f"{head} ret_type_id={t.return_type_id} vlen={len(t.params)}"]
        lines += [f"\t'{_name(p.name)}' type_id={p.type_id}" for p in t.params]
        return lines
    if isinstance(t, Var):
        return [f"{head} type_id={t.type_id}, linkage={_linkage(t.linkage, var=True)}"]
    if isinstance(t, Datasec):
        lines = [f"{head} size={t.size} vlen={len(t.vars)}"]
        for v in t.vars:
            line = f"\ttype_id={v.type_id} offset={v.offset} size={v.size}"
            try:
                target = btf[v.type_id]
            except TypeNotFound:
                target = None
            if target is not None and target.id != 0:
                line += f" ({_kind_name(target)} '{_name(target.name)}')"
            lines.append(line)
        return lines
    if isinstance(t, Float):
        return [f"{head} size={t.size}"]
    if isinstance(t, DeclTag):
        return [f"{head} type_id={t.type_id} component_idx={t.component_idx}"]
    return [head]


def _selected(btf: BTF, ids: Iterable[int] | None) -> Iterator[AnyType]:
    for type_id in btf.own_ids() if ids is None else ids:
        yield btf[type_id]


def dump_raw(btf: BTF, ids: Iterable[int] | None = None) -> str:
    """The raw dump of ``ids`` (default: every type stored in ``btf``), newline-terminated."""
    lines: list[str] = []
    for t in _selected(btf, ids):
        lines.extend(raw_lines(btf, t))
    return "".join(line + "\n" for line in lines)


def json_type(t: AnyType) -> dict[str, Any]:
    """One type as bpftool's JSON object (same keys, same order)."""
    out: dict[str, Any] = {"id": t.id, "kind": _kind_name(t), "name": _name(t.name)}
    if isinstance(t, Int):
        out.update(size=t.size, bits_offset=t.bit_offset, nr_bits=t.bits, encoding=_int_encoding(t))
    elif isinstance(t, Ptr | Typedef | Volatile | Const | Restrict | TypeTag):
        out["type_id"] = t.type_id
    elif isinstance(t, Array):
        out.update(type_id=t.elem_type_id, index_type_id=t.index_type_id, nr_elems=t.nelems)
    elif isinstance(t, Struct | Union):
        members = []
        for m in t.members:
            entry: dict[str, Any] = {"name": _name(m.name), "type_id": m.type_id, "bits_offset": m.bit_offset}
            if m.bitfield_size:
                entry["bitfield_size"] = m.bitfield_size
            members.append(entry)
        out.update(size=t.size, vlen=len(t.members), members=members)
    elif isinstance(t, Enum):
        values = []
        for v in t.values:
            # bpftool widens the 32-bit value through a signed int, so unsigned values >= 2**31
            # come out as large 64-bit numbers; mirror it for byte-identical JSON.
            value = v.value
            if not t.signed and value >= 1 << 31:
                value += (1 << 64) - (1 << 32)
            values.append({"name": _name(v.name), "val": value})
        out.update(
            encoding="SIGNED" if t.signed else "UNSIGNED", size=t.size, vlen=len(t.values), values=values
        )
    elif isinstance(t, Enum64):
        values = [{"name": _name(v.name), "val": v.value} for v in t.values]
        out.update(
            encoding="SIGNED" if t.signed else "UNSIGNED", size=t.size, vlen=len(t.values), values=values
        )
    elif isinstance(t, Fwd):
        out["fwd_kind"] = "union" if t.is_union else "struct"
    elif isinstance(t, Func):
        out.update(type_id=t.type_id, linkage=_linkage(t.linkage, var=False))
    elif isinstance(t, FuncProto):
        params = [{"name": _name(p.name), "type_id": p.type_id} for p in t.params]
        out.update(ret_type_id=t.return_type_id, vlen=len(t.params), params=params)
    elif isinstance(t, Var):
        out.update(type_id=t.type_id, linkage=_linkage(t.linkage, var=True))
    elif isinstance(t, Datasec):
        secvars = [{"type_id": v.type_id, "offset": v.offset, "size": v.size} for v in t.vars]
        out.update(size=t.size, vlen=len(t.vars), vars=secvars)
    elif isinstance(t, Float):
        out["size"] = t.size
    elif isinstance(t, DeclTag):
        out.update(type_id=t.type_id, component_idx=t.component_idx)
    return out


def dump_json(btf: BTF, ids: Iterable[int] | None = None, *, pretty: bool = False) -> str:
    """``{"types": [...]}`` as bpftool ``-j`` prints it (compact unless ``pretty``)."""
    doc = {"types": [json_type(t) for t in _selected(btf, ids)]}
    writer = _JSONWriter(pretty)
    writer.value(doc)
    return writer.text() + "\n"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\b": "\\b"}


class _JSONWriter:
    """JSON laid out like bpftool's writer: with ``pretty``, members go on their own lines but an
    array's elements follow each other (``[{ ... },{ ... }]``), which ``json.dumps`` cannot do."""

    def __init__(self, pretty: bool) -> None:
        self.pretty = pretty
        self.parts: list[str] = []
        self.depth = 0
        self.sep = ""

    def text(self) -> str:
        return "".join(self.parts)

    def _eor(self) -> None:
        if self.sep:
            self.parts.append(self.sep)
        self.sep = ","

    def _eol(self) -> None:
        if self.pretty:
            self.parts.append("\n" + "    " * self.depth)

    def _begin(self, char: str) -> None:
        self._eor()
        self.parts.append(char)
        self.depth += 1
        self.sep = ""

    def _end(self, char: str) -> None:
        self.depth -= 1
        if self.sep:
            self._eol()
        self.parts.append(char)
        self.sep = ","

    def value(self, value: Any) -> None:
        if isinstance(value, dict):
            self._begin("{")
            for key, item in value.items():
                self._eor()
                self._eol()
                self.sep = ""
                self.parts.append(_quote(key) + (": " if self.pretty else ":"))
                self.value(item)
            self._end("}")
        elif isinstance(value, list):
            self._begin("[")
            for item in value:
                self.value(item)
            self._end("]")
        else:
            self._eor()
            self.parts.append(_quote(value) if isinstance(value, str) else json.dumps(value))


def _quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


__all__ = ["dump_json", "dump_raw", "json_type", "raw_lines"]
