"""Function symbols of one ELF file, sorted for virtual address → ``name+offset`` lookups.

``.symtab`` is often stripped from installed libraries while ``.dynsym`` (the exported names)
stays, so both are merged.  Tables are cached per file identity (device, inode, size, mtime):
a stack trace of a long-running process asks about the same few files again and again.
"""

from __future__ import annotations

import bisect
import os
import threading

from pybpf._dataclasses import dataclass

from .elffile import SHN_UNDEF, ELFFile, SymbolType

_FUNCTION_TYPES = (SymbolType.FUNC, SymbolType.GNU_IFUNC)


@dataclass(frozen=True)
class ElfSymbol:
    """A function: ``address`` is its link-time virtual address."""

    name: str
    address: int
    size: int


class ElfSymbols:
    """The function symbols of one file plus what is needed to go from file offsets to them."""

    def __init__(self, elf: ELFFile) -> None:
        self.path = elf.path
        self._elf = elf
        chosen: dict[int, ElfSymbol] = {}
        for table in (".symtab", ".dynsym"):
            for sym in elf.symbols(table):
                if sym.type not in _FUNCTION_TYPES or sym.shndx == SHN_UNDEF or not sym.value or not sym.name:
                    continue
                current = chosen.get(sym.value)
                # Aliases share an address: keep the public-looking name (fewest leading "_").
                if current is None or _rank(sym.name) < _rank(current.name):
                    chosen[sym.value] = ElfSymbol(sym.name, sym.value, sym.size)
        self.symbols = sorted(chosen.values(), key=lambda s: s.address)
        self._addresses = [s.address for s in self.symbols]

    def lookup(self, vaddr: int) -> tuple[ElfSymbol, int] | None:
        """The function holding ``vaddr`` and the offset into it."""
        index = bisect.bisect_right(self._addresses, vaddr) - 1
        if index < 0:
            return None
        symbol = self.symbols[index]
        offset = vaddr - symbol.address
        if symbol.size and offset >= symbol.size:
            return None
        return symbol, offset

    def lookup_file_offset(self, offset: int) -> tuple[ElfSymbol, int] | None:
        vaddr = self._elf.offset_to_vaddr(offset)
        return None if vaddr is None else self.lookup(vaddr)

    def find(self, name: str) -> ElfSymbol | None:
        for symbol in self.symbols:
            if symbol.name == name:
                return symbol
        return None


def _rank(name: str) -> tuple[int, int]:
    return len(name) - len(name.lstrip("_")), len(name)


_cache: dict[tuple[int, int, int, int], ElfSymbols] = {}
_lock = threading.Lock()
CACHE_LIMIT = 64


def elf_symbols(path: str | os.PathLike[str]) -> ElfSymbols:
    """The (cached) symbols of the file at ``path``; raises ``ELFError`` if it is unreadable."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key is not None:
        with _lock:
            found = _cache.get(key)
        if found is not None:
            return found
    symbols = ElfSymbols(ELFFile.from_path(name))
    if key is not None:
        with _lock:
            if len(_cache) >= CACHE_LIMIT:
                _cache.pop(next(iter(_cache)))
            _cache[key] = symbols
    return symbols


def clear_cache() -> None:
    with _lock:
        _cache.clear()


__all__ = ["CACHE_LIMIT", "ElfSymbol", "ElfSymbols", "clear_cache", "elf_symbols"]
