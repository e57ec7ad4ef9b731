"""Program load, verifier errors, test runs and program info against the running kernel."""

from __future__ import annotations

import struct

import pytest
from kernel_testlib import (
    EXIT,
    MAP_ARRAY,
    PROG_SOCKET_FILTER,
    PROG_XDP,
    insn,
    mov64_imm,
    ret,
)

from pybpf import kernel

pytestmark = pytest.mark.kernel

# XDP: r0 = ctx->data_end - ctx->data (the packet length).
XDP_LEN = (
    insn(0x61, 2, 1, 4)  # r2 = *(u32 *)(r1 + 4)   data_end
    + insn(0x61, 1, 1, 0)  # r1 = *(u32 *)(r1 + 0)   data
    + insn(0x1F, 2, 1)  # r2 -= r1
    + insn(0xBF, 0, 2)  # r0 = r2
    + EXIT
)
# Socket filter: r0 = skb->len.
SKB_LEN = insn(0x61, 0, 1, 0) + EXIT


@pytest.mark.parametrize("verdict", [0, 1, 2, 3])
def test_xdp_program_returns_its_verdict_from_test_run(bpf_ok: None, verdict: int) -> None:
    with kernel.prog_load(PROG_XDP, ret(verdict), name="verdict") as prog:
        assert kernel.prog_test_run(prog, bytes(64)).retval == verdict


@pytest.mark.parametrize("size", [14, 64, 1500])
def test_xdp_program_sees_the_packet_it_is_given(bpf_ok: None, size: int) -> None:
    packet = bytes(range(256)) * 6
    with kernel.prog_load(PROG_XDP, XDP_LEN) as prog:
        result = kernel.prog_test_run(prog, packet[:size])
    assert (result.retval, result.data_out) == (size, packet[:size])


@pytest.mark.parametrize("size", [60, 100])
def test_socket_filter_sees_the_skb_length_past_the_ethernet_header(bpf_ok: None, size: int) -> None:
    with kernel.prog_load(PROG_SOCKET_FILTER, SKB_LEN, license="Dual MIT/GPL") as prog:
        assert kernel.prog_test_run(prog, bytes(size)).retval == size - 14


def test_test_run_passes_ctx_in_and_returns_ctx_out(bpf_ok: None) -> None:
    # struct __sk_buff is 192 bytes; mark (offset 8) is one of the fields test runs copy both ways.
    ctx = bytearray(192)
    struct.pack_into("=I", ctx, 8, 1234)
    skb_mark = insn(0x61, 0, 1, 8) + EXIT  # r0 = skb->mark
    with kernel.prog_load(PROG_SOCKET_FILTER, skb_mark) as prog:
        result = kernel.prog_test_run(prog, bytes(64), ctx_in=bytes(ctx), ctx_out_size=192)
    assert result.retval == 1234
    assert struct.unpack_from("=I", result.ctx_out, 8)[0] == 1234


def test_test_run_with_repeat_reports_a_duration_and_the_same_result(bpf_ok: None) -> None:
    with kernel.prog_load(PROG_XDP, XDP_LEN) as prog:
        result = kernel.prog_test_run(prog, bytes(60), repeat=100)
    assert result.retval == 60
    assert result.duration_ns >= 0


def test_test_run_output_bigger_than_the_given_size_raises(bpf_ok: None) -> None:
    with kernel.prog_load(PROG_XDP, ret(2)) as prog, pytest.raises(kernel.KernelError, match="too small"):
        kernel.prog_test_run(prog, bytes(64), data_out_size=16)


def test_rejected_program_raises_verifier_error_with_the_kernel_log(bpf_ok: None) -> None:
    with pytest.raises(kernel.VerifierError) as caught:
        kernel.prog_load(PROG_XDP, EXIT)  # r0 never written
    error = caught.value
    assert "R0 !read_ok" in error.log
    assert "R0 !read_ok" in error.summary
    assert error.insn_index == 0


def test_verifier_error_points_at_the_failing_instruction(bpf_ok: None) -> None:
    # r0 = 0; r1 = 0; r0 = *(u64 *)(r1 + 0) dereferences a scalar at instruction 2.
    program = mov64_imm(0, 0) + mov64_imm(1, 0) + insn(0x79, 0, 1, 0) + EXIT
    with pytest.raises(kernel.VerifierError) as caught:
        kernel.prog_load(PROG_XDP, program)
    assert caught.value.insn_index == 2
    assert "invalid mem access" in caught.value.log


def test_verifier_error_gains_a_source_line_from_the_loader_hook(bpf_ok: None) -> None:
    with pytest.raises(kernel.VerifierError) as caught:
        kernel.prog_load(PROG_XDP, EXIT)
    error = caught.value.add_source(lambda index: f"return; // insn {index}")
    assert error.source_line == "return; // insn 0"
    assert "return; // insn 0" in str(error)


def test_log_buffer_grows_until_the_whole_log_fits(bpf_ok: None) -> None:
    program = mov64_imm(0, 0) * 300 + EXIT
    fd, log = kernel.prog_load_with_log(PROG_XDP, program, log_level=kernel.LogLevel.STATES, log_size=256)
    fd.close()
    assert "processed 301 insns" in log
    assert len(log) > 256


