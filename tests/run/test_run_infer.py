"""Event type inference on compiled objects and on hand-written instruction sequences."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pybpf.enums import ProgramType
from pybpf.isa import Instruction, call_helper, exit, ld_imm64, mov64_imm, mov64_reg
from pybpf.run.eventtypes import RawEventType
from pybpf.run.infer import EventTypeError, find_event_sites, infer_event_types
from pybpf.run.typecache import cached_event_types
from pybpf.spec import ObjectSpec, ProgramSpec
from pybpf.spec.relocation import Relocation, RelocationKind


@pytest.mark.parametrize(
    ("map_name", "expected"),
    [
        ("named", "struct named_event"),
        ("stacked", "struct stack_event"),
        ("perf", "struct big_event"),
    ],
)
def test_inference_picks_the_struct_each_producer_writes(
    infer_spec: ObjectSpec, map_name: str, expected: str
) -> None:
    assert infer_event_types(infer_spec)[map_name].type.name == expected


def test_a_struct_named_on_the_call_line_comes_from_btf(infer_spec: ObjectSpec) -> None:
    assert "BTF, named on the line" in infer_event_types(infer_spec)["named"].reason


def test_a_local_variable_type_wins_over_another_btf_struct_of_the_same_size(infer_spec: ObjectSpec) -> None:
    # named_event (in BTF) and stack_event (only in DWARF) are both 16 bytes.
    assert infer_event_types(infer_spec)["stacked"].type.name == "struct stack_event"


@pytest.mark.parametrize("map_name", ["sized", "unused_rb"])
def test_a_buffer_without_a_constant_size_is_shown_raw(infer_spec: ObjectSpec, map_name: str) -> None:
    assert isinstance(infer_event_types(infer_spec)[map_name].type, RawEventType)


def test_decoded_dwarf_events_have_member_names_and_text_char_arrays(
    run_object: Callable[[str], Path],
) -> None:
    spec = ObjectSpec.from_file(run_object("execsnoop"))
    decoded = infer_event_types(spec)["events"].type.decode(
        (7).to_bytes(4, "little")
        + (1).to_bytes(4, "little")
        + bytes(4)
        + b"true\0".ljust(16, b"\0")
        + b"/bin/true\0"
    )
    assert decoded == {"pid": 7, "ppid": 1, "uid": 0, "comm": "true", "filename": "/bin/true"}


def test_decoded_btf_events_have_member_names_and_text_char_arrays(infer_spec: ObjectSpec) -> None:
    decoded = infer_event_types(infer_spec)["named"].type.decode(
        (5).to_bytes(4, "little") + (9).to_bytes(4, "little") + b"sh\0\0\0\0\0\0"
    )
    assert decoded == {"pid": 5, "value": 9, "comm": "sh"}


def test_bootstrap_events_are_struct_event(run_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(run_object("bootstrap"))
    assert infer_event_types(spec)["rb"].type.name == "struct event"


@pytest.mark.parametrize(
    ("given", "expected"), [("struct big_event", "struct big_event"), ("named_event", "struct named_event")]
)
def test_event_type_override_replaces_the_inference(
    infer_spec: ObjectSpec, given: str, expected: str
) -> None:
    assert infer_event_types(infer_spec, {"stacked": given})["stacked"].type.name == expected


@pytest.mark.parametrize("overrides", [{"nosuchmap": "struct big_event"}, {"stacked": "struct nosuchtype"}])
def test_event_type_override_naming_nothing_is_an_error(
    infer_spec: ObjectSpec, overrides: dict[str, str]
) -> None:
    with pytest.raises(EventTypeError):
        infer_event_types(infer_spec, overrides)


def _prog(insns: list[Instruction], map_slot: int = 0) -> ProgramSpec:
    return ProgramSpec(
        name="p",
        section="tp/x/y",
        type=ProgramType.TRACEPOINT,
        instructions=insns,
        relocations={map_slot: Relocation(RelocationKind.MAP, "rb")},
    )


RESERVE_24 = [ld_imm64(1, 0), mov64_imm(2, 24), mov64_imm(3, 0), call_helper(131), exit()]
OUTPUT_VIA_COPY = [ld_imm64(1, 0), mov64_imm(4, 40), mov64_reg(3, 4), call_helper(130), exit()]
# The map is loaded at slot 2 in these two, after whatever must make the walk forget r2.
SIZE_CLOBBERED_BY_CALL = [mov64_imm(2, 24), call_helper(5), ld_imm64(1, 0), call_helper(131), exit()]
SIZE_BEFORE_A_JUMP_TARGET = [
    mov64_imm(2, 24),
    Instruction(0x05, off=0),  # ja +0: the next slot is a jump target, a new block
    ld_imm64(1, 0),
    call_helper(131),
    exit(),
]


@pytest.mark.parametrize(
    ("insns", "map_slot", "expected_size"),
    [
        (RESERVE_24, 0, 24),
        (OUTPUT_VIA_COPY, 0, 40),
        (SIZE_CLOBBERED_BY_CALL, 2, None),
        (SIZE_BEFORE_A_JUMP_TARGET, 2, None),
    ],
)
def test_event_sites_track_constant_sizes_within_a_block(
    insns: list[Instruction], map_slot: int, expected_size: int | None
) -> None:
    (site,) = find_event_sites(_prog(insns, map_slot))
    assert (site.map, site.size) == ("rb", expected_size)


def test_a_producer_call_without_a_map_in_its_register_is_no_site() -> None:
    insns = [mov64_imm(1, 0), mov64_imm(2, 24), call_helper(131), exit()]
    assert find_event_sites(_prog(insns, map_slot=99)) == []


def test_cached_event_types_decode_like_fresh_ones(run_object: Callable[[str], Path], tmp_path: Path) -> None:
    path = run_object("execsnoop")
    data = path.read_bytes()
    record = (7).to_bytes(4, "little") + bytes(8) + b"true\0".ljust(16, b"\0") + b"/bin/true\0"
    fresh = cached_event_types(ObjectSpec.from_bytes(data, path=str(path)), data, tmp_path)
    cached = cached_event_types(ObjectSpec.from_bytes(data, path=str(path)), data, tmp_path)
    assert "(cached)" in cached["events"].reason
    assert cached["events"].type.decode(record) == fresh["events"].type.decode(record)


def test_a_corrupt_type_cache_entry_is_inferred_again(
    run_object: Callable[[str], Path], tmp_path: Path
) -> None:
    path = run_object("infer")
    data = path.read_bytes()
    cached_event_types(ObjectSpec.from_bytes(data), data, tmp_path)
    for entry in tmp_path.iterdir():
        entry.write_text("{not json")
    again = cached_event_types(ObjectSpec.from_bytes(data), data, tmp_path)
    assert again["named"].type.name == "struct named_event" and "(cached)" not in again["named"].reason
