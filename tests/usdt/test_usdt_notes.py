"""Reading ``.note.stapsdt`` notes, and the spec layout shared with ``usdt.bpf.h``."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import ELFError
from pybpf.symbols.elffile import ELFFile
from pybpf.usdt import SITE_SIZE, ArgKind, encode_site, find_probes, iter_notes, parse_args, read_probes
from pybpf.usdt.specs import ARG, SITE_HEAD


def _note(
    pc: int, base: int, sema: int, provider: str, name: str, args: str, owner: bytes = b"stapsdt"
) -> bytes:
    desc = (
        struct.pack("<QQQ", pc, base, sema) + b"\0".join(s.encode() for s in (provider, name, args)) + b"\0"
    )
    owner_z = owner + b"\0"

    def pad(b: bytes) -> bytes:
        return b + bytes(-len(b) % 4)

    return struct.pack("<III", len(owner_z), len(desc), 3) + pad(owner_z) + pad(desc)


def test_note_bytes_decode_to_addresses_names_and_arguments() -> None:
    (note,) = iter_notes(_note(0x1234, 0x2000, 0x4010, "prov", "probe", "-4@%edi 8@$1"))
    assert (note.pc, note.base, note.semaphore, note.provider, note.name, note.arg_string) == (
        0x1234, 0x2000, 0x4010, "prov", "probe", "-4@%edi 8@$1",
    )  # fmt: skip


def test_notes_of_other_owners_are_skipped() -> None:
    data = _note(1, 2, 0, "a", "b", "", owner=b"GNU") + _note(5, 6, 0, "p", "n", "")
    assert [n.pc for n in iter_notes(data)] == [5]


@pytest.mark.parametrize(
    "data",
    [
        struct.pack("<III", 8, 200, 3) + b"stapsdt\0",
        struct.pack("<III", 8, 8, 3) + b"stapsdt\0" + bytes(8),
        struct.pack("<III", 8, 26, 3) + b"stapsdt\0" + bytes(24) + b"ab" + bytes(2),
    ],
    ids=["descriptor past the end", "descriptor shorter than three addresses", "missing strings"],
)
def test_malformed_note_raises_elf_error(data: bytes) -> None:
    with pytest.raises(ELFError):
        iter_notes(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_note_bytes_decode_or_raise_elf_error(data: bytes) -> None:
    try:
        iter_notes(data)
    except ELFError:
        pass


def test_probes_of_a_gcc_built_binary_are_found_with_their_arguments(usdt_target_binary: Path) -> None:
    probes = {p.name: p for p in read_probes(usdt_target_binary)}
    assert sorted(probes) == ["guarded", "kinds"]
    kinds = [ArgKind.REG] * 4 + [ArgKind.REG_DEREF] * 2 + [ArgKind.CONST] * 2
    assert [a.kind for a in probes["kinds"].args] == kinds


def test_probe_offset_points_at_the_nop_of_the_probe_site(usdt_target_binary: Path) -> None:
    data = usdt_target_binary.read_bytes()
    assert {data[p.offset] for p in read_probes(usdt_target_binary)} == {0x90}


def test_probes_of_a_shared_library_have_file_offsets_of_their_nops(tmp_path: Path) -> None:
    from usdt_testlib import DATA

    from testlib import find_tool

    gcc = find_tool("gcc", "cc")
    if gcc is None:
        pytest.skip("no C compiler (gcc)")
    library = tmp_path / "libusdt.so"
    subprocess.run(
        [gcc, "-O2", "-shared", "-fPIC", "-o", str(library), str(DATA / "usdt_target.c")], check=True
    )
    data = library.read_bytes()
    probes = read_probes(library)
    assert sorted(p.name for p in probes) == ["guarded", "kinds"]
    assert {data[p.offset] for p in probes} == {0x90}


def test_semaphore_offset_is_the_file_offset_of_the_semaphore_variable(usdt_target_binary: Path) -> None:
    elf = ELFFile.from_path(usdt_target_binary)
    (symbol,) = [s for s in elf.symbols(".symtab") if s.name == "pybpf_guarded_semaphore"]
    (probe,) = find_probes(usdt_target_binary, "pybpf", "guarded")
    assert (probe.semaphore, probe.semaphore_offset) == (symbol.value, elf.vaddr_to_offset(symbol.value))


def test_probe_without_semaphore_has_semaphore_offset_zero(usdt_target_binary: Path) -> None:
    (probe,) = find_probes(usdt_target_binary, "pybpf", "kinds")
    assert probe.semaphore_offset == 0


def test_recorded_base_differing_from_stapsdt_base_moves_the_probe_address(usdt_target_binary: Path) -> None:
    elf = ELFFile.from_path(usdt_target_binary)
    note_section = elf.section(".note.stapsdt")
    assert note_section is not None
    (original,) = find_probes(usdt_target_binary, "pybpf", "kinds")
    data = bytearray(elf.data)
    # The first note is "kinds": shift its recorded .stapsdt.base down by 16 (as a prelinker would).
    base_at = note_section.offset + 12 + 8 + 8
    (base,) = struct.unpack_from("<Q", data, base_at)
    struct.pack_into("<Q", data, base_at, base - 16)
    moved = read_probes("x", ELFFile.from_bytes(bytes(data)))
    assert [p.address for p in moved if p.name == "kinds"] == [original.address + 16]


def test_site_layout_matches_the_structs_compiled_from_usdt_bpf_h(usdt_reader_object: Path) -> None:
    from pybpf.btf import Struct
    from pybpf.spec import ObjectSpec

    btf = ObjectSpec.from_file(usdt_reader_object).btf
    assert btf is not None
    site, arg = (btf.find(name) for name in ("pybpf_usdt_site", "pybpf_usdt_arg"))
    assert isinstance(site, Struct) and isinstance(arg, Struct)
    assert [btf.size_of(site.id), btf.size_of(arg.id)] == [SITE_SIZE, ARG.size]
    assert [(m.name, m.bit_offset // 8) for m in site.members] == [
        ("cookie", 0),
        ("nargs", 8),
        ("reserved", 12),
        ("args", SITE_HEAD.size),
    ]
    assert [(m.name, m.bit_offset // 8) for m in arg.members] == [
        ("addend", 0),
        ("pt_regs_off", 8),
        ("kind", 10),
        ("size", 11),
        ("is_signed", 12),
        ("reserved", 13),
    ]


def test_encoded_site_holds_cookie_count_and_arguments() -> None:
    raw = encode_site(parse_args("-4@$-7 8@-16(%rbp)"), cookie=99)
    cookie, count = SITE_HEAD.unpack_from(raw, 0)
    first = ARG.unpack_from(raw, SITE_HEAD.size)
    second = ARG.unpack_from(raw, SITE_HEAD.size + ARG.size)
    assert (len(raw), cookie, count) == (SITE_SIZE, 99, 2)
    assert first == ((-7) & (2**64 - 1), 0, int(ArgKind.CONST), 4, 1)
    assert second == ((-16) & (2**64 - 1), 32, int(ArgKind.REG_DEREF), 8, 0)
