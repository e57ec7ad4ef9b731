"""``feature probe``: what this kernel's BPF supports, found by trying tiny loads.

Every answer comes from asking the kernel to do the thing (load a two-instruction program of a
type, create a one-element map, verify a call to a helper), never from its version number, and
nothing is cached on disk: a kernel can change under the same version string.  Helper probes read
the verifier's log, because "this program type may not call that helper" and "bad arguments" are
both EINVAL; only the log tells them apart.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os
import struct
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.enums import AttachType, MapFlags, MapType, ProgramFlags, ProgramType
from pybpf.isa.helpers import HELPER_NAMES
from pybpf.kernel import KernelError, attrs, btf_load, map_create
from pybpf.kernel.syscall import Cmd, bpf

from . import sysconfig
from .names import attach_type_name, map_type_name, prog_type_name

_EXIT_1 = struct.pack("<BBhi", 0xB7, 0, 0, 1) + struct.pack("<BBhi", 0x95, 0, 0, 0)
_LICENSE = ctypes.create_string_buffer(b"GPL")
_LOG_SIZE = 4096

# Program types whose loads need an expected attach type, and which one.
_EXPECTED = {
    ProgramType.CGROUP_SOCK_ADDR: AttachType.CGROUP_INET4_CONNECT,
    ProgramType.CGROUP_SOCKOPT: AttachType.CGROUP_GETSOCKOPT,
    ProgramType.SK_LOOKUP: AttachType.SK_LOOKUP,
    ProgramType.NETFILTER: AttachType.NETFILTER,
    ProgramType.TRACING: AttachType.TRACE_FENTRY,
    ProgramType.LSM: AttachType.LSM_MAC,
}
_FLAGS = {ProgramType.SYSCALL: int(ProgramFlags.SLEEPABLE)}
# Program types that cannot load without a BTF attach target: a verifier log means "known".
_NEEDS_TARGET = {ProgramType.TRACING, ProgramType.EXT, ProgramType.LSM, ProgramType.STRUCT_OPS}

# Attach type -> the program type that is loaded with it to probe it.
_ATTACH_PROG: dict[AttachType, ProgramType] = {}
for _at in AttachType:
    _n = _at.name
    if _n in ("CGROUP_INET_INGRESS", "CGROUP_INET_EGRESS"):
        _ATTACH_PROG[_at] = ProgramType.CGROUP_SKB
    elif _n in ("CGROUP_INET_SOCK_CREATE", "CGROUP_INET_SOCK_RELEASE") or _n.endswith("POST_BIND"):
        _ATTACH_PROG[_at] = ProgramType.CGROUP_SOCK
    elif _n.startswith(("CGROUP_INET4_", "CGROUP_INET6_", "CGROUP_UDP", "CGROUP_UNIX_")):
        _ATTACH_PROG[_at] = ProgramType.CGROUP_SOCK_ADDR
    elif _n in ("CGROUP_GETSOCKOPT", "CGROUP_SETSOCKOPT"):
        _ATTACH_PROG[_at] = ProgramType.CGROUP_SOCKOPT
    elif _n.startswith("SK_SKB_"):
        _ATTACH_PROG[_at] = ProgramType.SK_SKB
    elif _n.startswith("SK_REUSEPORT_"):
        _ATTACH_PROG[_at] = ProgramType.SK_REUSEPORT
    elif _n.startswith(("TCX_", "NETKIT_")):
        _ATTACH_PROG[_at] = ProgramType.SCHED_CLS
    elif _n in ("XDP", "XDP_DEVMAP", "XDP_CPUMAP"):
        _ATTACH_PROG[_at] = ProgramType.XDP
_ATTACH_PROG.update(
    {
        AttachType.CGROUP_SOCK_OPS: ProgramType.SOCK_OPS,
        AttachType.CGROUP_DEVICE: ProgramType.CGROUP_DEVICE,
        AttachType.CGROUP_SYSCTL: ProgramType.CGROUP_SYSCTL,
        AttachType.SK_MSG_VERDICT: ProgramType.SK_MSG,
        AttachType.FLOW_DISSECTOR: ProgramType.FLOW_DISSECTOR,
        AttachType.LIRC_MODE2: ProgramType.LIRC_MODE2,
        AttachType.SK_LOOKUP: ProgramType.SK_LOOKUP,
        AttachType.NETFILTER: ProgramType.NETFILTER,
        AttachType.PERF_EVENT: ProgramType.PERF_EVENT,
        AttachType.TRACE_KPROBE_MULTI: ProgramType.KPROBE,
        AttachType.TRACE_KPROBE_SESSION: ProgramType.KPROBE,
        AttachType.TRACE_UPROBE_MULTI: ProgramType.KPROBE,
        AttachType.TRACE_UPROBE_SESSION: ProgramType.KPROBE,
    }
)

_HELPER_REFUSALS = (b"invalid func ", b"unknown func ", b"program of this type cannot use helper ")


def _load(
    prog_type: int, insns: bytes, expected: int = 0, log: bool = False, flags: int = 0
) -> tuple[bool, int, bytes]:
    """One BPF_PROG_LOAD; (loaded, errno, verifier log).  The fd is closed at once."""
    code = ctypes.create_string_buffer(insns, len(insns))
    buf = ctypes.create_string_buffer(_LOG_SIZE) if log else None
    attr = attrs.ProgLoadAttr(
        prog_type=prog_type,
        insn_cnt=len(insns) // 8,
        insns=ctypes.addressof(code),
        license=ctypes.addressof(_LICENSE),
        expected_attach_type=expected,
        prog_flags=flags,
        log_level=1 if log else 0,
        log_size=_LOG_SIZE if log else 0,
        log_buf=ctypes.addressof(buf) if buf is not None else 0,
    )
    try:
        fd = bpf(Cmd.PROG_LOAD, attr)
    except KernelError as exc:
        return False, exc.errno or 0, buf.value if buf is not None else b""
    os.close(fd)
    return True, 0, b""


def probe_prog_type(prog_type: ProgramType) -> bool:
    expected = _EXPECTED.get(prog_type, 0)
    flags = _FLAGS.get(prog_type, 0)
    ok, err, log = _load(prog_type, _EXIT_1, expected, log=prog_type in _NEEDS_TARGET, flags=flags)
    if ok:
        return True
    # Known types that need an attach target fail in the verifier, which writes a log; EPERM
    # means the kernel knows the type but will not let programs of it load (lockdown).
    return prog_type in _NEEDS_TARGET and bool(log.strip()) and err != _errno.EPERM


def _map_shape(map_type: MapType) -> tuple[int, int, int, int] | None:
    """(key size, value size, max entries, flags) a map of this type can be created with."""
    page = os.sysconf("SC_PAGE_SIZE")
    if map_type in (MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER):
        return 0, 4, 1, 0
    if map_type in (MapType.RINGBUF, MapType.USER_RINGBUF):
        return 0, 0, page, 0
    if map_type == MapType.ARENA:
        return 0, 0, 1, int(MapFlags.MMAPABLE)
    if map_type == MapType.LPM_TRIE:
        return 8, 4, 1, int(MapFlags.NO_PREALLOC)
    if map_type == MapType.STACK_TRACE:
        return 4, 8, 1, 0
    if map_type in (MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE):
        return 8, 4, 0, 0
    if map_type in (MapType.SK_STORAGE, MapType.INODE_STORAGE, MapType.TASK_STORAGE, MapType.CGRP_STORAGE):
        return None  # needs BTF for key and value
    if map_type == MapType.STRUCT_OPS:
        return None  # needs a kernel struct_ops type
    return 4, 4, 1, 0


# A BTF blob with one type, [1] = signed 32-bit "int": the key and value type of local storage maps.
_INT_BTF = (
    struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 16, 16, 5)
    + struct.pack("<IIII", 1, 1 << 24, 4, (1 << 24) | 32)
    + b"\0int\0"
)
_STORAGE = (MapType.SK_STORAGE, MapType.INODE_STORAGE, MapType.TASK_STORAGE, MapType.CGRP_STORAGE)


def _probe_storage(map_type: MapType) -> bool | None:
    try:
        btf = btf_load(_INT_BTF)
    except KernelError:
        return None
    with btf:
        try:
            map_create(
                map_type,
                4,
                4,
                0,
                int(MapFlags.NO_PREALLOC),
                btf_fd=btf,
                btf_key_type_id=1,
                btf_value_type_id=1,
            ).close()
        except KernelError:
            return False
    return True


def _probe_struct_ops() -> bool:
    # A kernel with struct_ops maps looks the value type up and, for a type id that is not a
    # struct_ops type, answers ENOTSUPP; one without them rejects the map type with EINVAL.
    try:
        map_create(MapType.STRUCT_OPS, 4, 4, 1, btf_vmlinux_value_type_id=1).close()
    except KernelError as exc:
        return exc.errno == 524
    return True


def probe_map_type(map_type: MapType) -> bool | None:
    """Whether maps of this type can be created; ``None`` when a tiny create cannot tell."""
    if map_type in _STORAGE:
        return _probe_storage(map_type)
    if map_type is MapType.STRUCT_OPS:
        return _probe_struct_ops()
    if map_type in (MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS):
        try:
            with (
                map_create(MapType.ARRAY, 4, 4, 1) as inner,
                map_create(map_type, 4, 4, 1, inner_map_fd=inner),
            ):
                return True
        except KernelError:
            return False
    shape = _map_shape(map_type)
    if shape is None:
        return None
    key, value, entries, flags = shape
    try:
        map_create(map_type, key, value, entries, flags).close()
    except KernelError as exc:
        if exc.errno in (_errno.EPERM,):
            return None
        return False
    return True


def probe_helper(prog_type: ProgramType, helper_id: int) -> bool:
    insns = struct.pack("<BBhi", 0x85, 0, 0, helper_id) + _EXIT_1
    ok, _err, log = _load(
        prog_type, insns, _EXPECTED.get(prog_type, 0), log=True, flags=_FLAGS.get(prog_type, 0)
    )
    if ok:
        return True
    return not any(refusal in log for refusal in _HELPER_REFUSALS)


def probe_attach_type(attach_type: AttachType) -> bool | None:
    prog_type = _ATTACH_PROG.get(attach_type)
    if prog_type is None:
        return None  # tracing attach types need a BTF target to load at all
    ok, _err, _log = _load(prog_type, _EXIT_1, attach_type)
    return ok


def probe_bpf_syscall() -> bool:
    """Whether the kernel has bpf() at all: an empty load fails with some errno, but not ENOSYS."""
    ok, err, _log = _load(ProgramType.SOCKET_FILTER, b"")
    return ok or err != _errno.ENOSYS


def probe_misc() -> dict[str, bool]:
    """Verifier capabilities beyond types and helpers, each shown by a program only it accepts."""
    return {name: _load(ProgramType.SOCKET_FILTER, insns)[0] for name, insns in sysconfig.MISC_PROBES.items()}


@dataclass
class Features:
    """Everything ``feature probe`` found out."""

    program_types: dict[str, bool] = field(default_factory=dict)
    map_types: dict[str, bool | None] = field(default_factory=dict)
    helpers: dict[str, list[str]] = field(default_factory=dict)
    attach_types: dict[str, bool | None] = field(default_factory=dict)
    system_config: dict[str, int | str | None] = field(default_factory=dict)
    syscall_config: dict[str, bool] = field(default_factory=dict)
    misc: dict[str, bool] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """bpftool's ``-j feature probe`` layout (section and field names), plus attach types."""
        return {
            "system_config": dict(self.system_config),
            "syscall_config": dict(self.syscall_config),
            "program_types": {f"have_{k}_prog_type": v for k, v in self.program_types.items()},
            "map_types": {f"have_{k}_map_type": v for k, v in self.map_types.items()},
            "helpers": {f"{k}_available_helpers": v for k, v in self.helpers.items()},
            "misc": dict(self.misc),
            "attach_types": {f"have_{k}_attach_type": v for k, v in self.attach_types.items()},
        }

    def plain(self) -> str:
        """A table per section: one ``name  yes|no|unknown`` row per probe, aligned."""
        out: list[str] = []
        if self.system_config:
            out += _table("System settings", {k: _setting(v) for k, v in self.system_config.items()})
        if self.syscall_config:
            out += _table("bpf() system call", {k: _answer(v) for k, v in self.syscall_config.items()})
        out += _table(_counted("Program types", self.program_types), _answers(self.program_types))
        out += _table(_counted("Map types", self.map_types), _answers(self.map_types))
        if self.helpers:
            out.append("Helpers callable, by program type:")
            for prog, names in self.helpers.items():
                out.append(f"  {prog} ({len(names)}): {', '.join(names) if names else '-'}")
            out.append("")
        out += _table(_counted("Attach types", self.attach_types), _answers(self.attach_types))
        if self.misc:
            out += _table("Verifier and instruction set", {k: _answer(v) for k, v in self.misc.items()})
        return "\n".join(out).rstrip("\n")


