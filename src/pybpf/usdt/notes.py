"""USDT probe sites from the ``.note.stapsdt`` notes of an executable or shared library.

Each SystemTap SDT note (owner ``stapsdt``, type 3) records a probe's link-time address, the
link-time address of ``.stapsdt.base``, the address of its semaphore (0 when it has none), the
provider and probe names and the argument string.  When a prelinker moved the file, the
difference between the recorded base and the actual ``.stapsdt.base`` section address is the
amount every address moved by, so it is added back before turning addresses into file offsets.
"""

from __future__ import annotations

import os
import struct

from pybpf._dataclasses import dataclass
from pybpf.errors import ELFError
from pybpf.symbols.elffile import ELFFile

from .args import UsdtArg, parse_args

NOTE_SECTION = ".note.stapsdt"
BASE_SECTION = ".stapsdt.base"
NOTE_OWNER = b"stapsdt"
NOTE_TYPE = 3

# ELF e_machine values whose argument syntax we decode.
EM_X86_64 = 62
EM_AARCH64 = 183
_ARCH_OF_MACHINE = {EM_X86_64: "x86_64", EM_AARCH64: "arm64"}


@dataclass(frozen=True)
class UsdtProbe:
    """One probe site: ``offset`` is where the uprobe goes, ``semaphore_offset`` the file
    offset of its reference counter (0 without one); addresses are link-time, adjusted."""

    path: str
    provider: str
    name: str
    address: int
    offset: int
    semaphore: int
    semaphore_offset: int
    arg_string: str
    args: tuple[UsdtArg, ...]


@dataclass(frozen=True)
class RawNote:
    """A decoded stapsdt note before any address adjustment."""

    pc: int
    base: int
    semaphore: int
    provider: str
    name: str
    arg_string: str


def iter_notes(data: bytes, *, addr_size: int = 8, endian: str = "<") -> list[RawNote]:
    """Decode every stapsdt note in the bytes of a ``.note.stapsdt`` section."""
    notes: list[RawNote] = []
    at = 0
    while at + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from(endian + "III", data, at)
        name_at = at + 12
        desc_at = name_at + _align4(namesz)
        at = desc_at + _align4(descsz)
        if at > len(data) or desc_at + descsz > len(data):
            raise ELFError(f"{NOTE_SECTION}: note runs past the end of the section")
        owner = data[name_at : name_at + namesz].rstrip(b"\0")
        if owner != NOTE_OWNER or ntype != NOTE_TYPE:
            continue
        desc = data[desc_at : desc_at + descsz]
        notes.append(_decode_desc(desc, addr_size, endian))
    return notes


def _decode_desc(desc: bytes, addr_size: int, endian: str) -> RawNote:
    fixed = 3 * addr_size
    if len(desc) < fixed:
        raise ELFError(f"{NOTE_SECTION}: note descriptor of {len(desc)} bytes is too short")
    fmt = endian + ("QQQ" if addr_size == 8 else "III")
    pc, base, semaphore = struct.unpack_from(fmt, desc, 0)
    strings = desc[fixed:].split(b"\0")
    if len(strings) < 3:
        raise ELFError(f"{NOTE_SECTION}: note lacks provider, name or argument strings")
    provider, name, args = (s.decode("utf-8", "replace") for s in strings[:3])
    return RawNote(pc, base, semaphore, provider, name, args)


def _align4(n: int) -> int:
    return (n + 3) & ~3


def arch_of(elf: ELFFile) -> str:
    try:
        return _ARCH_OF_MACHINE[elf.machine]
    except KeyError:
        raise ELFError(f"{elf.path}: USDT arguments of machine {elf.machine} are not supported") from None


def read_probes(path: str | os.PathLike[str], elf: ELFFile | None = None) -> list[UsdtProbe]:
    """Every USDT probe of the ELF file at ``path`` (empty when it has no stapsdt notes)."""
    name = os.fspath(path)
    if elf is None:
        elf = ELFFile.from_path(name)
    section = elf.section(NOTE_SECTION)
    if section is None:
        return []
    raw_notes = iter_notes(elf.section_data(section), addr_size=elf.addr_size, endian=elf.endian)
    base_section = elf.section(BASE_SECTION)
    arch = arch_of(elf) if raw_notes else ""
    probes = []
    for note in raw_notes:
        delta = base_section.addr - note.base if base_section is not None and note.base else 0
        address = (note.pc + delta) & ((1 << (8 * elf.addr_size)) - 1)
        offset = elf.vaddr_to_offset(address)
        if offset is None:
            raise ELFError(
                f"{name}: USDT {note.provider}:{note.name} at {address:#x} is not in a PT_LOAD segment"
            )
        sema_offset = 0
        if note.semaphore:
            sema_offset = _semaphore_offset(elf, note.semaphore + delta, note)
        probes.append(
            UsdtProbe(
                path=name,
                provider=note.provider,
                name=note.name,
                address=address,
                offset=offset,
                semaphore=note.semaphore + delta if note.semaphore else 0,
                semaphore_offset=sema_offset,
                arg_string=note.arg_string,
                args=tuple(parse_args(note.arg_string, arch)),
            )
        )
    return probes


def _semaphore_offset(elf: ELFFile, address: int, note: RawNote) -> int:
    # Semaphores live in a writable data section (``.probes``); the kernel wants their offset
    # in the file, which the section holding the address gives.
    for sec in elf.sections:
        if sec.addr and sec.addr <= address < sec.addr + sec.size and sec.type != 8:
            return address - sec.addr + sec.offset
    offset = elf.vaddr_to_offset(address)
    if offset is None:
        raise ELFError(
            f"{elf.path}: semaphore of USDT {note.provider}:{note.name} at {address:#x} is not in any section"
        )
    return offset


def find_probes(path: str | os.PathLike[str], provider: str, name: str) -> list[UsdtProbe]:
    """The sites of one probe (a probe inlined in several places has several notes)."""
    return [p for p in read_probes(path) if p.provider == provider and p.name == name]


__all__ = [
    "BASE_SECTION",
    "NOTE_SECTION",
    "RawNote",
    "UsdtProbe",
    "arch_of",
    "find_probes",
    "iter_notes",
    "read_probes",
]
