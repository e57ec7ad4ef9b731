"""Symbolization: kernel addresses through kallsyms, user addresses through /proc/PID/maps and
the ELF symbol tables of the mapped files, and stack traces printed with both."""

from __future__ import annotations

from .elffile import ELFFile
from .elfsyms import ElfSymbol, ElfSymbols, elf_symbols
from .kallsyms import KernelFrame, KernelSymbol, KernelSymbols, kernel_symbols, ksym, parse_kallsyms
from .procmaps import Mapping, ProcessMaps, parse_maps, read_maps
from .stacks import Frame, format_stack, is_kernel_address, read_stack, stack_addresses, symbolize
from .usersyms import UserFrame, UserSymbols

__all__ = [
    "ELFFile",
    "ElfSymbol",
    "ElfSymbols",
    "Frame",
    "KernelFrame",
    "KernelSymbol",
    "KernelSymbols",
    "Mapping",
    "ProcessMaps",
    "UserFrame",
    "UserSymbols",
    "elf_symbols",
    "format_stack",
    "is_kernel_address",
    "kernel_symbols",
    "ksym",
    "parse_kallsyms",
    "parse_maps",
    "read_maps",
    "read_stack",
    "stack_addresses",
    "symbolize",
]
