"""Which C source line an instruction slot came from, for fault messages.

A fault at "instruction 12" sends the author of a compiled program to a disassembler; the line
info the compiler left in ``.BTF.ext`` already says which source line produced the slot, so the
VM quotes it.  Records are sorted by slot and each covers the slots up to the next record.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ..spec.debuginfo import LineInfo


class SourceLines:
    """Slot -> ``file:line: text`` over one program's line info."""

    def __init__(self, records: Sequence[LineInfo]) -> None:
        self._records = sorted(records, key=lambda record: record.insn)
        self._slots = [record.insn for record in self._records]

    def __bool__(self) -> bool:
        return bool(self._records)

    def record(self, slot: int | None) -> LineInfo | None:
        """The line info covering ``slot`` (None before the first record or without a slot)."""
        if slot is None:
            return None
        at = bisect.bisect_right(self._slots, slot) - 1
        return self._records[at] if at >= 0 else None

    def describe(self, slot: int | None) -> str | None:
        """``file:line: text`` for ``slot``; the file's directory is left out (it is noise)."""
        record = self.record(slot)
        if record is None or not record.line:
            return None
        name = record.file.rsplit("/", 1)[-1] or "<source>"
        text = record.text.strip()
        return f"{name}:{record.line}: {text}" if text else f"{name}:{record.line}"


__all__ = ["SourceLines"]
