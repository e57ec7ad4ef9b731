"""User-space symbols of one process: address → mapping → file offset → ELF function.

Going through the file offset (not the mapping's start address) is what makes one rule work for
non-PIE executables, PIE executables and shared objects alike: the file's PT_LOAD headers then
say which link-time virtual address those bytes have.
"""

from __future__ import annotations

import os

from pybpf._dataclasses import dataclass
from pybpf.errors import Error

from .elfsyms import elf_symbols
from .procmaps import Mapping, ProcessMaps


@dataclass(frozen=True)
class UserFrame:
    """A resolved user address; ``name`` is empty when no symbol covers it."""

    address: int
    path: str
    file_offset: int
    name: str = ""
    offset: int = 0

    @property
    def module(self) -> str:
        return os.path.basename(self.path) if self.path else ""

    def __str__(self) -> str:
        where = f"{self.name}+{self.offset:#x}" if self.name else "[unknown]"
        if not self.module:
            return where
        # Anonymous mappings already carry brackets in maps ("[stack]", "[heap]").
        return f"{where} {self.module}" if self.module.startswith("[") else f"{where} [{self.module}]"


class UserSymbols:
    """Symbolizes addresses of process ``pid`` (``"self"`` by default) from a snapshot of its maps.

    Take a new one after the process maps new libraries (``dlopen``)."""

    def __init__(self, pid: int | str = "self", maps: ProcessMaps | None = None) -> None:
        self.pid = pid
        self.maps = maps if maps is not None else ProcessMaps.of(pid)

    def _file(self, mapping: Mapping) -> str:
        # A process in another mount namespace sees its files under /proc/PID/root.
        if self.pid != "self" and self.pid != os.getpid():
            rooted = f"/proc/{self.pid}/root{mapping.path}"
            if os.path.exists(rooted):
                return rooted
        return mapping.path

    def lookup(self, address: int) -> UserFrame | None:
        """The frame of ``address``, or ``None`` when no mapping holds it."""
        mapping = self.maps.find(address)
        if mapping is None:
            return None
        if not mapping.is_file:
            return UserFrame(address, mapping.path, 0)
        file_offset = mapping.file_offset(address)
        try:
            found = elf_symbols(self._file(mapping)).lookup_file_offset(file_offset)
        except Error:
            found = None  # not an ELF file (a mapped data file), or unreadable: keep the module
        if found is None:
            return UserFrame(address, mapping.path, file_offset)
        symbol, offset = found
        return UserFrame(address, mapping.path, file_offset, symbol.name, offset)


__all__ = ["UserFrame", "UserSymbols"]
