"""ELF object bytes → :class:`~pybpf.spec.ObjectSpec`.

The order matters: maps and externs first (instructions refer to them), then each executable
section is cut into functions whose relocations are resolved to names, then every entry
function is linked with its subprograms.
"""

from __future__ import annotations

import mmap
import os
import struct

from ..btf import BTF
from ..btf.ext import BTFExt
from ..enums import MapFlags, MapType, ProgramFlags, ProgramType
from ..errors import ELFError, Error
from ..spec import ExternKind, MapOrigin, MapSpec, ObjectSpec, ProgramSpec, SectionLayout, Variable
from ..spec.globaldata import section_family
from .btfmaps import (
    LEGACY_SECTION,
    MAPS_SECTION,
    PlacedMap,
    apply_slot_relocations,
    parse_btf_maps,
    parse_legacy_maps,
)
from .datasec import datasec_layout, find_datasec
from .externs import KCONFIG_SECTION, collect_externs
from .functions import DataTargets, Function, resolve_references, split_functions
from .linker import ExtIndex, link
from .reader import ElfFile, SectionType, read_elf
from .sections import STRUCT_OPS_SECTIONS, match_section

TEXT = ".text"
#: Largest global-data section accepted: far above what the kernel allows for one array value.
MAX_GLOBAL_DATA = 1 << 26

#: Objects at least this big are mapped for the parse rather than read: most of an object built
#: with ``-g`` is DWARF the parser never touches, and a mapping faults in only what it reads.
MAP_THRESHOLD = 64 * 1024


