"""Tracing attachments on the running kernel: each program must fire, and leave nothing behind."""

from __future__ import annotations

import ctypes
import os
import subprocess
import time
from pathlib import Path

import pytest
from attach_testlib import (
    counter_insns,
    fdinfo_prog_ids,
    find_tool,
    link_gone,
    live_link_ids,
    load_counter,
    read_counter,
    require_kernel_feature,
)

from pybpf import kernel
from pybpf.attach import (
    Link,
    LinkClosed,
    PerfType,
    SoftwareEvent,
    attach_btf_id,
    attach_kprobe,
    attach_perf_event,
    attach_raw_tracepoint,
    attach_tp_btf,
    attach_tracepoint,
    attach_uprobe,
    kprobes_available,
    load_btf_program,
    open_pinned_link,
    resolve_symbol,
)
from pybpf.enums import AttachType, ProgramType

pytestmark = pytest.mark.kernel


def _libc_getpid(times: int) -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    for _ in range(times):
        libc.getpid()


def test_tracepoint_program_runs_on_each_getpid(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.TRACEPOINT, counter_map)
    with attach_tracepoint(prog, "syscalls", "sys_enter_getpid"):
        for _ in range(5):
            os.getpid()
    assert read_counter(counter_map) >= 5


def test_closed_tracepoint_link_leaves_no_link_id_and_no_program_reference(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.TRACEPOINT, counter_map)
    prog_id = kernel.prog_info(prog).id
    link = attach_tracepoint(prog, "syscalls", "sys_enter_getpid")
    link_id = link.id
    assert link_id in live_link_ids()
    link.close()
    prog.close()
    assert link_gone(link_id)
    assert prog_id not in fdinfo_prog_ids()
    before = read_counter(counter_map)
    os.getpid()
    assert read_counter(counter_map) == before


def test_raw_tracepoint_program_runs_on_sys_enter(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.RAW_TRACEPOINT, counter_map)
    with attach_raw_tracepoint(prog, "sys_enter") as link:
        os.getpid()
        assert link.info().details["tp_name"] == "sys_enter"
    assert read_counter(counter_map) >= 1


def test_tp_btf_program_loaded_with_looked_up_btf_id_runs(counter_map: kernel.FD) -> None:
    btf_id = attach_btf_id("tp_btf", "sys_enter")
    prog = load_counter(
        ProgramType.TRACING, counter_map, expected_attach_type=AttachType.TRACE_RAW_TP, attach_btf_id=btf_id
    )
    with attach_tp_btf(prog, "sys_enter"):
        os.getpid()
    assert read_counter(counter_map) >= 1


def test_tp_btf_loader_helper_fills_type_and_btf_id(counter_map: kernel.FD) -> None:
    prog = load_btf_program("tp_btf", "sys_enter", counter_insns(int(counter_map)))
    with attach_tp_btf(prog):
        os.getpid()
    assert kernel.prog_info(prog).attach_btf_id == attach_btf_id("tp_btf", "sys_enter")


@pytest.mark.parametrize(("kind", "target"), [("fentry", "do_sys_openat2"), ("lsm", "file_open")])
def test_trampoline_program_loads_or_names_the_missing_kernel_option(
    counter_map: kernel.FD, kind: str, target: str
) -> None:
    try:
        prog = load_btf_program(kind, target, counter_insns(int(counter_map)))
    except kernel.NotSupportedByKernel as exc:
        assert "programs are not available" in str(exc)
        assert exc.feature.startswith("CONFIG_") or exc.feature == "BPF trampoline"
        return
    prog.close()


def test_kprobe_without_kprobe_pmu_raises_not_supported_naming_config_kprobes(counter_map: kernel.FD) -> None:
    if kprobes_available():
        pytest.skip("this kernel has kprobes")
    prog = load_counter(ProgramType.KPROBE, counter_map)
    with pytest.raises(kernel.NotSupportedByKernel) as info:
        attach_kprobe(prog, "do_sys_openat2")
    assert info.value.feature == "CONFIG_KPROBES"


@pytest.mark.parametrize("retprobe", [False, True], ids=["uprobe", "uretprobe"])
def test_uprobe_on_libc_getpid_counts_calls_of_this_process(counter_map: kernel.FD, retprobe: bool) -> None:
    prog = load_counter(ProgramType.KPROBE, counter_map)
    with attach_uprobe(prog, "libc.so.6", "getpid", pid=os.getpid(), retprobe=retprobe):
        _libc_getpid(3)
    assert read_counter(counter_map) == 3


TARGET_C = r"""
#include <stdio.h>
__attribute__((noinline)) int pybpf_target(int x) { __asm__ volatile(""); return x + 1; }
int main(void) { int s = 0; for (int i = 0; i < 4; i++) s = pybpf_target(s); printf("%d\n", s); return 0; }
"""


@pytest.fixture(scope="module")
def target_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = find_tool("gcc", "cc")
    if gcc is None:
        pytest.skip("no C compiler")
    directory = tmp_path_factory.mktemp("uprobe")
    source = directory / "target.c"
    source.write_text(TARGET_C)
    binary = directory / "target"
    subprocess.run([gcc, "-O1", "-fPIE", "-pie", str(source), "-o", str(binary)], check=True)
    return binary


