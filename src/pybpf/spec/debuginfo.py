"""Per-program ``.BTF.ext`` records, re-based to the program's own instruction slots.

``.BTF.ext`` numbers instructions by byte offset inside an ELF section; once subprograms are
linked after the program that calls them those numbers mean nothing, so each record here carries
the slot index inside the linked program, the numbering the kernel expects in ``BPF_PROG_LOAD``.
String offsets point into the object's BTF string table (what the kernel wants); the resolved
text is kept next to them for people.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, replace, set_field

from ..btf.ext import CoreReloKind


@dataclass(frozen=True, slots=True, init=False)
class FuncInfo:
    """``bpf_func_info``: the BTF FUNC describing the function starting at ``insn``."""

    insn: int
    type_id: int

    def shifted(self, delta: int) -> FuncInfo:
        return replace(self, insn=self.insn + delta)

    def __init__(self, insn: int, type_id: int) -> None:
        set_field(self, "insn", insn)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class LineInfo:
    """``bpf_line_info``: the source line of the instruction at ``insn``."""

    insn: int
    file_name_off: int
    line_off: int
    line: int
    column: int
    file: str = ""
    text: str = ""

    def shifted(self, delta: int) -> LineInfo:
        return replace(self, insn=self.insn + delta)

    def __init__(
        self,
        insn: int,
        file_name_off: int,
        line_off: int,
        line: int,
        column: int,
        file: str = "",
        text: str = "",
    ) -> None:
        set_field(self, "insn", insn)
        set_field(self, "file_name_off", file_name_off)
        set_field(self, "line_off", line_off)
        set_field(self, "line", line)
        set_field(self, "column", column)
        set_field(self, "file", file)
        set_field(self, "text", text)


@dataclass(frozen=True, slots=True, init=False)
class CORERelocation:
    """``bpf_core_relo``: the instruction at ``insn`` needs a field offset/size/existence/... of
    ``type_id`` along ``access`` (``"0:1:2"``) adjusted to the running kernel."""

    insn: int
    type_id: int
    access_str_off: int
    kind: CoreReloKind
    access: str = ""

    def shifted(self, delta: int) -> CORERelocation:
        return replace(self, insn=self.insn + delta)

    def __init__(
        self,
        insn: int,
        type_id: int,
        access_str_off: int,
        kind: CoreReloKind,
        access: str = "",
    ) -> None:
        set_field(self, "insn", insn)
        set_field(self, "type_id", type_id)
        set_field(self, "access_str_off", access_str_off)
        set_field(self, "kind", kind)
        set_field(self, "access", access)


__all__ = ["CORERelocation", "FuncInfo", "LineInfo"]
