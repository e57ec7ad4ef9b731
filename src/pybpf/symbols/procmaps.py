"""``/proc/PID/maps``: which file (and which offset of it) backs each address of a process.

A user stack address means nothing until it is mapped back to ``(file, file offset)``: with
ASLR, PIE executables and shared libraries load at a different base in every process.
"""

from __future__ import annotations

import bisect

from pybpf._dataclasses import dataclass
from pybpf.errors import ParseError


@dataclass(frozen=True)
class Mapping:
    """One line of ``/proc/PID/maps``; ``path`` is empty for anonymous memory."""

    start: int
    end: int
    perms: str
    offset: int
    inode: int
    path: str

    @property
    def is_file(self) -> bool:
        return self.inode != 0 and self.path.startswith("/")

    def file_offset(self, address: int) -> int:
        """Offset in the backing file of ``address`` (which must lie in this mapping)."""
        return address - self.start + self.offset


def parse_maps(text: str) -> list[Mapping]:
    """Decode the text of a maps file; malformed lines raise :class:`ParseError`."""
    mappings = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(None, 5)
        try:
            start_text, _, end_text = parts[0].partition("-")
            start, end = int(start_text, 16), int(end_text, 16)
            perms, offset, inode = parts[1], int(parts[2], 16), int(parts[4])
        except (IndexError, ValueError):
            raise ParseError(f"maps line {number} is malformed: {line!r}") from None
        path = parts[5].strip() if len(parts) > 5 else ""
        if path.endswith(" (deleted)"):
            path = path[: -len(" (deleted)")]
        mappings.append(Mapping(start, end, perms, offset, inode, path))
    return mappings


def read_maps(pid: int | str = "self") -> list[Mapping]:
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as stream:
            text = stream.read()
    except OSError as exc:
        raise ParseError(f"cannot read /proc/{pid}/maps: {exc.strerror or exc}") from None
    return parse_maps(text)


class ProcessMaps:
    """The maps of one process, indexed for address lookups."""

    def __init__(self, mappings: list[Mapping]) -> None:
        self.mappings = sorted(mappings, key=lambda m: m.start)
        self._starts = [m.start for m in self.mappings]

    @classmethod
    def of(cls, pid: int | str = "self") -> ProcessMaps:
        return cls(read_maps(pid))

    def find(self, address: int) -> Mapping | None:
        index = bisect.bisect_right(self._starts, address) - 1
        if index >= 0 and address < self.mappings[index].end:
            return self.mappings[index]
        return None

    def addresses_of(self, path: str, file_offset: int) -> list[int]:
        """Virtual addresses where the byte at ``file_offset`` of ``path`` is mapped."""
        return [
            m.start + file_offset - m.offset
            for m in self.mappings
            if m.path == path and m.offset <= file_offset < m.offset + (m.end - m.start)
        ]


__all__ = ["Mapping", "ProcessMaps", "parse_maps", "read_maps"]
