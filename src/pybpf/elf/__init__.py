"""ELF object → :class:`~pybpf.spec.ObjectSpec` for clang-compiled BPF objects.

``parse_object(data)`` / ``read_object(path)``; ``match_section(name)`` tells which program type a
``SEC()`` name stands for.
"""

from __future__ import annotations

from .parser import parse_object, read_object
from .sections import SECTION_DEFS, SectionDef, SectionMatch, match_section

__all__ = ["SECTION_DEFS", "SectionDef", "SectionMatch", "match_section", "parse_object", "read_object"]
