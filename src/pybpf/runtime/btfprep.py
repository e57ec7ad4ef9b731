"""Make an object's BTF acceptable to the running kernel before ``BPF_BTF_LOAD``.

Two separate jobs.  *Layout fixes* are needed on every kernel: clang leaves DATASEC sizes and
variable offsets at zero and describes externs in ways the kernel's BTF checker refuses (extern
linkage, ``void`` ksym variables, functions inside the ``.ksyms`` DATASEC).  *Sanitising* is only
for older kernels: kinds they do not know (decl tags, type tags, enum64, float, global function
linkage, DATASEC itself) are swapped for look-alikes they do know, keeping every type id in
place so ``.BTF.ext`` records and map type ids stay valid.
"""

from __future__ import annotations

import struct

from pybpf import _dataclasses as dataclasses
from pybpf._lazy import cache
from pybpf._typing import TYPE_CHECKING

from .._enum import ConstantEnum
from ..btf import (
    BTF,
    Const,
    Datasec,
    DeclTag,
    Enum64,
    EnumValue,
    Float,
    Func,
    FuncProto,
    Int,
    IntEncoding,
    Kind,
    Linkage,
    Member,
    Ptr,
    Struct,
    TypeTag,
    Union,
    Var,
    VarSecInfo,
)
from ..btf.encode import StringTable, encode_type, encode_types
from ..btf.spec import BTF_MAGIC, HEADER_SIZE
from ..btf.types import AnyType
from ..errors import Error
from ..spec import SectionLayout

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

KSYMS_SECTION = ".ksyms"


class BTFFeature(ConstantEnum):
    """BTF kinds or encodings that arrived after BTF itself (kernel version in the comment)."""

    DATASEC = "datasec"  # 5.2
    FUNC_LINKAGE = "func_linkage"  # 5.6: global functions
    FLOAT = "float"  # 5.13
    DECL_TAG = "decl_tag"  # 5.16
    TYPE_TAG = "type_tag"  # 5.17
    ENUM64 = "enum64"  # 6.0


def _int(type_id: int) -> Int:
    return Int(id=type_id, name="int", size=4, encoding=IntEncoding.SIGNED, bit_offset=0, bits=32)


def _probe_types(feature: BTFFeature) -> list[AnyType]:
    """The smallest BTF that only a kernel knowing ``feature`` accepts."""
    if feature is BTFFeature.DATASEC:
        return [
            _int(1),
            Var(id=2, name="x", type_id=1, linkage=Linkage.STATIC),
            Datasec(id=3, name=".data", size=4, vars=(VarSecInfo(type_id=2, offset=0, size=4),)),
        ]
    if feature is BTFFeature.FUNC_LINKAGE:
        return [
            _int(1),
            FuncProto(id=2, name="", return_type_id=1),
            Func(id=3, name="f", type_id=2, linkage=Linkage.GLOBAL),
        ]
    if feature is BTFFeature.FLOAT:
        return [Float(id=1, name="float", size=4)]
    if feature is BTFFeature.DECL_TAG:
        return [
            _int(1),
            Var(id=2, name="x", type_id=1, linkage=Linkage.STATIC),
            DeclTag(id=3, name="tag", type_id=2, component_idx=-1),
        ]
    if feature is BTFFeature.TYPE_TAG:
        return [_int(1), TypeTag(id=2, name="tag", type_id=1), Ptr(id=3, name="", type_id=2)]
    return [Enum64(id=1, name="e", size=8, values=(EnumValue(name="A", value=1 << 40),))]


@cache
def kernel_supports(feature: BTFFeature) -> bool:
    """Whether the running kernel loads BTF using ``feature`` (probed once per process)."""
    from ..kernel import KernelError, btf_load

    try:
        fd = btf_load(encode_types(_probe_types(feature)))
    except (KernelError, Error):
        return False
    fd.close()
    return True


