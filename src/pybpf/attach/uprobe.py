"""Uprobes: a breakpoint at a file offset of an executable or shared library.

The kernel wants an (inode, file offset) pair, not a symbol or a virtual address.  A symbol's
value is a virtual address (for PIE executables and shared objects relative to load base 0), so the
offset comes from the PT_LOAD program header that maps the address: the same rule for ET_EXEC,
PIE and ``.so`` files.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from pybpf._dataclasses import dataclass
from pybpf.errors import ELFError, Error
from pybpf.kernel.fd import FD

from .link import FdSource, Link
from .perf_event import PerfEventAttr, perf_event_open, pmu_format_bit, pmu_type
from .tracing import _perf_event_link

_LIBRARY_DIRS = (
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
)


class SymbolNotFound(Error, LookupError):
    """The binary has no defined function symbol of that name."""


@dataclass(frozen=True)
class ResolvedSymbol:
    """Where a uprobe on ``name`` goes: ``offset`` in ``path``; ``address`` is the symbol value."""

    path: str
    name: str
    address: int
    offset: int


def find_library(name: str) -> str:
    """Full path of a shared library given as a path, a file name (``libc.so.6``) or ``c``."""
    if os.sep in name or os.path.isfile(name):
        return name
    candidates = [name]
    if not name.startswith("lib") and ".so" not in name:
        import ctypes.util

        found = ctypes.util.find_library(name)
        candidates = [found] if found else [f"lib{name}.so"]
    for directory in _LIBRARY_DIRS:
        for candidate in candidates:
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return os.path.realpath(path)
    raise SymbolNotFound(f"library {name!r} not found in {', '.join(_LIBRARY_DIRS)}")


def vaddr_to_offset(segments: list[tuple[int, int, int, int]], vaddr: int) -> int | None:
    """File offset of ``vaddr`` given PT_LOAD ``(p_vaddr, p_memsz, p_offset, p_filesz)`` rows."""
    from pybpf.elf.container import PT_LOAD, Segment
    from pybpf.elf.container import vaddr_to_offset as translate

    rows = [
        Segment(PT_LOAD, 0, p_offset, p_vaddr, p_filesz, p_memsz)
        for p_vaddr, p_memsz, p_offset, p_filesz in segments
    ]
    return translate(rows, vaddr)


def resolve_symbol(path: str | os.PathLike[str], symbol: str) -> ResolvedSymbol:
    """Resolve function ``symbol`` of an ELF file to the file offset a uprobe needs."""
    # Imported here: the ELF reader is not needed by programs that attach no uprobe.
    from pybpf.symbols.elffile import SHN_UNDEF, ELFFile, SymbolType

    real = find_library(os.fspath(path))
    try:
        with open(real, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        raise SymbolNotFound(f"cannot read {real}: {exc.strerror}") from None
    elf = ELFFile(data, path=real)
    function_types = (SymbolType.FUNC, SymbolType.GNU_IFUNC)
    address = None
    for table in (".symtab", ".dynsym"):
        for sym in elf.symbols(table):
            if sym.name == symbol and sym.type in function_types and sym.shndx != SHN_UNDEF and sym.value:
                address = sym.value
                break
        if address is not None:
            break
    if address is None:
        raise SymbolNotFound(f"{real} has no defined function {symbol!r}")
    offset = elf.vaddr_to_offset(address)
    if offset is None:
        raise ELFError(f"{real}: {symbol} at {address:#x} is not inside any PT_LOAD segment")
    return ResolvedSymbol(path=str(Path(real).resolve()), name=symbol, address=address, offset=offset)


def open_uprobe_event(
    binary: str, file_offset: int, *, pid: int = -1, retprobe: bool = False, ref_ctr_offset: int = 0
) -> FD:
    """The uprobe PMU perf event at ``file_offset`` of ``binary`` (no program bound yet).

    ``ref_ctr_offset`` is the file offset of a USDT semaphore: the kernel counts the probe's
    users there, so guarded probe sites run only while something is attached.
    """
    path_buf = ctypes.create_string_buffer(os.fsencode(binary))
    config = 1 << pmu_format_bit("uprobe", "retprobe") if retprobe else 0
    if ref_ctr_offset:
        config |= ref_ctr_offset << pmu_format_bit("uprobe", "ref_ctr_offset")
    attr = PerfEventAttr(
        type=pmu_type("uprobe"),
        config=config,
        sample_period=1,
        wakeup_events=1,
        config1=ctypes.addressof(path_buf),
        config2=file_offset,
    )
    perf_fd = perf_event_open(attr, pid=pid, cpu=0 if pid < 0 else -1)
    del path_buf
    return perf_fd


def attach_uprobe(
    prog: FdSource,
    path: str | os.PathLike[str],
    symbol: str | None = None,
    *,
    offset: int = 0,
    pid: int = -1,
    retprobe: bool = False,
    cookie: int | None = None,
    ref_ctr_offset: int = 0,
) -> Link:
    """Attach a uprobe (or uretprobe) at ``symbol`` (+``offset``) of ``path``, or at a raw offset.

    ``pid`` limits it to one process (-1: every process mapping the file); ``ref_ctr_offset``
    is a USDT semaphore's file offset (see :func:`open_uprobe_event`).
    """
    if symbol is not None:
        resolved = resolve_symbol(path, symbol)
        binary, file_offset = resolved.path, resolved.offset + offset
    else:
        binary = find_library(os.fspath(path))
        file_offset = offset
    if not os.path.exists(binary):
        raise SymbolNotFound(f"{binary} does not exist")
    perf_fd = open_uprobe_event(
        binary, file_offset, pid=pid, retprobe=retprobe, ref_ctr_offset=ref_ctr_offset
    )
    kind = "uretprobe" if retprobe else "uprobe"
    where = f"{symbol}+{offset:#x}" if symbol else f"{file_offset:#x}"
    return _perf_event_link(prog, perf_fd, f"{kind} {binary}:{where}", cookie)


__all__ = [
    "ResolvedSymbol",
    "SymbolNotFound",
    "attach_uprobe",
    "find_library",
    "open_uprobe_event",
    "resolve_symbol",
    "vaddr_to_offset",
]
