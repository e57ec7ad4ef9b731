"""Whole-object behaviour: objects without BTF, linking errors, copies, entry points."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.elf import match_section, parse_object
from pybpf.elf.parser import MAP_THRESHOLD
from pybpf.errors import ELFError
from pybpf.spec import ObjectSpec, RelocationKind

LEGACY_ONLY = """
#include "common.h"
struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
struct bpf_map_def SEC("maps") counts = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 16 };
SEC("socket") int count(void *ctx) { __u32 k = 0; bpf_map_lookup_elem(&counts, &k); return 0; }
char LICENSE[] SEC("license") = "GPL";
"""

BTF_MAP = """
#include "common.h"
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } m SEC(".maps");
SEC("socket") int use(void *ctx) { __u32 k = 0; bpf_map_lookup_elem(&m, &k); return 0; }
"""


def test_object_without_btf_still_gives_programs_and_legacy_maps(compile_c: Callable[..., bytes]) -> None:
    spec = parse_object(compile_c("legacy_nobtf", LEGACY_ONLY, "-g0"))
    assert spec.btf is None and spec.btf_ext is None
    assert spec.maps["counts"].max_entries == 16
    assert [
        r.target for r in spec.programs["count"].relocations.values() if r.kind is RelocationKind.MAP
    ] == ["counts"]


def test_btf_defined_maps_without_btf_raise_a_clear_error(compile_c: Callable[..., bytes]) -> None:
    with pytest.raises(ELFError, match=r"need the \.BTF section"):
        parse_object(compile_c("btfmap_nobtf", BTF_MAP, "-g0"))


def test_call_into_the_middle_of_a_function_is_rejected(object_bytes: dict[str, bytes]) -> None:
    data = object_bytes["calls"]
    call_leaf = bytes.fromhex("8510000010000000")  # middle: call 16 (to leaf, no relocation)
    assert data.count(call_leaf) == 1
    broken = data.replace(call_leaf, bytes.fromhex("851000000f000000"))
    with pytest.raises(ELFError, match="not the start of a function"):
        parse_object(broken)


def test_from_bytes_and_from_file_agree(objects: dict[str, Path], object_bytes: dict[str, bytes]) -> None:
    a = ObjectSpec.from_file(objects["maps"])
    b = ObjectSpec.from_bytes(object_bytes["maps"])
    assert a.programs == b.programs and a.maps == b.maps


def test_copy_is_equal_but_independent(objects: dict[str, Path]) -> None:
    spec = ObjectSpec.from_file(objects["calls"])
    copy = spec.copy()
    assert copy.programs == spec.programs and copy.maps == spec.maps
    copy.programs["plain"].instructions.pop()
    copy.maps["values"].max_entries = 99
    assert spec.programs["plain"].slot_count == 2 and spec.maps["values"].max_entries == 4


def test_copy_shares_the_immutable_btf(objects: dict[str, Path]) -> None:
    spec = ObjectSpec.from_file(objects["calls"])
    assert spec.copy().btf is spec.btf


def test_missing_file_raises_elf_error(tmp_path: Path) -> None:
    with pytest.raises(ELFError, match="cannot read"):
        ObjectSpec.from_file(tmp_path / "absent.o")


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_big_objects_are_mapped_for_the_parse_and_read_the_same(objects: dict[str, Path], tmp_path: Path) -> None:
    # Padding past the last section makes a small object big enough to be mapped.
    source = objects["calls"].read_bytes()
    big = tmp_path / "big.o"
    big.write_bytes(source + bytes(MAP_THRESHOLD))
    start = _fds()
    mapped = ObjectSpec.from_file(big)
    assert _fds() == start  # the mapping and its descriptor are gone once parsed
    read = ObjectSpec.from_bytes(big.read_bytes())
    assert list(mapped.programs) == list(read.programs)
    for name, prog in read.programs.items():
        assert mapped.programs[name].instructions == prog.instructions
    assert {n: (m.type, m.max_entries) for n, m in mapped.maps.items()} == {
        n: (m.type, m.max_entries) for n, m in read.maps.items()
    }


def test_a_big_file_that_is_not_an_object_fails_cleanly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"\x7fELF" + bytes(2 * MAP_THRESHOLD))
    start = _fds()
    with pytest.raises(ELFError):
        ObjectSpec.from_file(junk)
    assert _fds() == start


def test_pybpf_exports_the_spec_classes() -> None:
    import pybpf

    assert pybpf.ObjectSpec is ObjectSpec


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), min_size=1))
def test_prefix_sections_keep_any_target_text(target: str) -> None:
    match = match_section("kprobe/" + target)
    assert match is not None and match.target == target


LEGACY_WIDE = """
#include "common.h"
struct bpf_elf_map { __u32 type, size_key, size_value, max_elem, flags, id, pinning; };
struct bpf_elf_map SEC("maps") wide = { .type = BPF_MAP_TYPE_HASH, .size_key = 8, .size_value = 16, .max_elem = 32, .pinning = 2 };
SEC("tc") int use_wide(void *ctx) { __u64 k = 0; bpf_map_lookup_elem(&wide, &k); return 0; }
"""


def test_legacy_definitions_longer_than_bpf_map_def_read_the_first_five_fields(
    compile_c: Callable[..., bytes],
) -> None:
    m = parse_object(compile_c("legacy_wide", LEGACY_WIDE)).maps["wide"]
    assert (m.type.name, m.key_size, m.value_size, m.max_entries) == ("HASH", 8, 16, 32)