def _needed_features(types: Iterable[AnyType]) -> set[BTFFeature]:
    needed: set[BTFFeature] = set()
    for t in types:
        if isinstance(t, Datasec):
            needed.add(BTFFeature.DATASEC)
        elif isinstance(t, Func) and int(t.linkage) == Linkage.GLOBAL:
            needed.add(BTFFeature.FUNC_LINKAGE)
        elif isinstance(t, Float):
            needed.add(BTFFeature.FLOAT)
        elif isinstance(t, DeclTag):
            needed.add(BTFFeature.DECL_TAG)
        elif isinstance(t, TypeTag):
            needed.add(BTFFeature.TYPE_TAG)
        elif isinstance(t, Enum64):
            needed.add(BTFFeature.ENUM64)
    return needed


def _member_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) or "_"


def _datasec_fix(btf: BTF, t: Datasec, layout: SectionLayout | None) -> Datasec:
    if layout is None:
        return t
    fixed = []
    for info in t.vars:
        var = btf.get(info.type_id)
        name = var.name if var is not None else ""
        offset = layout.offsets.get(name, info.offset)
        fixed.append(
            VarSecInfo(type_id=info.type_id, offset=offset, size=info.size or btf.size_of(info.type_id))
        )
    fixed.sort(key=lambda v: v.offset)
    return dataclasses.replace(t, size=layout.size, vars=tuple(fixed))


#: Kinds the layout fixes may rewrite; every other record is copied byte for byte.
_FIXED_KINDS = frozenset({Kind.VAR, Kind.FUNC, Kind.DATASEC})


def fixes(btf: BTF, layouts: Mapping[str, SectionLayout]) -> tuple[dict[int, AnyType], list[AnyType]]:
    """The types to replace (by id) so the kernel accepts the object's BTF, and types to append.

    DATASECs get their real sizes and offsets; extern VARs and FUNCs a linkage the kernel knows;
    the ``.ksyms`` DATASEC only variables (a dummy ``int`` variable stands in for each kernel
    function, as a DATASEC may hold nothing else).  Only VAR, FUNC and DATASEC records are
    decoded, which keeps this cheap on objects with thousands of types.
    """
    ids = btf.own_ids()
    next_id = ids.stop
    changes: dict[int, AnyType] = {}
    extra: list[AnyType] = []
    extern_protos: set[int] = set()
    int_id = 0
    for type_id in ids:
        if btf.kind_of(type_id) not in _FIXED_KINDS:
            continue
        t = changes.get(type_id) or btf[type_id]
        if isinstance(t, Var | Func) and int(t.linkage) == Linkage.EXTERN:
            # The kernel knows no extern linkage: the runtime resolves these itself.
            changes[type_id] = dataclasses.replace(t, linkage=Linkage.GLOBAL)
            if isinstance(t, Func):
                extern_protos.add(t.type_id)
        elif isinstance(t, Datasec) and t.name == KSYMS_SECTION:
            if not int_id:
                int_id = next_id + len(extra)
                extra.append(_int(int_id))
            vars_: list[VarSecInfo] = []
            for info in t.vars:
                target = btf.get(info.type_id)
                if isinstance(target, Var):
                    changes[target.id] = dataclasses.replace(target, type_id=int_id, linkage=Linkage.GLOBAL)
                    vars_.append(VarSecInfo(type_id=info.type_id, offset=4 * len(vars_), size=4))
                else:
                    dummy = Var(
                        id=next_id + len(extra),
                        name=f"dummy_ksym_{len(extra)}",
                        type_id=int_id,
                        linkage=Linkage.GLOBAL,
                    )
                    extra.append(dummy)
                    vars_.append(VarSecInfo(type_id=dummy.id, offset=4 * len(vars_), size=4))
            changes[type_id] = dataclasses.replace(t, size=4 * len(vars_), vars=tuple(vars_))
        elif isinstance(t, Datasec):
            fixed = _datasec_fix(btf, t, layouts.get(t.name))
            if fixed is not t:
                changes[type_id] = fixed
    for proto_id in extern_protos:
        proto = btf.get(proto_id)
        if isinstance(proto, FuncProto) and proto_id in ids:
            named = _name_params(proto)
            if named is not proto:
                changes[proto_id] = named
    return changes, extra


def _name_params(proto: FuncProto) -> FuncProto:
    """Kernel-function prototypes with every parameter named.

    A global FUNC's parameters must be named for the kernel's BTF checker, and clang leaves the
    parameters of extern declarations unnamed when the declaration does.
    """
    if not any(not p.name and p.type_id for p in proto.params):
        return proto
    params = tuple(
        dataclasses.replace(p, name=f"arg{i}") if not p.name and p.type_id else p
        for i, p in enumerate(proto.params)
    )
    return dataclasses.replace(proto, params=params)


