"""Compiled objects run in the VM runtime: contexts, helpers, global data, tail calls, callbacks."""

from __future__ import annotations

import os
import platform
import struct
from typing import Any

import pytest
from runtime_support import example_spec, ipv4_checksum, runtime_spec, udp_packet

from pybpf.enums import ProgramType
from pybpf.errors import NotSupported
from pybpf.isa import constructors as c
from pybpf.isa.opcodes import Size
from pybpf.kernel.errors import PermissionDenied
from pybpf.spec import ObjectSpec, ProgramSpec
from pybpf.vm import ProgramRejected, VMFault
from pybpf.vm.host import ManualClock
from pybpf.vm.objects import Object
from pybpf.vm.runtime import load

pytestmark = pytest.mark.tool

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = range(5)
PACKET = udp_packet(b"hello")


@pytest.fixture
def obj() -> Object:
    spec = runtime_spec()
    spec.rodata["multiplier"] = 3
    spec.maps["jumps"].slots = {0: "xdp_tail_target"}
    return load(spec, seed=7, clock=ManualClock(5000), pid=11, tgid=22, comm="tester")


def test_xdp_program_counts_packet_lengths_in_a_hash_map(obj: Object) -> None:
    result = obj.programs["xdp_lengths"].test_run(PACKET, repeat=3)
    assert result.retval == XDP_PASS
    assert obj.maps["lengths"][len(PACKET)] == 3


def test_rodata_set_before_load_is_what_the_program_reads(obj: Object) -> None:
    obj.programs["xdp_lengths"].test_run(PACKET)
    assert obj.maps["stats"][0] == 3 * len(PACKET)


def test_rodata_is_read_only_to_python_after_load(obj: Object) -> None:
    with pytest.raises(PermissionDenied, match="frozen"):
        obj.maps[".rodata"][0] = bytes(obj.maps[".rodata"].value_size)


def test_program_pushes_into_a_queue_python_pops(obj: Object) -> None:
    obj.programs["xdp_lengths"].test_run(PACKET)
    assert obj.maps["lens_fifo"].pop() == len(PACKET)


def test_xdp_adjust_head_drops_the_ethernet_header_from_the_output(obj: Object) -> None:
    result = obj.programs["xdp_pop_ethernet"].test_run(PACKET)
    assert (result.retval, result.data) == (XDP_TX, PACKET[14:])


def test_xdp_adjust_tail_grows_the_packet_with_zeroed_bytes(obj: Object) -> None:
    result = obj.programs["xdp_grow_tail"].test_run(PACKET)
    assert result.data == PACKET + b"\xab\x00\x00\xcd"


def test_bpf_redirect_returns_xdp_redirect_and_records_the_target(obj: Object) -> None:
    assert obj.programs["xdp_redirect_out"].test_run(PACKET).retval == XDP_REDIRECT
    assert obj.host.redirect == (7, 0)


def test_tail_call_runs_the_program_in_the_prog_array_slot(obj: Object) -> None:
    assert obj.programs["xdp_tail_entry"].test_run(PACKET).retval == XDP_TX


def test_tail_call_into_an_empty_slot_falls_through(obj: Object) -> None:
    del obj.maps["jumps"][0]
    assert obj.programs["xdp_tail_entry"].test_run(PACKET).retval == XDP_DROP


def test_tc_program_rewrites_ttl_keeping_the_ip_checksum_valid(obj: Object) -> None:
    result = obj.programs["tc_rewrite_ttl"].test_run(PACKET, ctx=bytes(192))
    ip = result.data[14:34]
    assert ip[8] == 1
    assert ipv4_checksum(ip) == 0
    assert struct.unpack_from("<I", result.ctx, 8)[0] == 42  # skb->mark


def test_socket_filter_sees_the_packet_from_the_network_header(obj: Object) -> None:
    reader = obj.maps["events"].ring_buffer()
    result = obj.programs["sock_report"].test_run(PACKET)
    assert result.retval == len(PACKET) - 14
    assert list(reader.poll(0)) == [struct.pack("<IHH", len(PACKET) - 14, 0x0800, 0)]


def test_discarded_ring_buffer_records_are_counted_not_delivered(obj: Object) -> None:
    reader = obj.maps["events"].ring_buffer()
    ipv6ish = PACKET[:14] + bytes([0x60]) + PACKET[15:]
    obj.programs["sock_report"].test_run(ipv6ish)
    assert list(reader.poll(0)) == []
    assert reader.stats.discarded == 1


def test_bpf_loop_and_for_each_callbacks_run_in_the_vm(obj: Object) -> None:
    obj.maps["lengths"][2] = 5
    obj.maps["lengths"][3] = 7
    result = obj.programs["run_callbacks"].test_run(ctx=bytes(8))
    assert result.retval == 5
    assert obj.spec.bss is not None
    bss = obj.maps[".bss"][0]
    assert (bss.loop_total, bss.visited_sum) == (3 * (0 + 1 + 2 + 3 + 4), 2005 + 3007)


def test_trace_printk_lines_reach_the_trace_pipe(obj: Object) -> None:
    obj.programs["run_callbacks"].test_run(ctx=bytes(8))
    assert obj.trace_pipe.read() == ["loop ran 5 times, total 30"]


def test_task_clock_and_random_come_from_the_load_options(obj: Object) -> None:
    obj.programs["trace_identity"].test_run(ctx=bytes(64))
    assert obj.maps["stats"][1] == 22 + ord("t") + 5000
    again = runtime_spec()
    other = load(again, seed=7)
    other.programs["trace_identity"].test_run(ctx=bytes(64))
    assert obj.maps["stats"][2] == other.maps["stats"][2]


