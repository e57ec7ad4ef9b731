"""The system side of ``feature probe``: BPF sysctls, kernel build options, ISA probes.

The sysctls and the kernel configuration say what the administrator and the kernel build
allow; the ISA probes say what the verifier accepts.  The option list is the one bpftool reports
(its JSON names are a data format scripts read), and an option the kernel was built without is
``None``, as bpftool writes ``null``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path

from pybpf.kernel import config

SYSCTLS = {
    "unprivileged_bpf_disabled": "/proc/sys/kernel/unprivileged_bpf_disabled",
    "bpf_jit_enable": "/proc/sys/net/core/bpf_jit_enable",
    "bpf_jit_harden": "/proc/sys/net/core/bpf_jit_harden",
    "bpf_jit_kallsyms": "/proc/sys/net/core/bpf_jit_kallsyms",
    "bpf_jit_limit": "/proc/sys/net/core/bpf_jit_limit",
}

KERNEL_OPTIONS = (
    "CONFIG_BPF",
    "CONFIG_BPF_SYSCALL",
    "CONFIG_HAVE_EBPF_JIT",
    "CONFIG_BPF_JIT",
    "CONFIG_BPF_JIT_ALWAYS_ON",
    "CONFIG_DEBUG_INFO_BTF",
    "CONFIG_DEBUG_INFO_BTF_MODULES",
    "CONFIG_CGROUPS",
    "CONFIG_CGROUP_BPF",
    "CONFIG_CGROUP_NET_CLASSID",
    "CONFIG_SOCK_CGROUP_DATA",
    "CONFIG_BPF_EVENTS",
    "CONFIG_KPROBE_EVENTS",
    "CONFIG_UPROBE_EVENTS",
    "CONFIG_TRACING",
    "CONFIG_FTRACE_SYSCALLS",
    "CONFIG_FUNCTION_ERROR_INJECTION",
    "CONFIG_BPF_KPROBE_OVERRIDE",
    "CONFIG_NET",
    "CONFIG_XDP_SOCKETS",
    "CONFIG_LWTUNNEL_BPF",
    "CONFIG_NET_ACT_BPF",
    "CONFIG_NET_CLS_BPF",
    "CONFIG_NET_CLS_ACT",
    "CONFIG_NET_SCH_INGRESS",
    "CONFIG_XFRM",
    "CONFIG_IP_ROUTE_CLASSID",
    "CONFIG_IPV6_SEG6_BPF",
    "CONFIG_BPF_LIRC_MODE2",
    "CONFIG_BPF_STREAM_PARSER",
    "CONFIG_NETFILTER_XT_MATCH_BPF",
    "CONFIG_BPFILTER",
    "CONFIG_BPFILTER_UMH",
    "CONFIG_TEST_BPF",
    "CONFIG_HZ",
)


def read_sysctl(path: str) -> int:
    """An integer sysctl, or -1 when it cannot be read (bpftool's convention)."""
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return -1


def build_options(values: Mapping[str, str]) -> dict[str, str]:
    """The options a kernel was built with, unquoted, as bpftool lists them (unset ones left out)."""
    return {name: config.unquoted(value) for name, value in values.items() if value != "n"}


def parse_config(text: str) -> dict[str, str]:
    """:func:`build_options` of a kernel config's text."""
    return build_options(config.parse_config(text))


def kernel_config() -> dict[str, str] | None:
    """The running kernel's build options; None when it publishes no config."""
    values = config.running_config()
    return None if values is None else build_options(values)


def system_config(config: dict[str, str] | None = None) -> dict[str, int | str | None]:
    """bpftool's ``system_config`` section: the sysctls, then every kernel option it lists."""
    found: dict[str, int | str | None] = {name: read_sysctl(path) for name, path in SYSCTLS.items()}
    options = kernel_config() if config is None else config
    for name in KERNEL_OPTIONS:
        found[name] = (options or {}).get(name)
    return found


def _insn(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


_MOV0_IMM = 0xB7  # r0 = imm (64-bit move)
_EXIT = _insn(0x95)
BPF_MAXINSNS = 4096

#: Name in bpftool's ``misc`` section -> a program the verifier accepts only with that feature.
MISC_PROBES: dict[str, bytes] = {
    # More than 4096 instructions: the 1M-instruction limit of 5.2+.
    "have_large_insn_limit": _insn(_MOV0_IMM, imm=1) * BPF_MAXINSNS + _EXIT,
    # r0 = 10; do r0 -= 1 while r0 != 0: a back edge the verifier must prove terminates.
    "have_bounded_loops": _insn(_MOV0_IMM, imm=10) + _insn(0x17, imm=1) + _insn(0x55, off=-2) + _EXIT,
    # jlt (64-bit jump class): added with ISA v2.
    "have_v2_isa_extension": _insn(_MOV0_IMM) + _insn(0xA5, imm=1, off=1) + _insn(_MOV0_IMM, imm=1) + _EXIT,
    # jlt in the 32-bit jump class: ISA v3.
    "have_v3_isa_extension": _insn(_MOV0_IMM) + _insn(0xA6, imm=1, off=1) + _insn(_MOV0_IMM, imm=1) + _EXIT,
    # r0 = (s8)r0, the sign-extending move: ISA v4.
    "have_v4_isa_extension": _insn(_MOV0_IMM, imm=1) + _insn(0xBF, off=8) + _EXIT,
}


__all__ = [
    "BPF_MAXINSNS",
    "KERNEL_OPTIONS",
    "MISC_PROBES",
    "SYSCTLS",
    "kernel_config",
    "parse_config",
    "read_sysctl",
    "system_config",
]