def test_resolved_symbol_offset_matches_nm_for_a_pie_binary(target_binary: Path) -> None:
    nm = find_tool("nm")
    if nm is None:
        pytest.skip("no nm")
    out = subprocess.run([nm, str(target_binary)], check=True, capture_output=True, text=True).stdout
    address = next(int(line.split()[0], 16) for line in out.splitlines() if line.endswith(" pybpf_target"))
    resolved = resolve_symbol(target_binary, "pybpf_target")
    assert resolved.address == address
    assert 0 < resolved.offset <= address


def test_uprobe_on_function_of_a_gcc_built_binary_fires_per_call(
    counter_map: kernel.FD, target_binary: Path
) -> None:
    prog = load_counter(ProgramType.KPROBE, counter_map)
    with attach_uprobe(prog, target_binary, "pybpf_target"):
        result = subprocess.run([str(target_binary)], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "4"
    assert read_counter(counter_map) == 4


def test_software_cpu_clock_perf_event_opens_one_event_per_cpu_and_samples(counter_map: kernel.FD) -> None:
    from pybpf.attach.perf_event import online_cpus

    prog = load_counter(ProgramType.PERF_EVENT, counter_map)
    with attach_perf_event(prog, PerfType.SOFTWARE, SoftwareEvent.CPU_CLOCK, sample_freq=1000) as link:
        perf_fds = len(link.fds) - len(link.bpf_links)
        assert perf_fds == len(online_cpus())
        assert len(link.bpf_links) in (0, perf_fds)
        end = time.monotonic() + 0.2
        while time.monotonic() < end and read_counter(counter_map) == 0:
            pass
    assert read_counter(counter_map) > 0


def test_perf_event_needs_exactly_one_of_period_and_frequency(counter_map: kernel.FD) -> None:
    with pytest.raises(ValueError, match="sample_period"):
        attach_perf_event(0, PerfType.SOFTWARE, SoftwareEvent.CPU_CLOCK)


def test_link_close_is_idempotent_and_later_use_raises_link_closed(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.RAW_TRACEPOINT, counter_map)
    link = attach_raw_tracepoint(prog, "sys_enter")
    link.close()
    link.close()
    assert link.closed
    with pytest.raises(LinkClosed):
        _ = link.id


def test_pinned_link_outlives_its_fd_until_the_pin_is_removed(counter_map: kernel.FD) -> None:
    root = Path(kernel.ensure_bpffs())
    pin = root / f"pybpf-attach-{os.getpid()}-{os.urandom(3).hex()}"
    prog = load_counter(ProgramType.RAW_TRACEPOINT, counter_map)
    link = attach_raw_tracepoint(prog, "sys_enter")
    link_id = link.id
    try:
        link.pin(pin)
        link.close()
        assert link_id in live_link_ids()
        with open_pinned_link(pin) as again:
            assert again.id == link_id
    finally:
        pin.unlink(missing_ok=True)
    assert link_gone(link_id)


def test_garbage_collected_link_detaches(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.RAW_TRACEPOINT, counter_map)
    link: Link | None = attach_raw_tracepoint(prog, "sys_enter")
    assert link is not None
    link_id = link.id
    link = None
    assert link_gone(link_id)


def test_uprobe_pmu_type_is_published(bpf_ok: None) -> None:
    require_kernel_feature(Path("/sys/bus/event_source/devices/uprobe/type").exists(), "no uprobe PMU")
    from pybpf.attach.perf_event import pmu_format_bit, pmu_type

    assert pmu_type("uprobe") > 5
    assert pmu_format_bit("uprobe", "retprobe") >= 0


def test_uprobe_with_a_pid_filter_ignores_calls_of_other_processes(counter_map: kernel.FD) -> None:
    prog = load_counter(ProgramType.KPROBE, counter_map)
    other = subprocess.Popen(["sleep", "30"])
    try:
        with attach_uprobe(prog, "libc.so.6", "getpid", pid=other.pid):
            _libc_getpid(3)
    finally:
        other.kill()
        other.wait()
    assert read_counter(counter_map) == 0


def test_tracepoint_falls_back_to_perf_ioctls_when_perf_links_are_refused(
    counter_map: kernel.FD, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from pybpf.attach import tracing
    from pybpf.kernel.errors import error_for

    def no_perf_links(*args: object, **kwargs: object) -> kernel.FD:
        raise error_for("BPF_LINK_CREATE", errno.EINVAL)

    monkeypatch.setattr(tracing, "link_create", no_perf_links)
    prog = load_counter(ProgramType.TRACEPOINT, counter_map)
    with attach_tracepoint(prog, "syscalls", "sys_enter_getpid") as link:
        assert link.bpf_links == []
        os.getpid()
    assert read_counter(counter_map) >= 1
    before = read_counter(counter_map)
    os.getpid()
    assert read_counter(counter_map) == before


def test_hardware_perf_event_attaches_or_fails_with_a_typed_error(counter_map: kernel.FD) -> None:
    from pybpf.attach import HardwareEvent

    prog = load_counter(ProgramType.PERF_EVENT, counter_map)
    try:
        link = attach_perf_event(prog, PerfType.HARDWARE, HardwareEvent.CPU_CYCLES, sample_period=100_000)
    except kernel.KernelError as exc:
        assert exc.command == "perf_event_open"
        return
    link.close()
