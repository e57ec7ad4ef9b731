"""``ObjectSpec``: a whole parsed BPF object, pure data, loadable any number of times."""

from __future__ import annotations

import os

from pybpf._dataclasses import dataclass, field, replace
from pybpf._typing import TYPE_CHECKING

from .externs import ExternSpec
from .globaldata import GlobalData
from .maps import MapSpec
from .program import ProgramSpec

if TYPE_CHECKING:
    from ..btf import BTF
    from ..btf.ext import BTFExt


@dataclass(frozen=True, slots=True)
class SectionLayout:
    """The real size of an ELF section and where each of its BTF variables sits.

    clang leaves DATASEC sizes and most variable offsets at 0 in ``.BTF``; the kernel refuses such
    BTF, so a loader rewrites them from this (the same fix-up libbpf performs before
    ``BPF_BTF_LOAD``).
    """

    size: int
    offsets: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class ObjectSpec:
    """Programs and maps of one object, by name.

    Edit it before loading (``spec.maps["events"].max_entries = 1 << 20``,
    ``spec.rodata["min_duration_ns"] = 10**6``, ``spec.programs["p"].autoload = False``); a
    runtime never modifies the spec it loads, so one spec can be loaded again (use :meth:`copy` to
    keep variants apart).  ``btf``/``btf_ext`` are the parsed (immutable) ``.BTF`` and
    ``.BTF.ext`` sections.
    """

    programs: dict[str, ProgramSpec] = field(default_factory=dict)
    maps: dict[str, MapSpec] = field(default_factory=dict)
    btf: BTF | None = None
    btf_ext: BTFExt | None = None
    license: str = ""
    kernel_version: int = 0
    externs: dict[str, ExternSpec] = field(default_factory=dict)
    path: str | None = None
    #: DATASEC name → real layout (every DATASEC of ``btf`` backed by a section, and ``.kconfig``)
    section_layouts: dict[str, SectionLayout] = field(default_factory=dict)

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_bytes(
        cls, data: bytes, *, path: str | None = None, unknown_sections: str = "error"
    ) -> ObjectSpec:
        """Parse an ELF BPF object (as clang writes it); see :func:`pybpf.elf.parse_object`."""
        from ..elf import parse_object

        return parse_object(data, path=path, unknown_sections=unknown_sections)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ObjectSpec:
        from ..elf import read_object

        return read_object(path)

    def copy(self) -> ObjectSpec:
        """An independent copy (BTF is immutable and shared)."""
        return replace(
            self,
            programs={name: prog.copy() for name, prog in self.programs.items()},
            maps={name: m.copy() for name, m in self.maps.items()},
            externs={name: replace(e) for name, e in self.externs.items()},
        )

    # ----------------------------------------------------------------- global variables

    @property
    def rodata(self) -> GlobalData:
        """``const`` globals (``.rodata`` and ``.rodata.*``): set them before load."""
        return GlobalData(self.maps, self.btf, "rodata")

    @property
    def data(self) -> GlobalData:
        """Initialised writable globals (``.data`` and ``.data.*``)."""
        return GlobalData(self.maps, self.btf, "data")

    @property
    def bss(self) -> GlobalData:
        """Zero-initialised globals (``.bss``)."""
        return GlobalData(self.maps, self.btf, "bss")

    def __str__(self) -> str:
        lines = [f"object {self.path or '<bytes>'}: license {self.license!r}"]
        lines += [f"  program {p}" for p in self.programs.values()]
        lines += [f"  map {m}" for m in self.maps.values()]
        return "\n".join(lines)


__all__ = ["ObjectSpec", "SectionLayout"]
