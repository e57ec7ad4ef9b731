"""bpf_tracing.h: which pt_regs slot each PT_REGS_* macro reads, per architecture, and BPF_PROG & co.

The register layouts are defined here (kernel facts) rather than taken from vmlinux.h, so both
architectures are checked on any host.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cc_helpers import LDX_DW, PRELUDE, compile_text, helper_calls, slots

from pybpf.errors import CompileError

pytestmark = pytest.mark.usefixtures("bpf_cc")

X86_REGS = """
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax, ip, cs, flags, sp, ss;
};
"""
ARM64_REGS = """
struct user_pt_regs { __u64 regs[31]; __u64 sp; __u64 pc; __u64 pstate; };
struct pt_regs { struct user_pt_regs user_regs; __u64 orig_x0; };
"""
ARCH_REGS = {"x86": X86_REGS, "arm64": ARM64_REGS}

# (arch, macro) -> byte offset in pt_regs of the register the macro reads
OFFSETS = {
    ("x86", "PT_REGS_PARM1"): 112,
    ("x86", "PT_REGS_PARM2"): 104,
    ("x86", "PT_REGS_PARM3"): 96,
    ("x86", "PT_REGS_PARM4"): 88,
    ("x86", "PT_REGS_PARM5"): 72,
    ("x86", "PT_REGS_PARM6"): 64,
    ("x86", "PT_REGS_RC"): 80,
    ("x86", "PT_REGS_FP"): 32,
    ("x86", "PT_REGS_SP"): 152,
    ("x86", "PT_REGS_IP"): 128,
    ("x86", "PT_REGS_RET"): 152,
    ("x86", "PT_REGS_PARM1_SYSCALL"): 112,
    ("x86", "PT_REGS_PARM4_SYSCALL"): 56,
    ("arm64", "PT_REGS_PARM1"): 0,
    ("arm64", "PT_REGS_PARM2"): 8,
    ("arm64", "PT_REGS_PARM3"): 16,
    ("arm64", "PT_REGS_PARM4"): 24,
    ("arm64", "PT_REGS_PARM5"): 32,
    ("arm64", "PT_REGS_PARM6"): 40,
    ("arm64", "PT_REGS_PARM7"): 48,
    ("arm64", "PT_REGS_PARM8"): 56,
    ("arm64", "PT_REGS_RC"): 0,
    ("arm64", "PT_REGS_FP"): 232,
    ("arm64", "PT_REGS_RET"): 240,
    ("arm64", "PT_REGS_SP"): 248,
    ("arm64", "PT_REGS_IP"): 256,
    ("arm64", "PT_REGS_PARM1_SYSCALL"): 272,
    ("arm64", "PT_REGS_PARM4_SYSCALL"): 24,
}

CORE_MACROS = [
    *(f"PT_REGS_PARM{n}_CORE" for n in range(1, 9)),
    *(f"PT_REGS_{reg}_CORE" for reg in ("RET", "FP", "RC", "SP", "IP")),
    *(f"PT_REGS_PARM{n}_CORE_SYSCALL" for n in range(1, 7)),
]


def _arch_source(arch: str, body: str) -> str:
    return PRELUDE + ARCH_REGS[arch] + "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n" + body


@pytest.fixture(scope="module")
def register_objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One object per architecture, one section per plain PT_REGS macro."""
    out = {}
    for arch in ARCH_REGS:
        body = "".join(
            f'SEC("kprobe/{macro}") long read_{macro}(struct pt_regs *ctx) {{ return {macro}(ctx); }}\n'
            for (which, macro) in OFFSETS
            if which == arch
        )
        out[arch] = compile_text(
            tmp_path_factory.mktemp(arch), _arch_source(arch, body), extra_flags=(f"-D__TARGET_ARCH_{arch}",)
        )
    return out


@pytest.mark.parametrize(("arch", "macro"), sorted(OFFSETS))
def test_pt_regs_macro_loads_the_architectures_register(
    register_objects: dict[str, Path], arch: str, macro: str
) -> None:
    first = slots(register_objects[arch], f"kprobe/{macro}")[0]
    assert (first.opcode, first.src, first.off) == (LDX_DW, 1, OFFSETS[(arch, macro)])


@pytest.mark.parametrize("arch", sorted(ARCH_REGS))
def test_core_pt_regs_macros_compile_into_probe_reads(tmp_path: Path, arch: str) -> None:
    body = "".join(
        f'SEC("kprobe/{macro}") long read_{macro}(struct pt_regs *ctx) {{ return {macro}(ctx); }}\n'
        for macro in CORE_MACROS
    )
    obj = compile_text(tmp_path, _arch_source(arch, body), extra_flags=(f"-D__TARGET_ARCH_{arch}",))
    assert all(113 in helper_calls(obj, f"kprobe/{macro}") for macro in CORE_MACROS)


