"""Memory regions: every access is checked, and a refused one names what it hit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vm_builders import returning

from pybpf.errors import Error
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import AtomicOp, Size
from pybpf.vm import AddressSpace, RegionKind, VMFault, run

M64 = (1 << 64) - 1


def fault_of(program: list, **kwargs: object) -> VMFault:
    with pytest.raises(VMFault) as info:
        run(program, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_vm_fault_is_a_pybpf_error() -> None:
    assert issubclass(VMFault, Error)


def test_load_past_the_end_of_memory_names_instruction_address_size_and_region() -> None:
    fault = fault_of(returning(c.mov64_imm(0, 0), c.ldx_mem(Size.W, 0, 1, 6)), memory=b"\0" * 8)
    assert (fault.index, fault.size, fault.region) == (1, 4, "memory")
    assert "2 bytes past the end" in str(fault)


def test_fault_address_is_the_accessed_address() -> None:
    mem = AddressSpace()
    region = mem.add("memory", RegionKind.MEMORY, 8)
    with pytest.raises(VMFault) as info:
        mem.load(region.base + 8, 1)
    assert info.value.address == region.base + 8


def test_null_pointer_load_is_outside_any_region() -> None:
    fault = fault_of(returning(c.mov64_imm(2, 0), c.ldx_mem(Size.B, 0, 2, 0)))
    assert "outside any region" in str(fault)
    assert fault.index == 1


def test_store_to_read_only_region_faults() -> None:
    mem = AddressSpace()
    region = mem.add("rodata", RegionKind.GLOBAL, b"abcd", writable=False)
    with pytest.raises(VMFault, match="read-only"):
        mem.storer(1)(region.base, 0)


def test_read_only_region_can_still_be_read() -> None:
    mem = AddressSpace()
    region = mem.add("rodata", RegionKind.GLOBAL, b"abcd", writable=False)
    assert mem.loader(4)(region.base) == int.from_bytes(b"abcd", "little")


def test_misaligned_stack_access_faults_like_the_kernel() -> None:
    fault = fault_of(returning(c.st_mem(Size.W, 10, -6, 1)))
    assert fault.region == "stack"
    assert "misaligned" in str(fault)


def test_misaligned_memory_access_is_allowed_by_default() -> None:
    result = run(returning(c.ldx_mem(Size.W, 0, 1, 1)), memory=bytes(range(8)))
    assert result.r0 == 0x04030201


def test_misaligned_memory_access_faults_under_strict_alignment() -> None:
    fault = fault_of(returning(c.ldx_mem(Size.W, 0, 1, 1)), memory=bytes(8), strict_alignment=True)
    assert "misaligned" in str(fault)


def test_stack_access_below_the_frame_faults() -> None:
    fault = fault_of(returning(c.ldx_mem(Size.DW, 0, 10, -520)))
    assert fault.region == "stack"
    assert "8 bytes before 'stack'" in str(fault)


def test_access_at_the_frame_pointer_is_past_the_stack() -> None:
    fault = fault_of(returning(c.ldx_mem(Size.B, 0, 10, 0)))
    assert "past the end of 'stack'" in str(fault)


def test_whole_512_byte_frame_is_usable() -> None:
    program = returning(
        c.st_mem(Size.DW, 10, -512, 7),
        c.st_mem(Size.DW, 10, -8, 5),
        c.ldx_mem(Size.DW, 0, 10, -512),
        c.ldx_mem(Size.DW, 1, 10, -8),
        c.alu64_reg(0x00, 0, 1),
    )
    assert run(program).r0 == 12


def test_stores_show_in_the_returned_memory() -> None:
    result = run(returning(c.st_mem(Size.H, 1, 2, 0x1234), c.mov64_imm(0, 0)), memory=bytes(6))
    assert result.memory == b"\0\0\x34\x12\0\0"


def test_signed_load_sign_extends() -> None:
    result = run(returning(c.ldx_memsx(Size.H, 0, 1, 0)), memory=b"\xfe\xff")
    assert result.r0 == M64 - 1


def test_r2_holds_the_memory_length() -> None:
    assert run(returning(c.mov64_reg(0, 2)), memory=bytes(13)).r0 == 13


def test_ctx_is_what_r1_points_at_when_given() -> None:
    assert run(returning(c.ldx_mem(Size.B, 0, 1, 0)), ctx=b"\x2a", memory=b"\x01").r0 == 42


def test_packet_region_is_mapped_for_legacy_loads() -> None:
    result = run(returning(c.ld_abs(Size.H, 1)), packet=b"\x00\x12\x34")
    assert result.r0 == 0x1234
    assert result.packet == b"\x00\x12\x34"


@pytest.mark.parametrize(
    ("size", "offset"),
    [pytest.param(Size.W, 1, id="word straddling the end"), pytest.param(Size.B, 3, id="byte past the end")],
)
def test_legacy_load_out_of_bounds_exits_with_zero(size: Size, offset: int) -> None:
    program = [c.mov64_imm(0, 99), c.ld_abs(size, offset), c.mov64_imm(0, 7), c.exit()]
    assert run(program, packet=b"\1\2\3").r0 == 0


def test_legacy_indirect_load_adds_register_and_immediate() -> None:
    program = returning(c.mov64_imm(2, 1), c.ld_ind(Size.B, 2, 1))
    assert run(program, packet=b"\1\2\3").r0 == 3


def test_legacy_indirect_load_with_negative_offset_exits_with_zero() -> None:
    program = returning(c.mov64_imm(2, -4), c.ld_ind(Size.B, 2, 1), c.mov64_imm(0, 5))
    assert run(program, packet=b"\1\2\3").r0 == 0


# (atomic op, 64-bit?, memory before, src register, r0 before, expected memory, expected src, expected r0)
ATOMICS = [
    pytest.param(AtomicOp.ADD, True, 5, 3, 0, 8, 3, 0, id="add"),
    pytest.param(AtomicOp.FETCH_ADD, True, 5, 3, 0, 8, 5, 0, id="fetch add returns the old value"),
    pytest.param(AtomicOp.FETCH_OR, True, 5, 2, 0, 7, 5, 0, id="fetch or"),
    pytest.param(AtomicOp.FETCH_AND, True, 6, 3, 0, 2, 6, 0, id="fetch and"),
    pytest.param(AtomicOp.FETCH_XOR, True, 6, 3, 0, 5, 6, 0, id="fetch xor"),
    pytest.param(AtomicOp.XCHG, True, 6, 3, 0, 3, 6, 0, id="xchg"),
    pytest.param(AtomicOp.CMPXCHG, True, 6, 3, 6, 3, 3, 6, id="cmpxchg stores when r0 matches"),
    pytest.param(AtomicOp.CMPXCHG, True, 6, 3, 9, 6, 3, 6, id="cmpxchg keeps memory when r0 differs"),
    pytest.param(
        AtomicOp.FETCH_ADD, False, 0xFFFF_FFFF, 1, 0, 0, 0xFFFF_FFFF, 0, id="fetch add32 wraps in 32 bits"
    ),
    pytest.param(
        AtomicOp.CMPXCHG,
        False,
        6,
        3,
        0xFFFF_FFFF_0000_0006,
        3,
        3,
        6,
        id="cmpxchg32 compares the low half of r0",
    ),
]


@pytest.mark.parametrize(("op", "wide", "before", "src", "r0", "after", "src_after", "r0_after"), ATOMICS)
def test_atomic_operation_updates_memory_and_registers(
    op: AtomicOp, wide: bool, before: int, src: int, r0: int, after: int, src_after: int, r0_after: int
) -> None:
    size, nbytes = (Size.DW, 8) if wide else (Size.W, 4)
    program = [
        c.ld_imm64(2, src),
        c.ld_imm64(0, r0),
        c.atomic(size, op, 1, 2, 0),
        c.stx_mem(Size.DW, 1, 2, 8),
        c.stx_mem(Size.DW, 1, 0, 16),
        c.exit(),
    ]
    result = run(program, memory=before.to_bytes(8, "little") + bytes(16))
    assert int.from_bytes(result.memory[:nbytes], "little") == after
    assert int.from_bytes(result.memory[8:16], "little") == src_after
    assert int.from_bytes(result.memory[16:24], "little") == r0_after


def test_helper_reads_and_writes_memory_through_the_machine() -> None:
    def reverse(vm, r1, r2, r3, r4, r5):  # type: ignore[no-untyped-def]
        vm.memory.write_bytes(r1, vm.memory.read_bytes(r1, r2)[::-1])
        return 0

    result = run(returning(c.call_helper(77)), memory=b"abc", helpers={77: reverse})
    assert result.memory == b"cba"


def test_helper_memory_access_is_bounds_checked() -> None:
    def overread(vm, r1, r2, r3, r4, r5):  # type: ignore[no-untyped-def]
        return len(vm.memory.read_bytes(r1, r2 + 1))

    with pytest.raises(VMFault) as info:
        run(returning(c.call_helper(77)), memory=b"abc", helpers={77: overread})
    assert info.value.index == 0


def test_multi_byte_stack_access_through_a_pointer_must_be_aligned() -> None:
    program = returning(c.mov64_reg(2, 10), c.alu64_imm(0x00, 2, -7), c.ldx_mem(Size.W, 0, 2, 0))
    fault = fault_of(program)
    assert (fault.index, fault.region) == (2, "stack")
    assert "misaligned" in str(fault)


def test_byte_stack_access_through_a_pointer_works() -> None:
    program = returning(
        c.mov64_reg(2, 10),
        c.alu64_imm(0x00, 2, -3),
        c.st_mem(Size.B, 2, 0, 0x5A),
        c.ldx_mem(Size.B, 0, 10, -3),
    )
    assert run(program).r0 == 0x5A


def test_aligned_stack_access_through_a_pointer_works() -> None:
    program = returning(
        c.mov64_reg(2, 10),
        c.alu64_imm(0x00, 2, -16),
        c.st_mem(Size.DW, 2, 8, 77),
        c.ldx_mem(Size.DW, 0, 10, -8),
    )
    assert run(program).r0 == 77


def test_callee_frame_is_gone_after_return() -> None:
    program = [
        c.call_rel(3),  # r0 = pointer into the callee's frame
        c.ldx_mem(Size.DW, 0, 0, 0),  # dangling: must fault
        c.exit(),
        c.exit(),
        c.mov64_reg(0, 10),
        c.alu64_imm(0x00, 0, -8),
        c.exit(),
    ]
    fault = fault_of(program)
    assert (fault.index, fault.region) == (1, "stack (frame 1)")


def test_store_to_read_only_ctx_faults_and_leaves_it_unchanged() -> None:
    fault = fault_of(returning(c.st_mem(Size.W, 1, 0, 1)), ctx=b"\0" * 4, ctx_writable=False)
    assert (fault.index, fault.region) == (0, "ctx")
    assert "read-only" in str(fault)


def test_read_only_ctx_can_be_read() -> None:
    assert run(returning(c.ldx_mem(Size.W, 0, 1, 0)), ctx=b"\1\0\0\0", ctx_writable=False).r0 == 1


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 64),
    st.integers(-80, 80),
    st.sampled_from([1, 2, 4, 8]),
    st.booleans(),
)
def test_checked_load_succeeds_exactly_when_in_bounds_and_aligned_as_required(
    length: int, offset: int, size: int, strict: bool
) -> None:
    mem = AddressSpace()
    region = mem.add("buf", RegionKind.MEMORY, bytes(range(length)), strict_alignment=strict)
    allowed = 0 <= offset and offset + size <= length and not (strict and offset % size)
    try:
        value = mem.loader(size)((region.base + offset) & M64)
    except VMFault as fault:
        assert not allowed
        assert fault.size == size
    else:
        assert allowed
        assert value == int.from_bytes(bytes(range(length))[offset : offset + size], "little")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1), st.sampled_from([1, 2, 4, 8]))
def test_any_address_either_loads_or_faults_with_a_vm_fault(address: int, size: int) -> None:
    mem = AddressSpace()
    mem.add("buf", RegionKind.MEMORY, 16)
    try:
        mem.load(address, size)
    except VMFault as fault:
        assert fault.address == address
