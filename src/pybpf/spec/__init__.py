"""Pure-data descriptions of a BPF object: programs, maps, global data, externs.

Nothing here touches the kernel: a spec can be built from an ELF file, printed, edited and handed
to any runtime (kernel or VM) as often as wanted.
"""

from __future__ import annotations

from pybpf._lazy import lazy_attributes
from pybpf._typing import TYPE_CHECKING

from .debuginfo import CORERelocation, FuncInfo, LineInfo
from .externs import ExternKind, ExternSpec
from .globaldata import GlobalData, UnknownVariable
from .maps import MapOrigin, MapSpec, Variable
from .object import ObjectSpec, SectionLayout
from .program import ProgramSpec
from .relocation import Relocation, RelocationKind

# Value codecs are for reading and setting variables, which a plain load does not do.
__getattr__ = lazy_attributes(__name__, {"GlobalValueError": "codec"})

if TYPE_CHECKING:
    from .codec import GlobalValueError

__all__ = [
    "CORERelocation",
    "ExternKind",
    "ExternSpec",
    "FuncInfo",
    "GlobalData",
    "GlobalValueError",
    "LineInfo",
    "MapOrigin",
    "MapSpec",
    "ObjectSpec",
    "ProgramSpec",
    "Relocation",
    "RelocationKind",
    "SectionLayout",
    "UnknownVariable",
    "Variable",
]