def read_object(path: str | os.PathLike[str]) -> ObjectSpec:
    """Parse the object file at ``path`` (mapped while it is parsed, as libbpf does)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # not pathlib: importing it costs more
        try:
            size = os.fstat(fd).st_size
            if size < MAP_THRESHOLD:
                return parse_object(os.read(fd, size + 1), path=str(path))
            mapped = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ELFError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return parse_object(mapped, path=str(path))
    finally:
        mapped.close()  # the spec holds copies of what it needs, never the mapping


def parse_object(
    data: bytes | mmap.mmap, *, path: str | None = None, unknown_sections: str = "error"
) -> ObjectSpec:
    """Parse a BPF ELF object.

    ``unknown_sections="unspec"`` keeps executable sections whose name follows no convention as
    ``ProgramType.UNSPEC`` programs (useful to disassemble them) instead of raising.
    """
    try:
        return _Parser(read_elf(data), path, unknown_sections).parse()
    except Error:
        raise
    except RecursionError as exc:
        raise ELFError("object structure nests too deeply") from exc


class _Parser:
    def __init__(self, elf: ElfFile, path: str | None, unknown_sections: str) -> None:
        self.elf = elf
        self.path = path
        self.unknown_sections = unknown_sections

    def parse(self) -> ObjectSpec:
        elf = self.elf
        spec = ObjectSpec(path=self.path)
        spec.license = self._license()
        spec.kernel_version = self._version()
        spec.btf, spec.btf_ext = self._btf()

        spec.externs, kconfig = collect_externs(elf, spec.btf)
        targets = self._maps(spec)
        if kconfig is not None:
            self._add_map(spec, kconfig)
        spec.section_layouts = self._layouts(spec)
        self._programs(spec, targets)
        return spec

    # ----------------------------------------------------------------- small sections

    def _license(self) -> str:
        section = self.elf.section("license")
        if section is None:
            return ""
        text = section.data.split(b"\0", 1)[0]
        try:
            return text.decode("ascii")
        except UnicodeDecodeError:
            raise ELFError("license is not ASCII text", section="license") from None

    def _version(self) -> int:
        section = self.elf.section("version")
        if section is None:
            return 0
        if len(section.data) != 4:
            raise ELFError(f"must be 4 bytes, not {len(section.data)}", section="version")
        return int(struct.unpack("<I", section.data)[0])

    def _btf(self) -> tuple[BTF | None, BTFExt | None]:
        section = self.elf.section(".BTF")
        if section is None or section.type != SectionType.PROGBITS:
            return None, None
        btf = BTF.from_bytes(section.data)
        ext_section = self.elf.section(".BTF.ext")
        ext = None
        if ext_section is not None and ext_section.type == SectionType.PROGBITS:
            ext = BTFExt.from_bytes(ext_section.data, btf)
        return btf, ext

    def _layouts(self, spec: ObjectSpec) -> dict[str, SectionLayout]:
        layouts: dict[str, SectionLayout] = {}
        if spec.btf is None:
            return layouts
        for section in self.elf.sections:
            if section.type not in (SectionType.PROGBITS, SectionType.NOBITS) or section.name in layouts:
                continue
            if section.is_exec or not section.name or find_datasec(spec.btf, section.name) is None:
                continue
            offsets = {v.name: v.offset for v in datasec_layout(self.elf, spec.btf, section)}
            layouts[section.name] = SectionLayout(section.size, offsets)
        kconfig = [e for e in spec.externs.values() if e.kind is ExternKind.KCONFIG]
        if kconfig and KCONFIG_SECTION in spec.maps:
            layouts[KCONFIG_SECTION] = SectionLayout(
                spec.maps[KCONFIG_SECTION].value_size, {e.name: e.offset for e in kconfig}
            )
        return layouts

    # ----------------------------------------------------------------- maps

    def _maps(self, spec: ObjectSpec) -> DataTargets:
        """Every map of the object; returns what code relocations can point at."""
        elf = self.elf
        btf_maps: list[PlacedMap] = []
        legacy_maps: list[PlacedMap] = []
        maps_section = elf.section(MAPS_SECTION)
        if maps_section is not None and maps_section.type in (SectionType.PROGBITS, SectionType.NOBITS):
            btf_maps = parse_btf_maps(elf, maps_section, spec.btf)
            apply_slot_relocations(elf, maps_section, btf_maps)
        legacy_section = elf.section(LEGACY_SECTION)
        if legacy_section is not None and legacy_section.type == SectionType.PROGBITS:
            legacy_maps = parse_legacy_maps(elf, legacy_section)
        for placed in btf_maps + legacy_maps:
            self._add_map(spec, placed.spec)
        for name in STRUCT_OPS_SECTIONS:
            ops_section = elf.section(name)
            if ops_section is not None and ops_section.type == SectionType.PROGBITS:
                from .structops import parse_struct_ops  # only struct_ops objects pay for it

                for m in parse_struct_ops(elf, ops_section, spec.btf):
                    self._add_map(spec, m)
        return DataTargets(
            global_data=self._global_data(spec),
            btf_maps={p.offset: p for p in btf_maps},
            legacy_maps={p.offset: p for p in legacy_maps},
            maps_index=maps_section.index if maps_section is not None else None,
            legacy_index=legacy_section.index if legacy_section is not None else None,
            externs=spec.externs,
        )

    def _add_map(self, spec: ObjectSpec, m: MapSpec) -> None:
        if m.name in spec.maps:
            raise ELFError(f"two maps are named {m.name!r}", section=m.section)
        spec.maps[m.name] = m

    def _global_data(self, spec: ObjectSpec) -> dict[int, str]:
        """A map per ``.data*``/``.rodata*``/``.bss*`` section; returns section index → map name."""
        result: dict[int, str] = {}
        for section in self.elf.sections:
            family = section_family(section.name)
            if family is None or not section.is_alloc or section.is_exec or not section.size:
                continue
            if section.type not in (SectionType.PROGBITS, SectionType.NOBITS):
                continue
            if section.size > MAX_GLOBAL_DATA:
                raise ELFError(
                    f"global data of {section.size} bytes exceeds the {MAX_GLOBAL_DATA >> 20} MiB a map value can hold",
                    section=section.name,
                )
            readonly = family == "rodata"
            value_type = 0
            variables: dict[str, Variable] = {}
            if spec.btf is not None:
                datasec = find_datasec(spec.btf, section.name)
                value_type = datasec.id if datasec is not None else 0
                for v in datasec_layout(self.elf, spec.btf, section):
                    variables.setdefault(v.name, Variable(v.name, v.offset, v.size, v.type_id))
            m = MapSpec(
                name=section.name,
                type=MapType.ARRAY,
                key_size=4,
                value_size=section.size,
                max_entries=1,
                flags=MapFlags.MMAPABLE | (MapFlags.RDONLY_PROG if readonly else MapFlags.NONE),
                value_type_id=value_type,
                data=section.data if section.type == SectionType.PROGBITS else bytes(section.size),
                readonly=readonly,
                origin=MapOrigin.GLOBAL_DATA,
                section=section.name,
                variables=variables,
            )
            self._add_map(spec, m)
            result[section.index] = m.name
        return result

    # ----------------------------------------------------------------- programs

    def _programs(self, spec: ObjectSpec, targets: DataTargets) -> None:
        functions: list[Function] = []
        for section in self.elf.sections:
            if section.is_exec and section.size:
                fns = split_functions(self.elf, section)
                resolve_references(self.elf, section, fns, targets)
                functions.extend(fns)
        starts = {fn.key: fn for fn in functions}
        ext = ExtIndex(spec.btf_ext) if spec.btf_ext is not None else None
        for fn in functions:
            if fn.section.name != TEXT:
                self._add_program(spec, fn, starts, ext)

    def _add_program(
        self, spec: ObjectSpec, fn: Function, starts: dict[tuple[int, int], Function], ext: ExtIndex | None
    ) -> None:
        section = fn.section.name
        match = match_section(section)
        if match is None:
            if self.unknown_sections != "unspec":
                raise ELFError(
                    f"program {fn.name!r}: section name follows no known convention "
                    "(e.g. SEC(\"xdp\"), SEC(\"tp/<category>/<name>\"), SEC(\"kprobe/<func>\"))",
                    section=section,
                )
            ptype, attach, target = ProgramType.UNSPEC, None, ""
            flags = ProgramFlags.NONE
            auto_attach = attach_btf = False
        else:
            d = match.definition
            ptype, attach, target = d.program_type, d.expected_attach_type, match.target
            flags = ProgramFlags.NONE
            if d.sleepable:
                flags |= ProgramFlags.SLEEPABLE
            if d.xdp_frags:
                flags |= ProgramFlags.XDP_HAS_FRAGS
            auto_attach, attach_btf = d.auto_attach, d.attach_btf
        if fn.name in spec.programs:
            raise ELFError(f"two programs are named {fn.name!r}", section=section)
        linked = link(fn, starts, ext)
        spec.programs[fn.name] = ProgramSpec(
            name=fn.name,
            section=section,
            type=ptype,
            expected_attach_type=attach,
            attach_target=target,
            instructions=linked.instructions,
            relocations=linked.relocations,
            subprograms=linked.subprograms,
            func_info=linked.func_info,
            line_info=linked.line_info,
            core_relocations=linked.core_relocations,
            license=spec.license,
            kernel_version=spec.kernel_version,
            flags=flags,
            auto_attach=auto_attach,
            attach_btf=attach_btf,
        )


__all__ = ["parse_object", "read_object"]
