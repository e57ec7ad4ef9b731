"""Helpers about the world: time, randomness, the current task, tracing, memory reads."""

from __future__ import annotations

import errno as _errno

from ..errors import VMFault
from ..host import Host
from ..interpreter import Machine
from .common import Helper, neg, read_c_string
from .printk import FormatError, format_printk

#: bpf_jiffies64 counts at CONFIG_HZ; 250 is the common distribution default.
HZ = 250


def helpers(host: Host) -> dict[str, Helper]:
    def clock(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return host.clock()

    def boot_clock(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return host.boot_clock()

    def jiffies(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return host.clock() * HZ // 1_000_000_000

    def prandom(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return host.random.getrandbits(32)

    def cpu(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return host.cpu

    def numa(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return 0

    def pid_tgid(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return (host.task.tgid << 32) | (host.task.pid & 0xFFFFFFFF)

    def uid_gid(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return (host.task.gid << 32) | (host.task.uid & 0xFFFFFFFF)

    def comm(vm: Machine, buf: int, size: int, r3: int, r4: int, r5: int) -> int:
        if not size:
            return neg(_errno.EINVAL)
        name = host.task.comm.encode()[: min(size - 1, 15)]
        vm.memory.write_bytes(buf, name.ljust(size, b"\0"))
        return 0

    def printk(vm: Machine, fmt: int, size: int, a1: int, a2: int, a3: int) -> int:
        raw = vm.memory.read_bytes(fmt, size)
        if not raw or raw[-1] != 0:
            return neg(_errno.EINVAL)
        try:
            text = format_printk(raw, [a1, a2, a3], lambda address: read_c_string(vm, address, 512))
        except (FormatError, VMFault):
            return neg(_errno.EINVAL)
        host.trace_pipe.write(text.rstrip("\n"))
        return len(text.encode())

    def snprintf(vm: Machine, out: int, size: int, fmt: int, data: int, data_len: int) -> int:
        if data_len % 8 or data_len > 8 * 12:
            return neg(_errno.EINVAL)
        raw_args = vm.memory.read_bytes(data, data_len) if data_len else b""
        args = [int.from_bytes(raw_args[i : i + 8], "little") for i in range(0, data_len, 8)]
        try:
            text = format_printk(read_c_string(vm, fmt) + b"\0", args, lambda a: read_c_string(vm, a, 512))
        except (FormatError, VMFault):
            return neg(_errno.EINVAL)
        encoded = text.encode()
        if size:
            vm.memory.write_bytes(out, encoded[: size - 1] + b"\0")
        return len(encoded) + 1

    def probe_read(vm: Machine, dst: int, size: int, src: int, r4: int, r5: int) -> int:
        size &= 0xFFFFFFFF
        try:
            data = vm.memory.read_bytes(src, size)
        except VMFault:
            vm.memory.write_bytes(dst, bytes(size))
            return neg(_errno.EFAULT)
        vm.memory.write_bytes(dst, data)
        return 0

    def probe_read_str(vm: Machine, dst: int, size: int, src: int, r4: int, r5: int) -> int:
        size &= 0xFFFFFFFF
        if not size:
            return 0
        try:
            text = read_c_string(vm, src, size - 1)[: size - 1]
        except VMFault:
            vm.memory.write_bytes(dst, bytes(size))
            return neg(_errno.EFAULT)
        vm.memory.write_bytes(dst, text + b"\0")
        return len(text) + 1

    def strncmp(vm: Machine, s1: int, s1_size: int, s2: int, r4: int, r5: int) -> int:
        a = vm.memory.read_bytes(s1, s1_size).split(b"\0", 1)[0]
        b = read_c_string(vm, s2, max(s1_size, 1))[:s1_size]
        for x, y in zip(a + b"\0", b + b"\0", strict=False):
            if x != y:
                return 1 if x > y else neg(1)
        return 0

    def current_task(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return host.task_address()

    return {
        "ktime_get_ns": clock,
        "ktime_get_boot_ns": boot_clock,
        "ktime_get_coarse_ns": clock,
        "ktime_get_tai_ns": clock,
        "jiffies64": jiffies,
        "get_prandom_u32": prandom,
        "get_smp_processor_id": cpu,
        "get_numa_node_id": numa,
        "get_current_pid_tgid": pid_tgid,
        "get_current_uid_gid": uid_gid,
        "get_current_comm": comm,
        "trace_printk": printk,
        "snprintf": snprintf,
        "probe_read": probe_read,
        "probe_read_kernel": probe_read,
        "probe_read_user": probe_read,
        "probe_read_str": probe_read_str,
        "probe_read_kernel_str": probe_read_str,
        "probe_read_user_str": probe_read_str,
        "strncmp": strncmp,
        "get_current_task": current_task,
        "get_current_task_btf": current_task,
    }


__all__ = ["HZ", "helpers"]
