"""``relocate`` on hand-made BTFs: candidates, ambiguity, poisoning, records and slots."""

from __future__ import annotations

import pytest
from core_testlib import INT, LLONG, UINT, btf_of
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import BTF, BTFError
from pybpf.btf.core import (
    CoreAmbiguity,
    CoreError,
    CoreRelocation,
    compute,
    explain_verifier_log,
    is_poison,
    poisoned_relocation,
    relocate,
)
from pybpf.btf.core.relocate import CandidateCache
from pybpf.btf.encode import encode_types
from pybpf.btf.ext import CoreRelo, CoreReloKind
from pybpf.btf.types import AnyType, Enum, EnumValue, Int, IntEncoding, Member, Struct
from pybpf.isa import Instruction
from pybpf.spec import CORERelocation

K = CoreReloKind
MOV = 0xB7
LDX_W = 0x61
LDX_H = 0x69
LDDW = 0x18
EXIT = Instruction(0x95)

# Local: 5 struct s { int a; int b; short sh; unsigned int u; }, 6 enum e { E1 = 1 }, 7 anonymous struct,
# 8: s with a 40-bit bitfield straddling 64 bits.
SHORT = Int(9, "short", 2, IntEncoding.SIGNED, 0, 16)
LOCAL = btf_of(
    Struct(
        5,
        "s",
        16,
        (Member("a", INT, 0), Member("b", INT, 32), Member("sh", 9, 64), Member("u", UINT, 96)),
    ),
    Enum(6, "e", 4, (EnumValue("E1", 1),)),
    Struct(7, "", 4, (Member("a", INT, 0),)),
    Struct(8, "wide", 16, (Member("bits", LLONG, 40, 40),), True),
    SHORT,
)
# Target: b moved to 8, sh became int, u became unsigned long long; no enum e.
TARGET = btf_of(
    Struct(
        5,
        "s",
        32,
        (Member("a", INT, 0), Member("b", INT, 64), Member("sh", INT, 96), Member("u", 7, 128)),
    ),
    Struct(6, "wide", 16, (Member("bits", LLONG, 40, 40),), True),
    Int(7, "unsigned long long", 8, IntEncoding.NONE, 0, 64),
)


def rec(kind: CoreReloKind, type_id: int, access: str, insn: int = 0) -> CORERelocation:
    return CORERelocation(insn, type_id, 0, kind, access)


def one(
    insn: Instruction, record: CORERelocation, target: BTF | list[BTF] = TARGET
) -> tuple[Instruction, CoreRelocation]:
    insns, results = relocate([insn, EXIT], [record], LOCAL, target)
    return insns[0], results[0]


@pytest.mark.parametrize(
    ("insn", "record", "value"),
    [
        (Instruction(MOV, 1, imm=4), rec(K.FIELD_BYTE_OFFSET, 5, "0:1"), 8),
        (Instruction(MOV, 1, imm=4), rec(K.FIELD_BYTE_SIZE, 5, "0:3"), 8),
        (Instruction(MOV, 1, imm=1), rec(K.FIELD_EXISTS, 5, "0:1"), 1),
        (Instruction(MOV, 1, imm=1), rec(K.FIELD_SIGNED, 5, "0:1"), 1),
        (Instruction(MOV, 1, imm=16), rec(K.TYPE_SIZE, 5, "0"), 32),
        (Instruction(MOV, 1, imm=1), rec(K.TYPE_EXISTS, 5, "0"), 1),
        (Instruction(MOV, 1, imm=1), rec(K.TYPE_EXISTS, 6, "0"), 0),
        (Instruction(MOV, 1, imm=1), rec(K.ENUMVAL_EXISTS, 6, "0"), 0),
        (Instruction(MOV, 1, imm=1), rec(K.FIELD_EXISTS, 6, "0"), 0),
        (Instruction(LDDW, 1, imm=5), rec(K.TYPE_ID_LOCAL, 5, "0"), 5),
        (Instruction(LDDW, 1, imm=0), rec(K.TYPE_ID_TARGET, 8, "0"), 6),
    ],
)
def test_record_value_is_computed_from_the_target(
    insn: Instruction, record: CORERelocation, value: int
) -> None:
    patched, result = one(insn, record)
    assert (patched.imm, result.target_value, result.poisoned) == (value, value, False)


def test_load_of_a_widened_unsigned_field_is_widened() -> None:
    patched, _ = one(Instruction(LDX_W, 2, 1, off=12), rec(K.FIELD_BYTE_OFFSET, 5, "0:3"))
    assert (patched.opcode, patched.off) == (0x79, 16)


def test_load_of_a_resized_signed_field_is_poisoned_with_the_reason() -> None:
    patched, result = one(Instruction(LDX_H, 2, 1, off=8), rec(K.FIELD_BYTE_OFFSET, 5, "0:2"))
    assert is_poison(patched) and result.poisoned
    assert "changed size (2 -> 4 bytes)" in result.reason