def fixed_types(btf: BTF, layouts: Mapping[str, SectionLayout]) -> list[AnyType]:
    """Every own type of ``btf`` with :func:`fixes` applied (and the appended types last)."""
    changes, extra = fixes(btf, layouts)
    return [changes.get(i) or btf[i] for i in btf.own_ids()] + extra


def fixed_blob(btf: BTF, layouts: Mapping[str, SectionLayout]) -> bytes:
    """The bytes of :func:`fixed_types`, copying every unchanged record as it is.

    Same result as ``encode_for(btf, fixed_types(btf, layouts))`` without decoding and
    re-encoding the types nobody changed: most of the load-time cost on big objects.
    """
    changes, extra = fixes(btf, layouts)
    table = StringTable(btf.raw_strings or b"\0", base=btf.base)
    order = btf.header.order
    parts = [
        encode_type(changes[i], table, order) if i in changes else btf.type_record(i) for i in btf.own_ids()
    ]
    parts += [encode_type(t, table, order) for t in extra]
    body = b"".join(parts)
    strings = table.tobytes()
    header = struct.pack(
        order + "HBBIIIII", BTF_MAGIC, 1, 0, HEADER_SIZE, 0, len(body), len(body), len(strings)
    )
    return header + body + strings


def _downgrade(t: AnyType, missing: set[BTFFeature], types: Mapping[int, AnyType]) -> AnyType:
    """A type an older kernel knows in place of ``t`` (same id, same size where it has one)."""
    if isinstance(t, DeclTag) and BTFFeature.DECL_TAG in missing:
        return Int(
            id=t.id, name=_member_name(t.name), size=1, encoding=IntEncoding.NONE, bit_offset=0, bits=8
        )
    if isinstance(t, TypeTag) and BTFFeature.TYPE_TAG in missing:
        return Const(id=t.id, name="", type_id=t.type_id)
    if isinstance(t, Enum64) and BTFFeature.ENUM64 in missing:
        return Union(id=t.id, name=_member_name(t.name) if t.name else "", size=t.size)
    if isinstance(t, Float) and BTFFeature.FLOAT in missing:
        return Struct(id=t.id, name=_member_name(t.name), size=t.size)
    if isinstance(t, Func) and BTFFeature.FUNC_LINKAGE in missing and int(t.linkage) != Linkage.STATIC:
        return dataclasses.replace(t, linkage=Linkage.STATIC)
    if BTFFeature.DATASEC in missing:
        if isinstance(t, Var):
            return Int(
                id=t.id, name=_member_name(t.name), size=1, encoding=IntEncoding.NONE, bit_offset=0, bits=8
            )
        if isinstance(t, Datasec):
            members = tuple(
                Member(
                    name=_member_name(types[v.type_id].name if v.type_id in types else ""),
                    type_id=v.type_id,
                    bit_offset=8 * v.offset,
                )
                for v in t.vars
            )
            return Struct(id=t.id, name=_member_name(t.name), size=t.size, members=members)
    return t


def sanitise(types: list[AnyType], missing: set[BTFFeature]) -> list[AnyType]:
    """``types`` with every use of a ``missing`` feature replaced."""
    if not missing:
        return types
    by_id = {t.id: t for t in types}
    return [_downgrade(t, missing, by_id) for t in types]


def missing_features(types: Iterable[AnyType]) -> set[BTFFeature]:
    """The features ``types`` use that the running kernel lacks (probing only what is used)."""
    return {f for f in _needed_features(types) if not kernel_supports(f)}


def encode_for(btf: BTF, types: list[AnyType]) -> bytes:
    """BTF bytes of ``types`` keeping the object's string offsets (``.BTF.ext`` refers to them)."""
    table = StringTable(btf.raw_strings or b"\0", base=btf.base)
    return encode_types(types, strings=table, order=btf.header.order)


__all__ = [
    "BTFFeature",
    "encode_for",
    "fixed_blob",
    "fixed_types",
    "fixes",
    "kernel_supports",
    "missing_features",
    "sanitise",
]