def _answer(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _answers(table: dict[str, bool] | dict[str, bool | None]) -> dict[str, str]:
    return {k: _answer(v) for k, v in table.items()}


def _setting(value: int | str | None) -> str:
    return "(not set)" if value is None else str(value)


def _counted(title: str, table: dict[str, bool] | dict[str, bool | None]) -> str:
    return f"{title} ({sum(1 for v in table.values() if v)} of {len(table)} usable)"


def _table(title: str, rows: dict[str, str]) -> list[str]:
    width = max((len(k) for k in rows), default=0)
    return [f"{title}:", *(f"  {k.ljust(width)}  {v}" for k, v in rows.items()), ""]


def probe(*, helpers: bool = True) -> Features:
    """Probe everything (helpers per available program type unless ``helpers=False``)."""
    found = Features(
        system_config=sysconfig.system_config(),
        syscall_config={"have_bpf_syscall": probe_bpf_syscall()},
        misc=probe_misc(),
    )
    available: list[ProgramType] = []
    for prog_type in ProgramType:
        if prog_type is ProgramType.UNSPEC:
            continue
        ok = probe_prog_type(prog_type)
        found.program_types[prog_type_name(prog_type) or str(int(prog_type))] = ok
        if ok:
            available.append(prog_type)
    for map_type in MapType:
        if map_type is not MapType.UNSPEC:
            found.map_types[map_type_name(map_type) or str(int(map_type))] = probe_map_type(map_type)
    if helpers:
        for prog_type in available:
            if prog_type in _NEEDS_TARGET:
                continue
            names = [HELPER_NAMES[h] for h in sorted(HELPER_NAMES) if probe_helper(prog_type, h)]
            found.helpers[prog_type_name(prog_type) or str(int(prog_type))] = names
    for attach_type in AttachType:
        found.attach_types[attach_type_name(attach_type) or str(int(attach_type))] = probe_attach_type(
            attach_type
        )
    return found


__all__ = [
    "Features",
    "probe",
    "probe_attach_type",
    "probe_bpf_syscall",
    "probe_helper",
    "probe_map_type",
    "probe_misc",
    "probe_prog_type",
]