def test_example_xdp_counter_counts_per_protocol_in_a_per_cpu_array() -> None:
    obj = load(example_spec("xdp"), cpus=2, cpu=1)
    obj.programs["xdp_count"].test_run(PACKET, repeat=2)
    assert obj.maps["proto_count"][17] == [0, 2]


def test_example_tc_program_prints_the_ipv4_header_fields() -> None:
    obj = load(example_spec("tc"))
    assert obj.programs["tc_ingress"].test_run(PACKET).retval == 0
    assert obj.trace_pipe.read() == [f"IPv4 packet: {len(PACKET) - 14} bytes, ttl 64, proto 17"]


def test_unsupported_helpers_are_refused_at_load_by_name() -> None:
    insns = [c.call_helper(27), c.call_helper(67), c.mov64_imm(0, 0), c.exit()]  # get_stackid, get_stack
    spec = ObjectSpec(programs={"p": ProgramSpec("p", "kprobe/x", ProgramType.KPROBE, instructions=insns)})
    with pytest.raises(ProgramRejected, match="bpf_get_stackid, bpf_get_stack"):
        load(spec)


def test_unknown_load_options_are_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        load(ObjectSpec(), colour="blue")


def test_vm_maps_cannot_be_pinned(obj: Object) -> None:
    with pytest.raises(NotSupported):
        obj.maps["stats"].pin("/sys/fs/bpf/x")


def test_example_minimal_filters_on_the_target_pid_set_in_rodata() -> None:
    spec = example_spec("minimal")
    spec.rodata["target_pid"] = 99
    obj = load(spec, tgid=98)
    obj.programs["on_write"].test_run(ctx=bytes(64))
    other = load(example_spec("minimal"), tgid=98)
    other.programs["on_write"].test_run(ctx=bytes(64))
    assert (obj.trace_pipe.read(), other.trace_pipe.read()) == ([], ["write() called by pid 98"])


def test_example_execsnoop_reports_the_filename_from_user_memory() -> None:
    obj = load(example_spec("execsnoop"), tgid=1234, uid=1000, comm="bash")
    filename = obj.host.add_memory(b"/bin/true\0")
    ctx = bytes(16) + struct.pack("<6Q", filename, 0, 0, 0, 0, 0)
    reader = obj.maps["events"].ring_buffer()
    obj.programs["handle_execve"].test_run(ctx=ctx)
    (event,) = list(reader.poll(0))
    pid, ppid, uid = struct.unpack_from("<3I", event)
    comm, name = event[12:28], event[28:]
    assert (pid, ppid, uid) == (1234, 0, 1000)
    assert (comm.rstrip(b"\0"), name.split(b"\0")[0]) == (b"bash", b"/bin/true")


X86_PT_REGS_SI, X86_PT_REGS_DI, X86_PT_REGS_SIZE = 104, 112, 168


@pytest.mark.skipif(platform.machine() != "x86_64", reason="pt_regs layout of x86_64")
@pytest.mark.parametrize("target", ["own", "vmlinux"])
def test_example_uprobe_reads_arguments_through_core_relocated_pt_regs(target: str) -> None:
    from pybpf.btf import BTF

    options: dict[str, Any] = {}
    if target == "vmlinux":
        from testlib import require_kernel_feature

        require_kernel_feature(os.path.isfile("/sys/kernel/btf/vmlinux"), "no kernel BTF")
        options["btf"] = BTF.vmlinux()
    obj = load(example_spec("uprobe"), **options)
    regs = bytearray(X86_PT_REGS_SIZE)
    struct.pack_into("<q", regs, X86_PT_REGS_DI, 3)
    struct.pack_into("<q", regs, X86_PT_REGS_SI, -4)
    obj.programs["uprobe_add"].test_run(ctx=bytes(regs))
    assert obj.trace_pipe.read() == ["add(3, -4) called"]


def test_repeated_runs_do_not_leak_regions(obj: Object) -> None:
    obj.programs["xdp_lengths"].test_run(PACKET)
    before = len(obj.host.memory.regions)
    obj.programs["xdp_lengths"].test_run(PACKET, repeat=20)
    assert len(obj.host.memory.regions) == before


def test_tracepoint_contexts_are_read_only_to_programs() -> None:
    insns = [c.st_mem(Size.W, 1, 0, 1), c.mov64_imm(0, 0), c.exit()]
    spec = ObjectSpec(programs={"p": ProgramSpec("p", "tp/x/y", ProgramType.TRACEPOINT, instructions=insns)})
    with pytest.raises(VMFault, match="read-only"):
        load(spec).programs["p"].test_run(ctx=bytes(8))


def _bootstrap_event(raw: bytes) -> tuple[int, int, bytes, bytes, bool]:
    pid, _ppid, _code, duration = struct.unpack_from("<iiI4xQ", raw)  # duration is 8-aligned
    return pid, duration, raw[24:40].rstrip(b"\0"), raw[40:167].split(b"\0")[0], bool(raw[167])


def test_example_bootstrap_measures_process_lifetime_on_the_vm_clock() -> None:
    clock = ManualClock(1_000)
    obj = load(example_spec("bootstrap"), clock=clock, pid=42, tgid=42, comm="sleep")
    reader = obj.maps["rb"].ring_buffer()
    name = b"/bin/sleep\0"
    exec_ctx = bytes(8) + struct.pack("<Iii", (len(name) << 16) | 20, 42, 42) + name
    obj.programs["handle_exec"].test_run(ctx=exec_ctx)
    clock.advance(5_000_000)
    obj.programs["handle_exit"].test_run(ctx=bytes(64))
    events = [_bootstrap_event(raw) for raw in reader.poll(0)]
    assert events == [(42, 0, b"sleep", b"/bin/sleep", False), (42, 5_000_000, b"sleep", b"", True)]
    assert len(obj.maps["exec_start"]) == 0  # the exit handler deleted the start time