def test_x86_stack_arguments_are_read_above_the_return_address(tmp_path: Path) -> None:
    body = 'SEC("kprobe/p7") long p7(struct pt_regs *ctx) { return PT_REGS_PARM7(ctx); }\n'
    obj = compile_text(tmp_path, _arch_source("x86", body), extra_flags=("-D__TARGET_ARCH_x86",))
    insns = slots(obj, "kprobe/p7")
    assert any(i.opcode == LDX_DW and i.off == 152 for i in insns) and helper_calls(obj, "kprobe/p7") == [113]


def test_pt_regs_without_a_target_arch_is_a_compile_error_saying_so(tmp_path: Path) -> None:
    body = 'SEC("kprobe/x") long x(struct pt_regs *ctx) { return PT_REGS_PARM1(ctx); }\n'
    with pytest.raises(CompileError, match="__TARGET_ARCH"):
        compile_text(tmp_path, _arch_source("x86", body), extra_flags=("-U__TARGET_ARCH_x86", "-U__x86_64__"))


@pytest.mark.parametrize(
    ("macro", "args", "offsets"),
    [
        ("BPF_KPROBE", "int a, long b, void *c", [112, 104, 96]),
        ("BPF_UPROBE", "int a, int b", [112, 104]),
        ("BPF_KRETPROBE", "long ret", [80]),
        ("BPF_URETPROBE", "int ret", [80]),
    ],
)
def test_probe_macros_unpack_arguments_from_their_registers(
    tmp_path: Path, macro: str, args: str, offsets: list[int]
) -> None:
    names = [arg.split()[-1].lstrip("*") for arg in args.split(",")]
    total = " + ".join(f"(long){name}" for name in names)
    body = f'SEC("kprobe/x") int {macro}(prog, {args}) {{ return {total}; }}\n'
    obj = compile_text(tmp_path, _arch_source("x86", body), extra_flags=("-D__TARGET_ARCH_x86",))
    loads = [i.off for i in slots(obj, "kprobe/x") if i.opcode in (LDX_DW, 0x61) and i.src == 1]
    assert sorted(loads) == sorted(offsets)


def test_bpf_prog_unpacks_arguments_from_consecutive_u64_slots(tmp_path: Path) -> None:
    body = 'SEC("fentry/f") int BPF_PROG(prog, int a, long b, long c) { return a + b + c; }\n'
    obj = compile_text(tmp_path, _arch_source("x86", body))
    loads = sorted(i.off for i in slots(obj, "fentry/f") if i.opcode in (LDX_DW, 0x61) and i.src == 1)
    assert loads == [0, 8, 16]


def test_bpf_prog2_gives_a_sixteen_byte_struct_two_slots(tmp_path: Path) -> None:
    body = (
        "struct pair { long x; long y; };\n"
        'SEC("fentry/f") int BPF_PROG2(prog, int, a, struct pair, p, long, c) { return a + p.y + c; }\n'
    )
    obj = compile_text(tmp_path, _arch_source("x86", body))
    loads = sorted(i.off for i in slots(obj, "fentry/f") if i.opcode in (LDX_DW, 0x61) and i.src == 1)
    assert loads == [0, 16, 24]


def test_bpf_ksyscall_reads_arguments_through_the_wrapped_pt_regs(tmp_path: Path) -> None:
    body = (
        'SEC("ksyscall/write") int BPF_KSYSCALL(prog, int fd, const void *buf) { return fd + (long)buf; }\n'
    )
    obj = compile_text(tmp_path, _arch_source("x86", body), extra_flags=("-D__TARGET_ARCH_x86",))
    ctx_loads = [i.off for i in slots(obj, "ksyscall/write") if i.opcode == LDX_DW and i.src == 1]
    assert ctx_loads == [112]
    assert helper_calls(obj, "ksyscall/write") == [113, 113]


@pytest.mark.parametrize(("args", "helper"), [("", 6), (", 1", 6), (", 1, 2, 3", 6), (", 1, 2, 3, 4", 177)])
def test_bpf_printk_uses_trace_printk_up_to_three_arguments_then_vprintk(
    tmp_path: Path, args: str, helper: int
) -> None:
    body = f'SEC("tp/x") int prog(void *ctx) {{ bpf_printk("hello"{args}); return 0; }}\n'
    obj = compile_text(tmp_path, _arch_source("x86", body))
    assert helper_calls(obj, "tp/x") == [helper]


def test_bpf_seq_printf_calls_bpf_seq_printf(tmp_path: Path) -> None:
    body = 'SEC("iter/task") int prog(void *ctx) { BPF_SEQ_PRINTF((void *)0, "%d %d\\n", 1, 2); return 0; }\n'
    obj = compile_text(tmp_path, _arch_source("x86", body))
    assert helper_calls(obj, "iter/task") == [126]


def test_bpf_snprintf_calls_bpf_snprintf(tmp_path: Path) -> None:
    body = 'SEC("tp/x") int prog(void *ctx) { char b[8]; return BPF_SNPRINTF(b, sizeof(b), "%d", 7); }\n'
    obj = compile_text(tmp_path, _arch_source("x86", body))
    assert helper_calls(obj, "tp/x") == [165]