def test_log_capped_below_its_size_is_reported_truncated(bpf_ok: None) -> None:
    # 300 instructions then a bad exit: the level-2 log is far longer than the cap.
    program = mov64_imm(1, 0) * 300 + EXIT
    with pytest.raises(kernel.VerifierError) as caught:
        kernel.prog_load(PROG_XDP, program, log_level=kernel.LogLevel.STATES, log_size=512, log_cap=1024)
    assert caught.value.truncated


def test_structural_rejection_names_the_instruction_from_the_message(bpf_ok: None) -> None:
    with pytest.raises(kernel.VerifierError, match="unreachable insn 2") as caught:
        kernel.prog_load(PROG_XDP, ret(0) + EXIT)
    assert caught.value.insn_index == 2


def test_unknown_program_type_raises_not_supported_by_kernel(bpf_ok: None) -> None:
    with pytest.raises(kernel.NotSupportedByKernel, match="program type 200"):
        kernel.prog_load(200, ret(0))


def test_instruction_bytes_not_a_multiple_of_eight_raise_value_error(bpf_ok: None) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        kernel.prog_load(PROG_XDP, ret(0)[:-1])


@pytest.mark.parametrize(("data", "rec_size"), [(bytes(8), 0), (bytes(10), 8)])
def test_func_info_that_is_not_whole_records_raises_value_error(data: bytes, rec_size: int) -> None:
    with pytest.raises(ValueError, match="func_info"):
        kernel.prog_load(PROG_XDP, ret(0), func_info=data, func_info_rec_size=rec_size)


def test_program_info_reports_name_type_and_instructions(bpf_ok: None) -> None:
    with kernel.prog_load(PROG_XDP, XDP_LEN, name="xdp_len") as prog:
        info = kernel.prog_info(prog, xlated=True, jited=True)
    assert (info.name, info.type, info.map_ids) == ("xdp_len", PROG_XDP, [])
    assert info.xlated_insns is not None and len(info.xlated_insns) == info.xlated_prog_len
    assert info.xlated_prog_len == len(XDP_LEN)
    assert len(info.tag) == 8
    assert info.gpl_compatible


def test_program_info_lists_the_maps_the_program_uses(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as map_fd:
        # r1 = map (ld_imm64 with BPF_PSEUDO_MAP_FD); r0 = 0; exit
        ld_map = insn(0x18, 1, 1, 0, int(map_fd)) + insn(0, 0, 0, 0, 0)
        with kernel.prog_load(PROG_XDP, ld_map + ret(0)) as prog:
            info = kernel.prog_info(prog)
        assert info.map_ids == [kernel.map_info(map_fd).id]


def test_program_loaded_with_fd_array_references_the_map(bpf_ok: None) -> None:
    with kernel.map_create(MAP_ARRAY, 4, 4, 1) as map_fd:
        # BPF_PSEUDO_MAP_IDX (5): imm is an index into fd_array.
        ld_map = insn(0x18, 1, 5, 0, 0) + insn(0, 0, 0, 0, 0)
        with kernel.prog_load(PROG_XDP, ld_map + ret(0), fd_array=[map_fd]) as prog:
            assert kernel.prog_info(prog).map_ids == [kernel.map_info(map_fd).id]


def test_enabled_stats_count_test_runs(bpf_ok: None) -> None:
    with kernel.enable_stats(), kernel.prog_load(PROG_XDP, ret(2)) as prog:
        kernel.prog_test_run(prog, bytes(64), repeat=5)
        assert kernel.prog_info(prog).run_cnt >= 5


def btf_with_one_function() -> tuple[bytes, bytes, bytes]:
    """Hand-encoded BTF (int, a func proto, FUNC 'prog' = id 3), func_info and line_info for it."""
    strings = b"\0int\0prog\0x.c\0return r0;\0"

    def at(name: str) -> int:
        return strings.index(name.encode() + b"\0")

    types = (
        struct.pack("=IIII", at("int"), 1 << 24, 4, (1 << 24) | 32)  # INT int, signed 32 bits
        + struct.pack("=III", 0, 13 << 24, 1)  # FUNC_PROTO: no params, returns int
        + struct.pack("=III", at("prog"), 12 << 24, 2)  # FUNC prog (static)
    )
    header = struct.pack("=HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    func_info = struct.pack("=II", 0, 3)  # insn 0 starts FUNC 3
    line_info = struct.pack("=IIII", 0, at("x.c"), at("return r0;"), (3 << 10) | 5)  # x.c:3:5
    return header + types + strings, func_info, line_info


def _load_with_btf(insns: bytes) -> kernel.FD:
    data, func_info, line_info = btf_with_one_function()
    with kernel.btf_load(data) as btf:
        return kernel.prog_load(
            PROG_XDP,
            insns,
            prog_btf_fd=btf,
            func_info=func_info,
            func_info_rec_size=8,
            line_info=line_info,
            line_info_rec_size=16,
        )


def test_program_loaded_with_func_and_line_info_reports_them(bpf_ok: None) -> None:
    with _load_with_btf(ret(2)) as prog:
        info = kernel.prog_info(prog)
        assert (info.nr_func_info, info.nr_line_info) == (1, 1)
        assert info.btf_id != 0
        assert kernel.prog_test_run(prog, bytes(64)).retval == 2


def test_verifier_log_of_a_program_with_line_info_shows_the_source_line(bpf_ok: None) -> None:
    with pytest.raises(kernel.VerifierError) as caught:
        _load_with_btf(EXIT)
    assert "return r0;" in caught.value.log
