"""``perf_event_open(2)`` through ctypes, and the PMU facts sysfs publishes.

Tracepoints, uprobes, kprobes, perf events and the perf buffer all start from a perf event fd;
only ``attr.type``/``config`` differ.  The layout of ``struct perf_event_attr`` below is the uapi
one (version 8, 136 bytes); the kernel accepts any known size, so one layout fits old and new.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import platform
from pathlib import Path

from pybpf.kernel.errors import KernelError, NotSupportedByKernel, error_for
from pybpf.kernel.fd import FD

from .._enum import KernelIntEnum, KernelIntFlag

EVENT_SOURCE = Path("/sys/bus/event_source/devices")

# __NR_perf_event_open by architecture (arch/*/syscall tables).
_SYSCALL_NUMBERS = {
    "x86_64": 298,
    "aarch64": 241,
    "riscv64": 241,
    "loongarch64": 241,
    "ppc64le": 319,
    "s390x": 331,
    "i686": 336,
    "armv7l": 364,
}


class PerfType(KernelIntEnum):
    """``enum perf_type_id``; dynamic PMUs (uprobe, kprobe) get theirs from sysfs."""

    HARDWARE = 0
    SOFTWARE = 1
    TRACEPOINT = 2
    HW_CACHE = 3
    RAW = 4
    BREAKPOINT = 5


class SoftwareEvent(KernelIntEnum):
    """``enum perf_sw_ids``."""

    CPU_CLOCK = 0
    TASK_CLOCK = 1
    PAGE_FAULTS = 2
    CONTEXT_SWITCHES = 3
    CPU_MIGRATIONS = 4
    PAGE_FAULTS_MIN = 5
    PAGE_FAULTS_MAJ = 6
    ALIGNMENT_FAULTS = 7
    EMULATION_FAULTS = 8
    DUMMY = 9
    BPF_OUTPUT = 10
    CGROUP_SWITCHES = 11


class HardwareEvent(KernelIntEnum):
    """``enum perf_hw_id``."""

    CPU_CYCLES = 0
    INSTRUCTIONS = 1
    CACHE_REFERENCES = 2
    CACHE_MISSES = 3
    BRANCH_INSTRUCTIONS = 4
    BRANCH_MISSES = 5
    BUS_CYCLES = 6
    STALLED_CYCLES_FRONTEND = 7
    STALLED_CYCLES_BACKEND = 8
    REF_CPU_CYCLES = 9


class SampleType(KernelIntFlag):
    """``enum perf_event_sample_format`` (the bits the readers here use)."""

    IP = 1 << 0
    TID = 1 << 1
    TIME = 1 << 2
    ADDR = 1 << 3
    READ = 1 << 4
    CALLCHAIN = 1 << 5
    ID = 1 << 6
    CPU = 1 << 7
    PERIOD = 1 << 8
    STREAM_ID = 1 << 9
    RAW = 1 << 10


class AttrFlags(KernelIntFlag):
    """The bitfield word of ``perf_event_attr`` (bit positions of the uapi bitfields)."""

    DISABLED = 1 << 0
    INHERIT = 1 << 1
    PINNED = 1 << 2
    EXCLUSIVE = 1 << 3
    EXCLUDE_USER = 1 << 4
    EXCLUDE_KERNEL = 1 << 5
    EXCLUDE_HV = 1 << 6
    EXCLUDE_IDLE = 1 << 7
    MMAP = 1 << 8
    COMM = 1 << 9
    FREQ = 1 << 10
    INHERIT_STAT = 1 << 11
    ENABLE_ON_EXEC = 1 << 12
    TASK = 1 << 13
    WATERMARK = 1 << 14
    MMAP_DATA = 1 << 17
    SAMPLE_ID_ALL = 1 << 18


class OpenFlags(KernelIntFlag):
    """``flags`` argument of perf_event_open."""

    FD_NO_GROUP = 1 << 0
    FD_OUTPUT = 1 << 1
    PID_CGROUP = 1 << 2
    FD_CLOEXEC = 1 << 3


class PerfEventAttr(ctypes.Structure):
    """``struct perf_event_attr`` (PERF_ATTR_SIZE_VER8); unions named by their first member."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("config", ctypes.c_uint64),
        ("sample_period", ctypes.c_uint64),  # or sample_freq with AttrFlags.FREQ
        ("sample_type", ctypes.c_uint64),
        ("read_format", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
        ("wakeup_events", ctypes.c_uint32),  # or wakeup_watermark with AttrFlags.WATERMARK
        ("bp_type", ctypes.c_uint32),
        ("config1", ctypes.c_uint64),  # bp_addr, kprobe_func, uprobe_path
        ("config2", ctypes.c_uint64),  # bp_len, kprobe_addr, probe_offset
        ("branch_sample_type", ctypes.c_uint64),
        ("sample_regs_user", ctypes.c_uint64),
        ("sample_stack_user", ctypes.c_uint32),
        ("clockid", ctypes.c_int32),
        ("sample_regs_intr", ctypes.c_uint64),
        ("aux_watermark", ctypes.c_uint32),
        ("sample_max_stack", ctypes.c_uint16),
        ("reserved_2", ctypes.c_uint16),
        ("aux_sample_size", ctypes.c_uint32),
        ("reserved_3", ctypes.c_uint32),
        ("sig_data", ctypes.c_uint64),
        ("config3", ctypes.c_uint64),
    ]