def test_offset_of_a_resized_signed_field_in_an_alu_is_still_patched() -> None:
    patched, result = one(Instruction(MOV, 1, imm=8), rec(K.FIELD_BYTE_OFFSET, 5, "0:2"))
    assert (patched.imm, result.poisoned) == (12, False)


@pytest.mark.parametrize(
    "record",
    [rec(K.FIELD_BYTE_OFFSET, 6, "0"), rec(K.ENUMVAL_VALUE, 6, "0")],
    ids=["field-of-missing-type", "missing-enumerator"],
)
def test_value_that_cannot_exist_on_the_target_poisons_the_instruction(record: CORERelocation) -> None:
    if record.kind == K.FIELD_BYTE_OFFSET:
        record = rec(K.FIELD_BYTE_OFFSET, 5, "0:1")
        target = btf_of(Struct(5, "s", 4, (Member("a", INT, 0),)))
    else:
        target = TARGET
    insns, results = relocate([Instruction(LDDW, 1, imm=1), EXIT], [record], LOCAL, target)
    assert results[0].poisoned and results[0].reason
    if record.kind == K.ENUMVAL_VALUE:
        assert [is_poison(i) for i in insns] == [True, True, False]  # both lddw slots
    else:
        assert is_poison(insns[0])


def test_bitfield_that_no_64_bit_load_covers_is_an_error() -> None:
    with pytest.raises(CoreError, match="cannot be read with one 64-bit load"):
        one(Instruction(MOV, 1, imm=0), rec(K.FIELD_BYTE_OFFSET, 8, "0:0"))


def test_anonymous_local_type_is_an_error() -> None:
    with pytest.raises(CoreError, match="anonymous"):
        one(Instruction(MOV, 1, imm=0), rec(K.FIELD_BYTE_OFFSET, 7, "0:0"))


def _two_flavours(second_offset: int) -> BTF:
    return btf_of(
        Struct(5, "s___one", 8, (Member("a", INT, 0), Member("b", INT, 32))),
        Struct(6, "s___two", 8, (Member("b", INT, second_offset), Member("a", INT, 0))),
    )


def test_candidates_that_disagree_make_the_relocation_ambiguous() -> None:
    with pytest.raises(CoreAmbiguity, match="ambiguity"):
        one(Instruction(MOV, 1, imm=4), rec(K.FIELD_BYTE_OFFSET, 5, "0:1"), _two_flavours(0))


def test_candidates_that_agree_are_all_counted() -> None:
    _, result = one(Instruction(MOV, 1, imm=4), rec(K.FIELD_BYTE_OFFSET, 5, "0:1"), _two_flavours(32))
    assert (result.target_value, result.candidates) == (4, 2)


def test_module_btf_is_searched_only_when_the_first_target_lacks_the_type() -> None:
    vmlinux = btf_of(Enum(5, "other", 4, (EnumValue("X", 0),)))
    module = btf_of(Enum(5, "e", 4, (EnumValue("E1", 42),)))
    _, result = one(Instruction(LDDW, 1, imm=1), rec(K.ENUMVAL_VALUE, 6, "0"), [vmlinux, module])
    assert result.target_value == 42


def test_record_from_btf_ext_uses_its_byte_offset_as_slot() -> None:
    record = CoreRelo(insn_off=16, type_id=5, access="0:1", kind=K.FIELD_BYTE_OFFSET)
    insns, _ = relocate(
        [Instruction(LDDW, 1, imm=0), Instruction(MOV, 1, imm=4), EXIT], [record], LOCAL, TARGET
    )
    assert insns[1].imm == 8


def test_record_inside_an_lddw_is_an_error() -> None:
    with pytest.raises(CoreError, match="no instruction starts at slot 1"):
        relocate([Instruction(LDDW, 1, imm=0), EXIT], [rec(K.TYPE_EXISTS, 5, "0", insn=1)], LOCAL, TARGET)


def test_relocate_returns_a_new_list_and_leaves_the_input_alone() -> None:
    insns = [Instruction(MOV, 1, imm=4), EXIT]
    new, _ = relocate(insns, [rec(K.FIELD_BYTE_OFFSET, 5, "0:1")], LOCAL, TARGET)
    assert new is not insns and insns[0].imm == 4


def test_compute_resolves_without_patching() -> None:
    res, result = compute(rec(K.FIELD_BYTE_OFFSET, 5, "0:1"), LOCAL, TARGET)
    assert (res.local_value, res.target_value, result.path) == (4, 8, "b")


LOG = """0: R1=ctx() R10=fp0
0: (b7) r1 = 0
1: (85) call unknown#195896080
invalid func unknown#195896080
processed 2 insns"""


