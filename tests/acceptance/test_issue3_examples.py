"""Issue 3 acceptance: the project's examples run in the real kernel and give the right answers.

The tc and socket filter examples are test-run on frames built here (the socket filter also
runs on a loopback packet socket); the bootstrap example is loaded with its ``const volatile``
config set from Python, attached, and the exec event of a child process read from its ring
buffer is checked against what this process knows; the task iterator example's CO-RE reads of
``task_struct`` are checked against /proc.  Objects dropped without ``close()`` give their fds,
programs and maps back.  Raw tracepoint, syscall and flow dissector programs are test-run too.
"""

from __future__ import annotations

import gc
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import pybpf.runtime
from pybpf.attach.iterator import attach_iter
from pybpf.events import RingBuffer
from pybpf.kernel import ObjectKind, ids
from pybpf.spec import ObjectSpec
from testlib import ROOT, require_kernel_feature

pytestmark = pytest.mark.kernel

EXAMPLES = ROOT / "examples"
TC_ACT_OK = 0
ETH_HLEN = 14
ETH_P_ALL = 0x0003
SO_ATTACH_BPF = 50
# struct event of examples/bootstrap.h: pid, ppid, exit_code, duration_ns, comm[16], filename[127], exit_event
BOOTSTRAP_EVENT = struct.Struct("<iiI4xQ16s127s?")


