"""Malformed objects: only pybpf errors, naming where the input is bad; never another exception.

The fuzz tests mutate real compiled objects (byte flips, truncation, section-table corruption,
word overwrites with boundary values): about 10k cases in all.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.elf import parse_object
from pybpf.errors import ELFError, Error
from pybpf.spec import RelocationKind


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
        database=None,
    )


NAMES = st.sampled_from(["maps", "globals", "externs", "calls", "sections", "core", "struct_ops"])


def parse_or_pybpf_error(data: bytes) -> None:
    """Parse; a pybpf error is fine, and a spec that does come out must be self-consistent."""
    try:
        spec = parse_object(data)
    except Error:
        return
    for prog in spec.programs.values():
        slots = set(prog.slots())
        assert set(prog.relocations) <= slots
        assert set(prog.subprograms.values()) <= slots
        assert all(f.insn in slots for f in prog.func_info)
        for reloc in prog.relocations.values():
            if reloc.kind in (RelocationKind.MAP, RelocationKind.MAP_VALUE):
                assert reloc.target in spec.maps


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "bad magic"),
        (b"MZ\x90\x00" + bytes(60), "bad magic"),
        (b"\x7fELF", "truncated"),
        (b"\x7fELF\x01\x01" + bytes(58), "64-bit"),
        (b"\x7fELF\x02\x02" + bytes(58), "big-endian"),
    ],
)
def test_non_objects_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ELFError, match=reason):
        parse_object(data)


def test_other_architectures_are_rejected(object_bytes: dict[str, bytes]) -> None:
    data = bytearray(object_bytes["calls"])
    struct.pack_into("<H", data, 0x12, 62)  # EM_X86_64
    with pytest.raises(ELFError, match="not a BPF object"):
        parse_object(bytes(data))


def test_section_contents_past_the_end_name_the_section(object_bytes: dict[str, bytes]) -> None:
    data = bytearray(object_bytes["calls"])
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shnum = struct.unpack_from("<H", data, 0x3C)[0]
    for index in range(shnum):
        header = shoff + 64 * index
        if struct.unpack_from("<I", data, header + 4)[0] == 1:  # first PROGBITS section
            struct.pack_into("<Q", data, header + 32, 1 << 40)  # sh_size
            break
    with pytest.raises(ELFError, match="run past the end"):
        parse_object(bytes(data))


def test_truncated_object_raises_elf_error(object_bytes: dict[str, bytes]) -> None:
    with pytest.raises(ELFError):
        parse_object(object_bytes["maps"][: len(object_bytes["maps"]) // 2])


def test_instruction_errors_name_the_section(object_bytes: dict[str, bytes]) -> None:
    data = bytearray(object_bytes["calls"])
    offset = data.find(bytes.fromhex("b400000000000000950000000000000000"))  # plain: w0 = 0; exit
    assert offset > 0
    data[offset] = 0xFF  # no such opcode
    with pytest.raises(Error, match="raw_tp/sys_enter"):
        parse_object(bytes(data))


@fuzz(2500)
@given(
    NAMES, st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_byte_flips_raise_only_pybpf_errors(
    object_bytes: dict[str, bytes], name: str, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(object_bytes[name])
    for where, value in flips:
        data[int(where * len(data))] = value
    parse_or_pybpf_error(bytes(data))


@fuzz(1500)
@given(NAMES, st.floats(0, 1, exclude_max=True))
def test_truncations_raise_only_pybpf_errors(object_bytes: dict[str, bytes], name: str, keep: float) -> None:
    data = object_bytes[name]
    parse_or_pybpf_error(data[: int(keep * len(data))])


BOUNDARY = st.sampled_from([0, 1, 7, 8, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]) | st.integers(
    0, 0xFFFFFFFF
)


@fuzz(2500)
@given(NAMES, st.integers(0, 200), st.integers(0, 15), BOUNDARY)
def test_section_header_corruption_raises_only_pybpf_errors(
    object_bytes: dict[str, bytes], name: str, index: int, field: int, value: int
) -> None:
    data = bytearray(object_bytes[name])
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shnum = struct.unpack_from("<H", data, 0x3C)[0]
    at = shoff + 64 * (index % shnum) + 4 * field
    struct.pack_into("<I", data, at, value)
    parse_or_pybpf_error(bytes(data))


@fuzz(1500)
@given(NAMES, st.floats(0, 1, exclude_max=True), BOUNDARY)
def test_word_overwrites_raise_only_pybpf_errors(
    object_bytes: dict[str, bytes], name: str, where: float, value: int
) -> None:
    data = bytearray(object_bytes[name])
    at = min(int(where * len(data)), len(data) - 4) & ~3
    struct.pack_into("<I", data, at, value)
    parse_or_pybpf_error(bytes(data))


@pytest.fixture(scope="module")
def parsed_sections(object_bytes: dict[str, bytes]) -> dict[str, list[tuple[int, int]]]:
    """(offset, size) in the file of each section the parser reads (not debug info)."""
    from pybpf.elf.reader import SectionType, read_elf

    skip = (".debug", ".rel.debug", ".eh_frame", ".rel.eh_frame", ".llvm")
    return {
        name: [
            (s.offset, s.size)
            for s in read_elf(data).sections
            if s.size and s.type != SectionType.NOBITS and not s.name.startswith(skip)
        ]
        for name, data in object_bytes.items()
    }


@fuzz(2500)
@given(
    NAMES,
    st.integers(0, 1000),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), BOUNDARY), min_size=1, max_size=4),
)
def test_corrupting_sections_the_parser_reads_raises_only_pybpf_errors(
    object_bytes: dict[str, bytes],
    parsed_sections: dict[str, list[tuple[int, int]]],
    name: str,
    pick: int,
    writes: list[tuple[float, int]],
) -> None:
    data = bytearray(object_bytes[name])
    offset, size = parsed_sections[name][pick % len(parsed_sections[name])]
    for where, value in writes:
        at = offset + int(where * size)
        if at + 4 <= offset + size:
            struct.pack_into("<I", data, at, value)
        else:
            data[at] = value & 0xFF
    parse_or_pybpf_error(bytes(data))



def _func_info_records(data: bytes) -> dict[str, list[int]]:
    """File offsets of the ``insn_off`` fields of the func_info records in ``.BTF.ext``, by section."""
    from pybpf.elf.reader import read_elf

    elf = read_elf(data)
    ext, btf = elf.section(".BTF.ext"), elf.section(".BTF")
    assert ext is not None and btf is not None
    hdr_len, func_off, func_len = struct.unpack_from("<III", ext.data, 4)
    btf_hdr_len, _, _, str_off = struct.unpack_from("<IIII", btf.data, 4)
    strings = btf.data[btf_hdr_len + str_off :]
    at = hdr_len + func_off
    end = at + func_len
    (rec_size,) = struct.unpack_from("<I", ext.data, at)
    at += 4
    found: dict[str, list[int]] = {}
    while at < end:
        name_off, count = struct.unpack_from("<II", ext.data, at)
        name = strings[name_off : strings.index(b"\0", name_off)].decode()
        found[name] = [ext.offset + at + 8 + i * rec_size for i in range(count)]
        at += 8 + count * rec_size
    return found


def test_an_ext_record_inside_an_instruction_is_refused(object_bytes: dict[str, bytes]) -> None:
    data = bytearray(object_bytes["globals"])
    first = next(iter(_func_info_records(bytes(data)).values()))[0]
    struct.pack_into("<I", data, first, 4)  # half way into the first instruction
    with pytest.raises(ELFError, match="does not start an instruction"):
        parse_object(bytes(data))


def test_a_func_info_record_on_the_second_slot_of_lddw_is_refused(object_bytes: dict[str, bytes]) -> None:
    # Found by the word-overwrite fuzzer: func_info pointed into the middle of a 16-byte lddw.
    data = bytearray(object_bytes["globals"])
    spec = parse_object(bytes(data))
    prog = next(p for p in spec.programs.values() if p.instructions[0].opcode == 0x18)  # lddw first
    struct.pack_into("<I", data, _func_info_records(bytes(data))[prog.section][0], 8)
    with pytest.raises(ELFError, match="does not start an instruction"):
        parse_object(bytes(data))
