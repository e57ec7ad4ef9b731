"""``.BTF.ext``: per-section function info, line info and CO-RE relocation records.

The records are what the loader hands the kernel (func/line info) and what the CO-RE engine
rewrites instructions from (relocations).  Strings in them (section names, file names, source
lines, access strings) live in the ``.BTF`` string table, so parsing needs the matching
:class:`~pybpf.btf.BTF`.  In an object file ``insn_off`` is a byte offset into the section;
``insn_index`` gives the instruction slot.
"""

from __future__ import annotations

import struct

from pybpf._dataclasses import dataclass, field, set_field
from pybpf._typing import TYPE_CHECKING, TypeVar

from .._enum import KernelIntEnum
from .errors import BTFError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .spec import BTF

SECTION = ".BTF.ext"
BTF_EXT_MAGIC = 0xEB9F
_MIN_HEADER = 24
_CORE_HEADER = 32

R = TypeVar("R")


class CoreReloKind(KernelIntEnum):
    """``enum bpf_core_relo_kind``: what a CO-RE relocation asks for."""

    FIELD_BYTE_OFFSET = 0
    FIELD_BYTE_SIZE = 1
    FIELD_EXISTS = 2
    FIELD_SIGNED = 3
    FIELD_LSHIFT_U64 = 4
    FIELD_RSHIFT_U64 = 5
    TYPE_ID_LOCAL = 6
    TYPE_ID_TARGET = 7
    TYPE_EXISTS = 8
    TYPE_SIZE = 9
    ENUMVAL_EXISTS = 10
    ENUMVAL_VALUE = 11
    TYPE_MATCHES = 12

    @property
    def is_field(self) -> bool:
        return self <= CoreReloKind.FIELD_RSHIFT_U64

    @property
    def is_type(self) -> bool:
        return (
            CoreReloKind.TYPE_ID_LOCAL <= self <= CoreReloKind.TYPE_SIZE or self == CoreReloKind.TYPE_MATCHES
        )

    @property
    def is_enumval(self) -> bool:
        return self in (CoreReloKind.ENUMVAL_EXISTS, CoreReloKind.ENUMVAL_VALUE)


@dataclass(frozen=True, slots=True, init=False)
class FuncInfo:
    """``bpf_func_info``: the BTF FUNC ``type_id`` of the function starting at ``insn_off``."""

    insn_off: int
    type_id: int

    @property
    def insn_index(self) -> int:
        return self.insn_off // 8

    def __init__(self, insn_off: int, type_id: int) -> None:
        set_field(self, "insn_off", insn_off)
        set_field(self, "type_id", type_id)


@dataclass(frozen=True, slots=True, init=False)
class LineInfo:
    """A source line for the instruction at ``insn_off``; ``line`` is the source text."""

    insn_off: int
    file_name: str
    line: str
    line_num: int
    column: int
    file_name_off: int = field(default=0, compare=False)
    line_off: int = field(default=0, compare=False)

    @property
    def insn_index(self) -> int:
        return self.insn_off // 8

    def __init__(
        self,
        insn_off: int,
        file_name: str,
        line: str,
        line_num: int,
        column: int,
        file_name_off: int = 0,
        line_off: int = 0,
    ) -> None:
        set_field(self, "insn_off", insn_off)
        set_field(self, "file_name", file_name)
        set_field(self, "line", line)
        set_field(self, "line_num", line_num)
        set_field(self, "column", column)
        set_field(self, "file_name_off", file_name_off)
        set_field(self, "line_off", line_off)


@dataclass(frozen=True, slots=True, init=False)
class CoreRelo:
    """A CO-RE relocation: ``access`` is the access string ("0:1:2"), relative to ``type_id``."""

    insn_off: int
    type_id: int
    access: str
    kind: CoreReloKind
    access_off: int = field(default=0, compare=False)

    @property
    def insn_index(self) -> int:
        return self.insn_off // 8

    @property
    def access_indices(self) -> tuple[int, ...]:
        """The access string as numbers (empty when it is not a field access spec)."""
        try:
            return tuple(int(part) for part in self.access.split(":"))
        except ValueError:
            return ()

    def __init__(
        self,
        insn_off: int,
        type_id: int,
        access: str,
        kind: CoreReloKind,
        access_off: int = 0,
    ) -> None:
        set_field(self, "insn_off", insn_off)
        set_field(self, "type_id", type_id)
        set_field(self, "access", access)
        set_field(self, "kind", kind)
        set_field(self, "access_off", access_off)


@dataclass(frozen=True, init=False)
class BTFExt:
    """All ``.BTF.ext`` records, grouped by the ELF section (program) they describe."""

    func_info: dict[str, tuple[FuncInfo, ...]]
    line_info: dict[str, tuple[LineInfo, ...]]
    core_relos: dict[str, tuple[CoreRelo, ...]]
    func_info_rec_size: int = 8
    line_info_rec_size: int = 16
    core_relo_rec_size: int = 16

    @classmethod
    def from_bytes(cls, data: bytes, btf: BTF) -> BTFExt:
        return _parse(bytes(data), btf)

    def sections(self) -> list[str]:
        """Every section named by any record kind, in first-seen order."""
        seen: dict[str, None] = {}
        for group in (self.func_info, self.line_info, self.core_relos):
            for name in group:
                seen.setdefault(name, None)
        return list(seen)

    def __init__(
        self,
        func_info: dict[str, tuple[FuncInfo, ...]],
        line_info: dict[str, tuple[LineInfo, ...]],
        core_relos: dict[str, tuple[CoreRelo, ...]],
        func_info_rec_size: int = 8,
        line_info_rec_size: int = 16,
        core_relo_rec_size: int = 16,
    ) -> None:
        set_field(self, "func_info", func_info)
        set_field(self, "line_info", line_info)
        set_field(self, "core_relos", core_relos)
        set_field(self, "func_info_rec_size", func_info_rec_size)
        set_field(self, "line_info_rec_size", line_info_rec_size)
        set_field(self, "core_relo_rec_size", core_relo_rec_size)