@pytest.fixture(scope="module")
def kernel_ok() -> None:
    require_kernel_feature(os.geteuid() == 0, "loading BPF programs needs root")
    require_kernel_feature(Path("/sys/kernel/btf/vmlinux").exists(), "the kernel has no BTF")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("issue3_examples")
    objects: dict[str, Path] = {}
    for name in ("bootstrap", "tc", "sockfilter", "task_iter"):
        obj = out / f"{name}.bpf.o"
        done = subprocess.run(
            [sys.executable, "-m", "pybpf", "build", str(EXAMPLES / f"{name}.bpf.c"), "-o", str(obj)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        objects[name] = obj
    return objects


def ethernet(ethertype: int, payload: bytes) -> bytes:
    return (
        bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + struct.pack("!H", ethertype) + payload
    )


def ipv4_udp(src: bytes, dst: bytes, sport: int, dport: int) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"ping"
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
    return header + udp


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize(
    "frame",
    [
        ethernet(0x0800, ipv4_udp(bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 1000, 53)),
        ethernet(0x86DD, bytes(40)),
        ethernet(0x0806, bytes(28)),
    ],
    ids=["ipv4", "ipv6", "arp"],
)
def test_tc_example_lets_every_packet_through(kernel_ok: None, built: dict[str, Path], frame: bytes) -> None:
    with pybpf.runtime.load(built["tc"]) as obj:
        result = obj.programs["tc_ingress"].test_run(frame)
    assert result.retval == TC_ACT_OK


@pytest.mark.parametrize(
    "frame",
    [
        ethernet(0x0800, ipv4_udp(bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 1000, 53)),
        ethernet(0x86DD, bytes(40)),
    ],
    ids=["ipv4", "ipv6"],
)
def test_socket_filter_example_keeps_the_whole_packet_after_the_link_header(
    kernel_ok: None, built: dict[str, Path], frame: bytes
) -> None:
    # BPF_PROG_TEST_RUN hands a socket filter the skb with the Ethernet header pulled.
    with pybpf.runtime.load(built["sockfilter"]) as obj:
        result = obj.programs["socket_handler"].test_run(frame)
    assert result.retval == len(frame) - ETH_HLEN


def test_socket_filter_example_on_a_loopback_packet_socket_reports_a_udp_datagrams_ports(
    kernel_ok: None, built: dict[str, Path]
) -> None:
    with (
        pybpf.runtime.load(built["sockfilter"]) as obj,
        RingBuffer(obj.maps["rb"].fd) as reader,
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as raw,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        raw.bind(("lo", 0))
        raw.setsockopt(socket.SOL_SOCKET, SO_ATTACH_BPF, int(obj.programs["socket_handler"].fd))
        receiver.bind(("127.0.0.1", 0))
        sender.bind(("127.0.0.1", 0))
        sender.sendto(b"ping", receiver.getsockname())
        sport, dport = sender.getsockname()[1], receiver.getsockname()[1]
        events = [struct.unpack_from("<4s4s4sI", r) for r in reader.poll(timeout=0.3)]
    wanted = (
        socket.inet_aton("127.0.0.1"),
        socket.inet_aton("127.0.0.1"),
        struct.pack("!HH", sport, dport),
        17,
    )
    assert wanted in events


def bootstrap_events(reader: RingBuffer, pid: int) -> Iterator[tuple[int, ...]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for raw in reader.poll(timeout=0.2):
            event = BOOTSTRAP_EVENT.unpack_from(raw)
            if event[0] == pid:
                yield event


def test_bootstrap_example_reports_a_child_exec_with_this_process_as_parent(
    kernel_ok: None, built: dict[str, Path]
) -> None:
    spec = ObjectSpec.from_file(built["bootstrap"])
    spec.rodata["min_duration_ns"] = 0
    with pybpf.runtime.load(spec) as obj, RingBuffer(obj.maps["rb"].fd) as reader:
        report = obj.attach_all()
        assert not report.skipped
        with subprocess.Popen(["/bin/true"]) as child:
            assert child.wait() == 0
        exec_event = next(e for e in bootstrap_events(reader, child.pid) if not e[6])
    assert exec_event[1] == os.getpid()
    assert exec_event[4].rstrip(b"\0") == b"true"


def test_bootstrap_config_set_from_python_suppresses_exec_events(
    kernel_ok: None, built: dict[str, Path]
) -> None:
    spec = ObjectSpec.from_file(built["bootstrap"])
    spec.rodata["min_duration_ns"] = 10**12  # nothing lives 1000 s here: no exec, no exit events
    with pybpf.runtime.load(spec) as obj, RingBuffer(obj.maps["rb"].fd) as reader:
        obj.attach_all()
        with subprocess.Popen(["/bin/true"]) as child:
            assert child.wait() == 0
        assert [e for e in reader.poll(timeout=0.3) if BOOTSTRAP_EVENT.unpack_from(e)[0] == child.pid] == []


def stat_fields(pid: int) -> tuple[int, str]:
    """(ppid, comm) of a task from /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    comm = text[text.index("(") + 1 : text.rindex(")")]
    ppid = int(text[text.rindex(")") + 2 :].split()[1])
    return ppid, comm


def test_task_iterator_example_lists_this_process_with_its_pid_and_comm_from_proc(
    kernel_ok: None, built: dict[str, Path]
) -> None:
    with pybpf.runtime.load(built["task_iter"]) as obj:
        link = attach_iter(obj.programs["dump_task"].fd, target="task")
        try:
            text = link.read().decode()
        finally:
            link.close()
    rows = [line.split(None, 3) for line in text.splitlines()[1:]]
    mine = [row for row in rows if int(row[0]) == os.getpid() and int(row[1]) == os.getpid()]
    _, comm = stat_fields(os.getpid())
    assert len(mine) == 1
    assert mine[0][2] == comm[:15]


def test_objects_dropped_without_close_give_back_their_fds_programs_and_maps(
    kernel_ok: None, built: dict[str, Path]
) -> None:
    spec = ObjectSpec.from_file(built["sockfilter"])
    pybpf.runtime.load(spec).close()  # warm caches once
    gc.collect()
    before = fd_count()
    prog_ids: set[int] = set()
    map_ids: set[int] = set()
    for _ in range(20):
        obj = pybpf.runtime.load(spec)
        prog_ids.add(obj.programs["socket_handler"].info.id)
        map_ids.add(obj.maps["rb"].info.id)
        del obj
    gc.collect()
    assert fd_count() == before
    assert len(prog_ids) == 20
    assert not prog_ids & set(ids(ObjectKind.PROG))
    assert not map_ids & set(ids(ObjectKind.MAP))


RUNNABLE_SOURCE = """
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct add_args { int a; int b; int sum; };

SEC("raw_tp/sys_enter")
int plus_one(struct bpf_raw_tracepoint_args *ctx) { return (int)ctx->args[0] + 1; }

SEC("syscall")
int add(struct add_args *args) { args->sum = args->a + args->b; return 42; }

SEC("flow_dissector")
int dissect(struct __sk_buff *skb) { return BPF_OK; }
"""


@pytest.fixture(scope="module")
def runnable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("issue3_runnable")
    (out / "runnable.bpf.c").write_text(RUNNABLE_SOURCE)
    done = subprocess.run(
        [sys.executable, "-m", "pybpf", "build", str(out / "runnable.bpf.c"), "-o", str(out / "runnable.o")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out / "runnable.o"


def test_raw_tracepoint_program_test_runs_with_the_default_arguments(kernel_ok: None, runnable: Path) -> None:
    with pybpf.runtime.load(runnable) as obj:
        assert obj.programs["plus_one"].test_run(ctx=struct.pack("<QQ", 41, 0)).retval == 42


def test_syscall_program_test_run_returns_the_context_it_edited(kernel_ok: None, runnable: Path) -> None:
    with pybpf.runtime.load(runnable) as obj:
        result = obj.programs["add"].test_run(ctx=struct.pack("<iii", 2, 3, 0))
    assert result.retval == 42
    assert struct.unpack("<iii", result.ctx) == (2, 3, 5)


def test_flow_dissector_program_test_runs_on_a_frame(kernel_ok: None, runnable: Path) -> None:
    frame = ethernet(0x0800, ipv4_udp(bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 1000, 53))
    with pybpf.runtime.load(runnable) as obj:
        result = obj.programs["dissect"].test_run(frame)
    assert result.retval == 0  # BPF_OK
    assert len(result.data) == 56  # struct bpf_flow_keys comes back as the output data