def test_verifier_rejection_of_a_poisoned_insn_names_the_relocation() -> None:
    target = btf_of(Struct(5, "s", 4, (Member("a", INT, 0),)))
    _, results = relocate(
        [Instruction(MOV, 1, imm=0), Instruction(LDX_W, 2, 1, off=4), EXIT],
        [rec(K.FIELD_BYTE_OFFSET, 5, "0:1", insn=1)],
        LOCAL,
        target,
    )
    assert poisoned_relocation(LOG, results) is results[0]
    message = explain_verifier_log(LOG, results)
    assert message is not None and "struct s.b" in message


def test_unrelated_verifier_log_is_not_explained() -> None:
    _, results = relocate(
        [Instruction(MOV, 1, imm=4), EXIT], [rec(K.FIELD_BYTE_OFFSET, 5, "0:1")], LOCAL, TARGET
    )
    assert explain_verifier_log("R0 !read_ok\nprocessed 1 insns", results) is None


def test_candidates_narrowed_by_an_earlier_record_settle_a_later_one() -> None:
    local = btf_of(Struct(5, "s", 8, (Member("x", INT, 0), Member("b", INT, 32))))
    target = btf_of(
        Struct(5, "s___one", 12, (Member("a", INT, 0), Member("b", INT, 32), Member("x", INT, 64))),
        Struct(6, "s___two", 8, (Member("b", INT, 0), Member("a", INT, 32))),
    )
    insns = [Instruction(MOV, 1, imm=0), Instruction(MOV, 2, imm=4), EXIT]
    records = [rec(K.FIELD_BYTE_OFFSET, 5, "0:0", insn=0), rec(K.FIELD_BYTE_OFFSET, 5, "0:1", insn=1)]
    new, _ = relocate(insns, records, local, target)
    assert (new[0].imm, new[1].imm) == (8, 4)


def test_without_the_earlier_record_the_same_candidates_are_ambiguous() -> None:
    local = btf_of(Struct(5, "s", 8, (Member("x", INT, 0), Member("b", INT, 32))))
    target = btf_of(
        Struct(5, "s___one", 12, (Member("a", INT, 0), Member("b", INT, 32), Member("x", INT, 64))),
        Struct(6, "s___two", 8, (Member("b", INT, 0), Member("a", INT, 32))),
    )
    with pytest.raises(CoreAmbiguity):
        relocate([Instruction(MOV, 2, imm=4), EXIT], [rec(K.FIELD_BYTE_OFFSET, 5, "0:1")], local, target)


_SHAPES = [
    Instruction(MOV, 1, imm=0),
    Instruction(LDX_W, 2, 1, off=0),
    Instruction(LDDW, 1, imm=0),
    Instruction(0x0F, 1, 2),
    EXIT,
]


@settings(max_examples=300, deadline=None)
@given(
    type_id=st.integers(0, 12),
    access=st.from_regex(r"[0-9]{1,2}(:[0-9]{1,2}){0,3}", fullmatch=True),
    kind=st.sampled_from(list(CoreReloKind)),
    shape=st.sampled_from(_SHAPES),
    slot=st.integers(0, 3),
)
def test_any_record_relocates_or_raises_a_pybpf_error(
    type_id: int, access: str, kind: CoreReloKind, shape: Instruction, slot: int
) -> None:
    try:
        insns, results = relocate([shape, EXIT], [rec(kind, type_id, access, insn=slot)], LOCAL, TARGET)
    except (CoreError, BTFError):
        return
    assert sum(i.slots for i in insns) == shape.slots + 1
    assert len(results) == 1


def test_a_shared_cache_carries_narrowed_candidates_to_the_next_program() -> None:
    local = btf_of(Struct(5, "s", 8, (Member("x", INT, 0), Member("b", INT, 32))))
    target = btf_of(
        Struct(5, "s___one", 12, (Member("a", INT, 0), Member("b", INT, 32), Member("x", INT, 64))),
        Struct(6, "s___two", 8, (Member("b", INT, 0), Member("a", INT, 32))),
    )
    cache: CandidateCache = {}
    relocate(
        [Instruction(MOV, 1, imm=0), EXIT], [rec(K.FIELD_BYTE_OFFSET, 5, "0:0")], local, target, cache=cache
    )
    new, _ = relocate(
        [Instruction(MOV, 2, imm=4), EXIT], [rec(K.FIELD_BYTE_OFFSET, 5, "0:1")], local, target, cache=cache
    )
    assert new[0].imm == 4


@pytest.mark.parametrize(("order", "lshift"), [("<", 64 - 8), (">", 32 + 5)])
def test_bitfield_left_shift_follows_the_btf_byte_order(order: str, lshift: int) -> None:
    types: list[AnyType] = [
        Int(1, "unsigned int", 4, IntEncoding.NONE, 0, 32),
        Struct(2, "bits", 4, (Member("x", 1, 5, 3),), True),
    ]
    btf = BTF.from_bytes(encode_types(types, order=order))
    insns, _ = relocate([Instruction(MOV, 1, imm=0), EXIT], [rec(K.FIELD_LSHIFT_U64, 2, "0:0")], btf, btf)
    assert insns[0].imm == lshift
