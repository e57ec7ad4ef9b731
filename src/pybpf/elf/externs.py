"""``__kconfig`` and ``__ksym`` externs: undefined symbols the runtime must supply.

clang lists them in the ``.kconfig`` and ``.ksyms`` BTF DATASECs (with every offset 0), so the
``.kconfig`` layout is ours to choose: variables are laid out in DATASEC order, each aligned to
its type, which is what the runtime fills in from the kernel config before load.
"""

from __future__ import annotations

from ..btf import BTF, Datasec, Func, Kind, Var
from ..enums import MapFlags, MapType
from ..errors import ELFError
from ..spec import ExternKind, ExternSpec, MapOrigin, MapSpec
from .reader import ElfFile, SymbolBind, SymbolType

KCONFIG_SECTION = ".kconfig"
KSYMS_SECTION = ".ksyms"


def _datasec_members(btf: BTF | None, name: str) -> list[tuple[int, str, bool]]:
    """(type id, name, is function) of each entry of a DATASEC, in order."""
    if btf is None:
        return []
    result = []
    for sec in btf.find_all(name, Kind.DATASEC):
        if not isinstance(sec, Datasec):
            continue
        for info in sec.vars:
            t = btf.get(info.type_id)
            if isinstance(t, Var | Func) and t.name:
                result.append((t.id, t.name, isinstance(t, Func)))
    return result


def collect_externs(elf: ElfFile, btf: BTF | None) -> tuple[dict[str, ExternSpec], MapSpec | None]:
    """Every extern of the object, and the ``.kconfig`` map holding the kconfig ones (if any)."""
    undefined = {
        s.name: s
        for s in elf.symbols
        if s.is_undefined and s.name and s.bind in (SymbolBind.GLOBAL, SymbolBind.WEAK) and s.type != SymbolType.FILE
    }
    externs: dict[str, ExternSpec] = {}
    kconfig_layout: list[ExternSpec] = []
    for type_id, name, _ in _datasec_members(btf, KCONFIG_SECTION):
        sym = undefined.get(name)
        ext = ExternSpec(name, ExternKind.KCONFIG, weak=bool(sym and sym.is_weak), btf_type_id=type_id)
        externs[name] = ext
        kconfig_layout.append(ext)
    for type_id, name, is_func in _datasec_members(btf, KSYMS_SECTION):
        sym = undefined.get(name)
        kind = ExternKind.KFUNC if is_func else ExternKind.KSYM
        externs[name] = ExternSpec(name, kind, weak=bool(sym and sym.is_weak), btf_type_id=type_id)
    for name, sym in undefined.items():
        if name in externs:
            continue
        # No BTF to say which: fall back on libbpf's naming conventions.
        if name.startswith(("CONFIG_", "LINUX_")):
            raise ELFError(f"kconfig extern {name!r} has no BTF description (compile with -g)", section=".symtab")
        kind = ExternKind.KFUNC if sym.type == SymbolType.FUNC else ExternKind.KSYM
        externs[name] = ExternSpec(name, kind, weak=sym.is_weak)
    kconfig_map = _layout_kconfig(btf, kconfig_layout) if kconfig_layout else None
    return externs, kconfig_map


def _layout_kconfig(btf: BTF | None, layout: list[ExternSpec]) -> MapSpec:
    assert btf is not None
    offset = 0
    for ext in layout:
        size = btf.size_of(ext.btf_type_id)
        align = btf.align_of(ext.btf_type_id)
        offset = (offset + align - 1) // align * align
        ext.offset, ext.size = offset, size
        offset += size
    size = max(offset, 1)
    return MapSpec(
        name=KCONFIG_SECTION,
        type=MapType.ARRAY,
        key_size=4,
        value_size=size,
        max_entries=1,
        flags=MapFlags.RDONLY_PROG | MapFlags.MMAPABLE,
        data=bytes(size),
        readonly=True,
        origin=MapOrigin.KCONFIG,
        section=KCONFIG_SECTION,
    )


__all__ = ["KCONFIG_SECTION", "KSYMS_SECTION", "collect_externs"]
