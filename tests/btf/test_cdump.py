"""The C header dump on small objects: every C construct in tests/btf/cdump_data/*.c.

Each program is compiled with the clang of the ``ziglang`` wheel, its ``.BTF`` dumped as C, and the
header compiled again with a global of every named struct/union: the second object's BTF must have
the same sizes and member bit offsets as the first, which checks padding, packing, alignment and
bitfields at once.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.btf import BTF, BTFError, Kind
from pybpf.btf.cdump import dump_c

DATA = Path(__file__).resolve().parent / "cdump_data"
PROGRAMS = sorted(p.stem for p in DATA.glob("*.c"))


def zig_cc(source: Path, output: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip("the ziglang wheel (clang for BPF) is not installed")
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding", *flags]
    cmd += ["-c", "-x", "c", str(source), "-o", str(output)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def btf_section(path: Path) -> bytes:
    with path.open("rb") as f:
        section = ELFFile(f).get_section_by_name(".BTF")
        assert section is not None, f"{path} has no .BTF section"
        data: bytes = section.data()
        return data


@pytest.fixture(scope="session")
def program_btf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BTF]:
    out = tmp_path_factory.mktemp("cdump-objects")
    result = {}
    for name in PROGRAMS:
        obj = out / f"{name}.o"
        done = zig_cc(DATA / f"{name}.c", obj, "-g", "-O2")
        assert done.returncode == 0, done.stderr
        result[name] = BTF.from_bytes(btf_section(obj))
    return result


def unique_records(btf: BTF) -> list[tuple[str, str]]:
    """(keyword, name) of the named structs/unions whose tag no other record shares."""
    seen: dict[str, list[str]] = {}
    for t in btf:
        if t.kind in (Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64) and t.name:
            seen.setdefault(t.name, []).append(t.kind.name.lower())
    return [(kws[0], name) for name, kws in seen.items() if kws in (["struct"], ["union"])]


def layout_of(btf: BTF, keyword: str, name: str) -> tuple[int, list[tuple[str, int, int]]]:
    t = btf.find(name, Kind.STRUCT if keyword == "struct" else Kind.UNION)
    assert t.kind in (Kind.STRUCT, Kind.UNION)
    return t.size, [(m.name, m.bit_offset, m.bitfield_size) for m in t.members]  # type: ignore[union-attr]


def recompiled(btf: BTF, tmp_path: Path, records: list[tuple[str, str]]) -> BTF:
    """BTF of our header compiled with one global of each record."""
    (tmp_path / "dumped.h").write_text(dump_c(btf))
    lines = ['#include "dumped.h"']
    lines += [f"{kw} {name} check_{i};" for i, (kw, name) in enumerate(records)]
    source = tmp_path / "check.c"
    source.write_text("\n".join(lines) + "\n")
    done = zig_cc(source, tmp_path / "check.o", "-g", "-O0", "-Werror")
    assert done.returncode == 0, done.stderr
    return BTF.from_bytes(btf_section(tmp_path / "check.o"))


@pytest.mark.tool
@pytest.mark.parametrize("program", PROGRAMS)
def test_dump_of_program_btf_compiles_without_warnings(
    program: str, program_btf: dict[str, BTF], tmp_path: Path
) -> None:
    header = tmp_path / "dumped.h"
    header.write_text(dump_c(program_btf[program]))
    source = tmp_path / "use.c"
    source.write_text('#include "dumped.h"\n#include "dumped.h"\n')
    done = zig_cc(source, tmp_path / "use.o", "-Wall", "-Werror")
    assert done.returncode == 0, done.stderr


@pytest.mark.tool
@pytest.mark.parametrize("program", PROGRAMS)
def test_dump_reproduces_every_record_layout_of_the_program(
    program: str, program_btf: dict[str, BTF], tmp_path: Path
) -> None:
    btf = program_btf[program]
    records = unique_records(btf)
    assert records
    again = recompiled(btf, tmp_path, records)
    mismatched = [r for r in records if layout_of(btf, *r) != layout_of(again, *r)]
    assert mismatched == []


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("bitfields", "\tu32 b: 3;"),
        ("bitfields", "\tu64 g: 40;"),
        ("bitfields", "\tenum colour f: 2;"),
        ("packed", "} __attribute__((packed));"),
        ("packed", "union wide_union {\n\tint i;\n\tchar c[5];\n} __attribute__((aligned(16)));"),
        ("packed", "struct empty {};"),
        ("packed", "\tchar flex[0];"),
        ("anon", "\tunion {\n\t\tstruct {\n\t\t\tint pid;\n\t\t\tint tid;\n\t\t} task;"),
        ("anon", "\t\tenum {\n\t\t\tMODE_OFF = 0,\n\t\t\tMODE_ON = 5,\n\t\t\tMODE_AUTO = 6,\n\t\t} mode;"),
        ("anon", "\tstruct {\n\t\tint only_ptr;\n\t} *ptr_to_anon;"),
        ("anon", "struct a_first;\n\nstruct b_second {"),
        ("funcs", "typedef void (*handler_t)(int, void *);"),
        ("funcs", "typedef handler_t handlers_t[4];"),
        ("funcs", "\tlong (*vararg)(const char *, ...);"),
        ("funcs", "\tvoid (*close)(void);"),
        ("funcs", "\tint (* (*getter)(int))(long);"),
        ("funcs", "\tvoid (**matrix[2][3])(int);"),
        ("funcs", "\tint (*ptr_to_array)[8];"),
        ("funcs", "\tchar grid[3][4][5];"),
        ("funcs", "\tconst char * const names[2];"),
        ("funcs", "\tvolatile unsigned long * volatile reg;"),
        ("funcs", "\tchar * restrict buf;"),
        ("funcs", "typedef volatile cint_t *vcint_ptr_t;"),
        ("funcs", "struct opaque;\n\ntypedef struct opaque opaque_t;"),
        ("funcs", "typedef struct {\n\tint anon_typedef_field;\n} anon_t;"),
        ("funcs", "\tstruct ops * (*self)(struct ops *);"),
        ("enums", "\tNEG_MIN = -2147483648,"),
        ("enums", "\tUB_MAX = 4294967295,"),
        ("enums", "\tW_TOP = 18446744073709551615ULL,"),
        ("enums", "\tSW_NEG = -5000000000LL,"),
        ("enums", "} __attribute__((mode(byte)));"),
        ("enums", "} __attribute__((mode(HI)));"),
        ("enums", "struct dup {\n\tint a;\n};"),
        ("enums", "struct dup___2 {\n\tlong b;\n\tchar c;\n};"),
        ("enums", "typedef int dup_t___2;"),
    ],
)
def test_dump_spells_construct_as_bpftool_does(
    program: str, expected: str, program_btf: dict[str, BTF]
) -> None:
    assert expected in dump_c(program_btf[program])


def test_dump_is_wrapped_in_guard_and_preserve_access_index(program_btf: dict[str, BTF]) -> None:
    text = dump_c(program_btf["funcs"])
    assert text.startswith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n")
    assert (
        "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
        "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
        "#endif\n"
    ) in text
    assert text.endswith("#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n")


def test_definitions_come_before_by_value_use(program_btf: dict[str, BTF]) -> None:
    text = dump_c(program_btf["anon"])
    assert text.index("struct b_second {") < text.index("struct a_first {")


def test_dump_of_chosen_type_ids_holds_only_them_and_their_dependencies(program_btf: dict[str, BTF]) -> None:
    btf = program_btf["packed"]
    text = dump_c(btf, type_ids=[btf.find_id("holder", Kind.STRUCT)])
    assert "struct packed_aligned {" in text
    assert "struct holder {" in text
    assert "struct cacheline" not in text


def test_dump_of_unknown_type_id_raises_btf_error(program_btf: dict[str, BTF]) -> None:
    btf = program_btf["packed"]
    with pytest.raises(BTFError, match="no type id"):
        dump_c(btf, type_ids=[len(btf) + 5])


# ---------------------------------------------------------------------- hand-built BTF


def build_btf(types: list[bytes], strings: bytes) -> BTF:
    body = b"".join(types)
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(body), len(body), len(strings))
    return BTF.from_bytes(header + body + strings)


def rec(name_off: int, kind: int, vlen: int, size_or_type: int, *extra: int, kflag: int = 0) -> bytes:
    info = (kflag << 31) | (kind << 24) | vlen
    return struct.pack(f"<III{len(extra)}I", name_off, info, size_or_type, *extra)


STRINGS = b"\0int\0a\0s\0t\0rcu\0"  # offsets: int=1 a=5 s=7 t=9 rcu=11
INT = rec(1, 1, 0, 4, (1 << 24) | 32)


def test_struct_embedding_itself_by_value_raises_btf_error() -> None:
    btf = build_btf([INT, rec(7, 4, 1, 4, 5, 2, 0)], STRINGS)
    with pytest.raises(BTFError, match="cycle"):
        dump_c(btf)


def test_member_referring_to_missing_type_raises_btf_error() -> None:
    btf = build_btf([INT, rec(7, 4, 1, 4, 5, 99, 0)], STRINGS)
    with pytest.raises(BTFError, match="missing type id 99"):
        dump_c(btf)


def test_pointer_cycle_through_named_struct_is_a_forward_declaration() -> None:
    # struct s { struct s *a; }
    btf = build_btf([INT, rec(7, 4, 1, 8, 5, 3, 0), rec(0, 2, 0, 2)], STRINGS)
    assert "struct s {\n\tstruct s *a;\n};" in dump_c(btf)


def test_plain_type_tag_is_spelled_through_the_guarded_macro() -> None:
    # struct s { int __tag("rcu") *a; }
    btf = build_btf([INT, rec(11, 18, 0, 1), rec(0, 2, 0, 2), rec(7, 4, 1, 8, 5, 3, 0)], STRINGS)
    text = dump_c(btf)
    assert '\tint __btf_type_tag("rcu") *a;' in text
    assert "#define __btf_type_tag(x) __attribute__((btf_type_tag(x)))" in text


def test_kfunc_tagged_function_gets_an_extern_prototype() -> None:
    strings = STRINGS + b"bpf_kfunc\0my_kfunc\0"  # bpf_kfunc=15 my_kfunc=25
    proto = rec(0, 13, 1, 1, 5, 1)
    func = rec(25, 12, 1, 2)
    tag = rec(15, 17, 0, 3, 0xFFFFFFFF)
    text = dump_c(build_btf([INT, proto, func, tag], strings))
    assert "#ifndef BPF_NO_KFUNC_PROTOTYPES\nextern int my_kfunc(int a) __weak __ksym;\n#endif\n" in text


MUTATION_SEED = build_btf(
    [
        INT,
        rec(7, 4, 2, 16, 5, 1, 0, 9, 3, 64),
        rec(0, 2, 0, 2),
        rec(9, 8, 0, 2),
        rec(0, 3, 0, 0, 1, 1, 4),
        rec(0, 13, 1, 1, 5, 5),
    ],
    STRINGS,
).data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(24, len(MUTATION_SEED) - 1), st.integers(0, 255)), min_size=1, max_size=6)
)
def test_dump_of_corrupted_btf_raises_only_btf_error(edits: list[tuple[int, int]]) -> None:
    data = bytearray(MUTATION_SEED)
    for pos, value in edits:
        data[pos] = value
    try:
        btf = BTF.from_bytes(bytes(data))
    except BTFError:
        return
    try:
        assert isinstance(dump_c(btf), str)
    except BTFError:
        pass


def test_struct_with_absurd_size_raises_btf_error_instead_of_padding_forever() -> None:
    btf = build_btf([INT, rec(7, 4, 1, 0x10000000, 5, 1, 0)], STRINGS)
    with pytest.raises(BTFError, match="implausible gap"):
        dump_c(btf)


VA_STRINGS = b"\0int\0va_list\0__builtin_va_list\0__va_list_tag\0gp\0"  # 1 5 13 31 45


def test_kernel_va_list_is_spelled_out_instead_of_the_compiler_builtin() -> None:
    # The x86-64 kernel's va_list is 24 bytes; BPF clang's __builtin_va_list is 8.
    types = [
        INT,
        rec(31, 4, 1, 24, 45, 1, 0),  # 2: struct __va_list_tag { int gp; } (size 24)
        rec(0, 3, 0, 0, 2, 1, 1),  # 3: [1] of 2
        rec(13, 8, 0, 3),  # 4: typedef __builtin_va_list
        rec(5, 8, 0, 4),  # 5: typedef va_list
    ]
    text = dump_c(build_btf(types, VA_STRINGS))
    assert "typedef struct __va_list_tag va_list[1];" in text
    assert "__builtin_va_list" not in text


ENUM_STRINGS = b"\0int\0A\0B\0s\0e\0"  # int=1 A=5 B=7 s=9 e=11


@pytest.mark.parametrize(
    ("types", "expected", "unexpected"),
    [
        # enum { A = 1 } alone: a top-level definition.
        ([INT, rec(0, 6, 1, 4, 5, 1)], "enum {\n\tA = 1,\n};\n", None),
        # struct s { enum { A = 1 } e; }: only written inline.
        (
            [INT, rec(0, 6, 1, 4, 5, 1), rec(9, 4, 1, 4, 11, 2, 0)],
            "struct s {\n\tenum {\n\t\tA = 1,\n\t} e;\n};",
            "\nenum {",
        ),
    ],
)
def test_anonymous_enum_is_top_level_only_when_nothing_refers_to_it(
    types: list[bytes], expected: str, unexpected: str | None
) -> None:
    text = dump_c(build_btf(types, ENUM_STRINGS))
    assert expected in text
    if unexpected is not None:
        assert unexpected not in text


def test_repeated_enumerator_names_get_numbered_suffixes() -> None:
    text = dump_c(build_btf([INT, rec(0, 6, 1, 4, 5, 1), rec(0, 6, 1, 4, 5, 2)], ENUM_STRINGS))
    assert "\tA = 1,\n" in text
    assert "\tA___2 = 2,\n" in text


def test_big_endian_btf_dumps_like_little_endian() -> None:
    types = [INT, rec(7, 4, 2, 8, 5, 1, 0, 9, 1, 32)]
    little = build_btf(types, STRINGS)
    body = b"".join(types)
    words = struct.unpack(f"<{len(body) // 4}I", body)
    big_body = struct.pack(f">{len(words)}I", *words)
    header = struct.pack(">HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(big_body), len(big_body), len(STRINGS))
    big = BTF.from_bytes(header + big_body + STRINGS)
    assert dump_c(big) == dump_c(little)


def test_split_btf_refers_to_types_and_strings_of_its_base() -> None:
    base = build_btf([INT], STRINGS)
    split_strings = b"split_s\0m\0"  # offsets continue after the base's 15 bytes: split_s=15 m=23
    member = rec(15, 4, 1, 4, 23, 1, 0)  # struct split_s { int m; }, id 2
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(member), len(member), len(split_strings))
    split = BTF.from_bytes(header + member + split_strings, base=base)
    assert "struct split_s {\n\tint m;\n};" in dump_c(split)


class RawOnly:
    """A BTF seen only through its bytes and header: the dumper must find the records itself."""

    def __init__(self, btf: BTF) -> None:
        self.data = btf.data
        self.header = btf.header
        self.base = None


@pytest.mark.parametrize("program", ["anon", "funcs"])
def test_dump_without_the_btf_record_index_scans_the_records_itself(
    program: str, program_btf: dict[str, BTF]
) -> None:
    btf = program_btf[program]
    assert dump_c(RawOnly(btf)) == dump_c(btf)