PERF_ATTR_SIZE = ctypes.sizeof(PerfEventAttr)

# ioctl numbers: _IO('$', n) and _IOW('$', 8, __u32) for SET_BPF.
IOC_ENABLE = 0x2400
IOC_DISABLE = 0x2401
IOC_RESET = 0x2403
IOC_SET_BPF = 0x40042408

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall_number() -> int:
    machine = platform.machine()
    try:
        return _SYSCALL_NUMBERS[machine]
    except KeyError:
        raise NotSupportedByKernel(
            f"perf_event_open: unknown syscall number on {machine}", errno=38, command="perf_event_open"
        ) from None


def perf_event_open(
    attr: PerfEventAttr, pid: int = -1, cpu: int = 0, group_fd: int = -1, flags: int = OpenFlags.FD_CLOEXEC
) -> FD:
    """Open a perf event; ``pid=-1, cpu=N`` counts all tasks on one CPU, ``pid=P, cpu=-1`` one task."""
    attr.size = PERF_ATTR_SIZE
    raw = _libc.syscall(
        ctypes.c_long(_syscall_number()),
        ctypes.byref(attr),
        ctypes.c_int(pid),
        ctypes.c_int(cpu),
        ctypes.c_int(group_fd),
        ctypes.c_ulong(flags),
    )
    if raw < 0:
        err = ctypes.get_errno()
        raise error_for(
            "perf_event_open", err, detail=f"type {attr.type} config {attr.config:#x} pid {pid} cpu {cpu}"
        )
    return FD(int(raw), "perf_event")


def perf_ioctl(fd: FD | int, request: int, arg: int = 0) -> None:
    """One perf event ioctl (enable, disable, set BPF program), errors typed like bpf()'s."""
    try:
        fcntl.ioctl(int(fd), request, arg)
    except OSError as exc:
        raise error_for("perf_event ioctl", exc.errno or 0, detail=f"request {request:#x}") from None


def pmu_type(name: str) -> int:
    """The dynamic ``perf_event_attr.type`` of PMU ``name`` (``uprobe``, ``kprobe``...)."""
    path = EVENT_SOURCE / name / "type"
    try:
        return int(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        raise NotSupportedByKernel(
            f"the kernel has no {name} PMU ({path} is missing)",
            errno=2,
            command="perf_event_open",
            feature=f"{name} PMU",
        ) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise KernelError(f"cannot read {path}: {exc}", errno=5, command="perf_event_open") from None


def pmu_format_bit(pmu: str, name: str) -> int:
    """Bit of ``config`` a PMU format field occupies (``format/retprobe`` reads ``config:0``)."""
    path = EVENT_SOURCE / pmu / "format" / name
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise NotSupportedByKernel(
            f"the {pmu} PMU has no {name} format ({path})",
            errno=2,
            command="perf_event_open",
            feature=f"{pmu} {name}",
        ) from None
    field, _, bits = text.partition(":")
    if field != "config" or not bits:
        raise KernelError(f"unexpected format in {path}: {text!r}", errno=22, command="perf_event_open")
    try:
        return int(bits.split("-")[0])
    except ValueError:
        raise KernelError(
            f"unexpected format in {path}: {text!r}", errno=22, command="perf_event_open"
        ) from None


def online_cpus() -> list[int]:
    """CPUs that are online now (per-CPU perf events open one fd per entry)."""
    try:
        text = Path("/sys/devices/system/cpu/online").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return list(range(os.cpu_count() or 1))
    return parse_cpu_list(text)


def parse_cpu_list(text: str) -> list[int]:
    """``"0-3,5"`` → ``[0, 1, 2, 3, 5]`` (the sysfs CPU list format)."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            start = int(first)
            end = int(last) if last else start
        except ValueError:
            raise ValueError(f"malformed CPU list {text!r}") from None
        if end < start:
            raise ValueError(f"malformed CPU list {text!r}")
        cpus.extend(range(start, end + 1))
    return cpus


__all__ = [
    "IOC_DISABLE",
    "IOC_ENABLE",
    "IOC_RESET",
    "IOC_SET_BPF",
    "PERF_ATTR_SIZE",
    "AttrFlags",
    "HardwareEvent",
    "OpenFlags",
    "PerfEventAttr",
    "PerfType",
    "SampleType",
    "SoftwareEvent",
    "online_cpus",
    "parse_cpu_list",
    "perf_event_open",
    "perf_ioctl",
    "pmu_format_bit",
    "pmu_type",
]
