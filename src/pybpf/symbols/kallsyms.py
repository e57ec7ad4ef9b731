"""Kernel symbols from ``/proc/kallsyms``, sorted for address → ``name+offset`` lookups.

``kallsyms`` lists symbols in no useful order and without sizes, so a kernel stack address is
named by the nearest text symbol at or below it.  Module symbols carry their module in
brackets, and BPF programs appear as ``bpf_prog_<tag>_<name> [bpf]``.
"""

from __future__ import annotations

import bisect
import os

from pybpf._dataclasses import dataclass
from pybpf._lazy import cache
from pybpf.errors import ParseError

KALLSYMS = "/proc/kallsyms"
_TEXT_TYPES = frozenset("tTwW")


@dataclass(frozen=True)
class KernelSymbol:
    """One symbol: ``module`` is empty for the core kernel image."""

    address: int
    name: str
    type: str = "T"
    module: str = ""


@dataclass(frozen=True)
class KernelFrame:
    """An address resolved against kallsyms: ``symbol`` + ``offset`` bytes."""

    address: int
    symbol: KernelSymbol
    offset: int

    @property
    def name(self) -> str:
        return self.symbol.name

    @property
    def module(self) -> str:
        return self.symbol.module

    def __str__(self) -> str:
        where = f"{self.symbol.name}+{self.offset:#x}"
        return f"{where} [{self.symbol.module}]" if self.symbol.module else where


def parse_kallsyms(text: str, *, text_only: bool = True) -> list[KernelSymbol]:
    """Decode kallsyms text; zero addresses (hidden by ``kptr_restrict``) are dropped."""
    symbols = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3:
            raise ParseError(f"kallsyms line {number} is malformed: {line!r}")
        try:
            address = int(parts[0], 16)
        except ValueError:
            raise ParseError(f"kallsyms line {number} has a bad address: {line!r}") from None
        if not address or (text_only and parts[1] not in _TEXT_TYPES):
            continue
        module = parts[3].strip("[]") if len(parts) > 3 else ""
        symbols.append(KernelSymbol(address, parts[2], parts[1], module))
    return symbols


class KernelSymbols:
    """A sorted symbol table; :meth:`lookup` bisects, :meth:`address_of` goes by name."""

    def __init__(self, symbols: list[KernelSymbol]) -> None:
        self.symbols = sorted(symbols, key=lambda s: s.address)
        self._addresses = [s.address for s in self.symbols]
        self._by_name: dict[str, KernelSymbol] | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str] = KALLSYMS) -> KernelSymbols:
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                text = stream.read()
        except OSError as exc:
            raise ParseError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from None
        return cls(parse_kallsyms(text))

    def __len__(self) -> int:
        return len(self.symbols)

    def lookup(self, address: int) -> KernelFrame | None:
        """The symbol at or below ``address`` (``None`` below the first one)."""
        index = bisect.bisect_right(self._addresses, address) - 1
        if index < 0:
            return None
        symbol = self.symbols[index]
        return KernelFrame(address, symbol, address - symbol.address)

    def at(self, address: int) -> KernelSymbol | None:
        """The first symbol (in kallsyms order) exactly at ``address``, if any."""
        index = bisect.bisect_left(self._addresses, address)
        if index < len(self._addresses) and self._addresses[index] == address:
            return self.symbols[index]
        return None

    def address_of(self, name: str) -> int | None:
        if self._by_name is None:
            table: dict[str, KernelSymbol] = {}
            for symbol in self.symbols:
                table.setdefault(symbol.name, symbol)
            self._by_name = table
        found = self._by_name.get(name)
        return found.address if found else None


@cache
def kernel_symbols() -> KernelSymbols:
    """The running kernel's table, read once per process (modules loaded later are missed;
    build a new :class:`KernelSymbols` to see them)."""
    return KernelSymbols.load()


def ksym(address: int) -> KernelFrame | None:
    """Name a kernel address with the running kernel's symbols."""
    return kernel_symbols().lookup(address)


__all__ = [
    "KALLSYMS",
    "KernelFrame",
    "KernelSymbol",
    "KernelSymbols",
    "kernel_symbols",
    "ksym",
    "parse_kallsyms",
]