def _parse(data: bytes, btf: BTF) -> BTFExt:
    if len(data) < 8:
        raise BTFError(f"header: {len(data)} bytes, need at least 8", section=SECTION, offset=0)
    (magic,) = struct.unpack_from("<H", data, 0)
    if magic == BTF_EXT_MAGIC:
        order = "<"
    elif magic == 0x9FEB:
        order = ">"
    else:
        raise BTFError(f"header: bad magic {magic:#06x}", section=SECTION, offset=0)
    _, version, _flags, hdr_len = struct.unpack_from(order + "HBBI", data, 0)
    if version != 1:
        raise BTFError(f"header: unsupported version {version}", section=SECTION, offset=2)
    if hdr_len < _MIN_HEADER or hdr_len > len(data):
        raise BTFError(f"header: bad hdr_len {hdr_len}", section=SECTION, offset=4)
    fi_off, fi_len, li_off, li_len = struct.unpack_from(order + "IIII", data, 8)
    cr_off = cr_len = 0
    if hdr_len >= _CORE_HEADER:
        cr_off, cr_len = struct.unpack_from(order + "II", data, 24)

    def strings(off: int, what: str, at: int) -> str:
        try:
            return btf.string(off)
        except BTFError as exc:
            raise BTFError(f"{what}: {exc.reason}", section=SECTION, offset=at) from exc

    def func(buf: bytes, at: int, _sec: str) -> FuncInfo:
        insn_off, type_id = struct.unpack_from(order + "II", buf, at)
        return FuncInfo(insn_off, type_id)

    def line(buf: bytes, at: int, _sec: str) -> LineInfo:
        insn_off, file_off, line_off, line_col = struct.unpack_from(order + "IIII", buf, at)
        return LineInfo(
            insn_off,
            strings(file_off, "line_info file name", at),
            strings(line_off, "line_info line", at),
            line_col >> 10,
            line_col & 0x3FF,
            file_off,
            line_off,
        )

    def relo(buf: bytes, at: int, _sec: str) -> CoreRelo:
        insn_off, type_id, access_off, kind = struct.unpack_from(order + "IIII", buf, at)
        try:
            relo_kind = CoreReloKind(kind)
        except ValueError:
            raise BTFError(f"core_relo: unknown relocation kind {kind}", section=SECTION, offset=at) from None
        return CoreRelo(
            insn_off, type_id, strings(access_off, "core_relo access string", at), relo_kind, access_off
        )

    fi, fi_rec = _info_block(data, hdr_len, fi_off, fi_len, 8, "func_info", order, strings, func)
    li, li_rec = _info_block(data, hdr_len, li_off, li_len, 16, "line_info", order, strings, line)
    cr, cr_rec = _info_block(data, hdr_len, cr_off, cr_len, 16, "core_relo", order, strings, relo)
    return BTFExt(fi, li, cr, fi_rec, li_rec, cr_rec)


def _info_block(
    data: bytes,
    hdr_len: int,
    off: int,
    length: int,
    min_rec: int,
    what: str,
    order: str,
    strings: Callable[[int, str, int], str],
    record: Callable[[bytes, int, str], R],
) -> tuple[dict[str, tuple[R, ...]], int]:
    """One of the three blocks: ``rec_size`` then (section name, count, records) groups."""
    groups: dict[str, tuple[R, ...]] = {}
    if length == 0:
        return groups, min_rec
    start = hdr_len + off
    end = start + length
    if end > len(data):
        raise BTFError(
            f"{what}: block [{start}, {end}) runs past the end ({len(data)} bytes)",
            section=SECTION,
            offset=start,
        )
    if length < 4:
        raise BTFError(f"{what}: block too short for its record size", section=SECTION, offset=start)
    (rec_size,) = struct.unpack_from(order + "I", data, start)
    if rec_size < min_rec or rec_size % 4 or rec_size > 1024:
        raise BTFError(f"{what}: bad record size {rec_size}", section=SECTION, offset=start)
    pos = start + 4
    while pos < end:
        if pos + 8 > end:
            raise BTFError(f"{what}: truncated section header", section=SECTION, offset=pos)
        name_off, count = struct.unpack_from(order + "II", data, pos)
        sec = strings(name_off, f"{what} section name", pos)
        if count == 0 or pos + 8 + count * rec_size > end:
            raise BTFError(
                f"{what}: section {sec!r} claims {count} records of {rec_size} bytes, block has {end - pos - 8}",
                section=SECTION,
                offset=pos,
            )
        records = tuple(record(data, pos + 8 + i * rec_size, sec) for i in range(count))
        groups[sec] = groups.get(sec, ()) + records
        pos += 8 + count * rec_size
    return groups, rec_size


__all__ = ["BTFExt", "CoreRelo", "CoreReloKind", "FuncInfo", "LineInfo"]
