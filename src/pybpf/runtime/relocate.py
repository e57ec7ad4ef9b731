"""Turn a program's symbolic relocations into the immediates the kernel expects.

Works on the encoded instruction bytes (a copy: the spec is never touched).  A 16-byte ``lddw``
keeps the first half of its 64-bit immediate in slot ``i`` and the second half in slot ``i + 1``;
the pseudo source register tells the verifier how to read them (map fd, map value, BTF id).
"""

from __future__ import annotations

import struct

from pybpf._dataclasses import dataclass, set_field
from pybpf._lazy import cache
from pybpf._typing import TYPE_CHECKING

from ..btf import BTF, Func, Kind, Var, Void
from ..spec import ExternKind, ExternSpec, ProgramSpec, Relocation, RelocationKind
from .errors import ExternError, LoadError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

# Pseudo source registers of ``lddw`` and ``call`` (uapi linux/bpf.h).
PSEUDO_MAP_FD = 1
PSEUDO_MAP_VALUE = 2
PSEUDO_BTF_ID = 3
PSEUDO_KFUNC_CALL = 2
LDDW = 0x18
CALL = 0x85

_IMM = struct.Struct("<i")
_UIMM = struct.Struct("<I")


def _set_src(code: bytearray, slot: int, src: int) -> None:
    at = slot * 8 + 1
    code[at] = (code[at] & 0x0F) | (src << 4)


def _set_imm(code: bytearray, slot: int, value: int) -> None:
    _UIMM.pack_into(code, slot * 8 + 4, value & 0xFFFFFFFF)


def _set_off(code: bytearray, slot: int, value: int) -> None:
    struct.pack_into("<h", code, slot * 8 + 2, value)


def patch_lddw(code: bytearray, slot: int, src: int, low: int, high: int) -> None:
    """Rewrite the ``lddw`` at ``slot``: pseudo source ``src``, immediates ``low``/``high``."""
    if slot * 8 + 16 > len(code) or code[slot * 8] != LDDW:
        raise LoadError(f"relocation at instruction {slot} does not point at a 64-bit load")
    _set_src(code, slot, src)
    _set_imm(code, slot, low)
    _set_imm(code, slot + 1, high)


@dataclass(frozen=True, init=False)
class KernelSymbol:
    """Where an extern resolved: a vmlinux BTF id, or an address for typeless ksyms."""

    btf_id: int = 0
    address: int = 0

    def __init__(self, btf_id: int = 0, address: int = 0) -> None:
        set_field(self, "btf_id", btf_id)
        set_field(self, "address", address)


@cache
def kallsyms() -> Mapping[str, int]:
    """Addresses of kernel symbols (needs root for non-zero addresses)."""
    table: dict[str, int] = {}
    try:
        with open("/proc/kallsyms") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] not in table:
                    try:
                        table[parts[2]] = int(parts[0], 16)
                    except ValueError:
                        continue
    except OSError:
        return {}
    return table


class ExternResolver:
    """Resolves ``__ksym`` externs against a kernel BTF (looked up lazily, once per name)."""

    def __init__(self, object_btf: BTF | None, kernel_btf: Callable[[], BTF]) -> None:
        self._object_btf = object_btf
        self._kernel_btf = kernel_btf
        self._cache: dict[str, KernelSymbol | None] = {}

    def _typeless(self, ext: ExternSpec) -> bool:
        btf = self._object_btf
        if btf is None or not ext.btf_type_id:
            return True
        var = btf.get(ext.btf_type_id)
        return isinstance(var, Var) and isinstance(btf.get(var.type_id), Void)

    def resolve(self, ext: ExternSpec) -> KernelSymbol | None:
        """The kernel's symbol for ``ext``; ``None`` for a missing weak one."""
        if ext.name in self._cache:
            return self._cache[ext.name]
        found: KernelSymbol | None = None
        if ext.kind is ExternKind.KSYM and self._typeless(ext):
            address = kallsyms().get(ext.name)
            if address:
                found = KernelSymbol(address=address)
        else:
            kind = Kind.FUNC if ext.kind is ExternKind.KFUNC else Kind.VAR
            ids = [i for i in self._kernel_btf().find_ids(ext.name) if _kind_is(self._kernel_btf(), i, kind)]
            if ids:
                found = KernelSymbol(btf_id=ids[0])
        if found is None and not ext.weak:
            what = "kernel function" if ext.kind is ExternKind.KFUNC else "kernel symbol"
            raise ExternError(f"__ksym extern {ext.name!r}: no {what} of that name in the running kernel")
        self._cache[ext.name] = found
        return found


def _kind_is(btf: BTF, type_id: int, kind: Kind) -> bool:
    t = btf.get(type_id)
    return t is not None and t.kind is kind and (kind is not Kind.FUNC or isinstance(t, Func))


def apply_relocations(
    prog: ProgramSpec,
    code: bytearray,
    map_fd: Callable[[str], int],
    externs: Mapping[str, ExternSpec],
    resolver: ExternResolver,
) -> None:
    """Write map fds, map value offsets and kernel BTF ids into ``code`` (``prog``'s bytes)."""
    for slot, reloc in prog.relocations.items():
        _apply_one(prog, code, slot, reloc, map_fd, externs, resolver)


def _apply_one(
    prog: ProgramSpec,
    code: bytearray,
    slot: int,
    reloc: Relocation,
    map_fd: Callable[[str], int],
    externs: Mapping[str, ExternSpec],
    resolver: ExternResolver,
) -> None:
    kind = reloc.kind
    if kind is RelocationKind.MAP:
        patch_lddw(code, slot, PSEUDO_MAP_FD, map_fd(reloc.target), 0)
    elif kind in (RelocationKind.MAP_VALUE, RelocationKind.KCONFIG):
        target = ".kconfig" if kind is RelocationKind.KCONFIG else reloc.target
        patch_lddw(code, slot, PSEUDO_MAP_VALUE, map_fd(target), reloc.offset)
    elif kind is RelocationKind.KSYM:
        ext = externs.get(reloc.target) or ExternSpec(reloc.target, ExternKind.KSYM, weak=reloc.weak)
        sym = resolver.resolve(ext)
        if sym is None:
            patch_lddw(code, slot, 0, 0, 0)
        elif sym.btf_id:
            patch_lddw(code, slot, PSEUDO_BTF_ID, sym.btf_id, 0)
        else:
            patch_lddw(code, slot, 0, sym.address, sym.address >> 32)
    elif kind is RelocationKind.KFUNC:
        ext = externs.get(reloc.target) or ExternSpec(reloc.target, ExternKind.KFUNC, weak=reloc.weak)
        sym = resolver.resolve(ext)
        if slot * 8 + 16 <= len(code) and code[slot * 8] == LDDW:
            # &kfunc (bpf_ksym_exists): the function's BTF id, or 0 for a missing weak one.
            patch_lddw(code, slot, PSEUDO_BTF_ID if sym is not None else 0, sym.btf_id if sym else 0, 0)
            return
        if slot * 8 + 8 > len(code) or code[slot * 8] != CALL:
            raise LoadError(f"{prog.name}: kfunc relocation at {slot} is not a call")
        _set_src(code, slot, PSEUDO_KFUNC_CALL)
        _set_imm(code, slot, sym.btf_id if sym is not None else 0)
        _set_off(code, slot, 0)
    # SUBPROGRAM and FUNC_ADDR were linked by the ELF reader: nothing left to write.


__all__ = [
    "ExternResolver",
    "KernelSymbol",
    "apply_relocations",
    "kallsyms",
    "patch_lddw",
]
