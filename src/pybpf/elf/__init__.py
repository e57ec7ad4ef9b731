"""ELF object → :class:`~pybpf.spec.ObjectSpec` for clang-compiled BPF objects.

``parse_object(data)`` / ``read_object(path)``; ``match_section(name)`` tells which program type a
``SEC()`` name stands for.  ``pybpf.elf.container`` is the low-level ELF reader that user-binary
code (symbols, uprobes, USDT) shares; names here resolve lazily so that reader's users do not
pay for the object parser.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .parser import parse_object, read_object
    from .sections import SECTION_DEFS, SectionDef, SectionMatch, match_section

__getattr__ = lazy_attributes(
    __name__,
    {
        "parse_object": "parser",
        "read_object": "parser",
        "SECTION_DEFS": "sections",
        "SectionDef": "sections",
        "SectionMatch": "sections",
        "match_section": "sections",
    },
)

__all__ = ["SECTION_DEFS", "SectionDef", "SectionMatch", "match_section", "parse_object", "read_object"]
