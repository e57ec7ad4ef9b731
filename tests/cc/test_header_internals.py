"""Our BPF headers' internal plumbing: its own names only, and the argument machinery at full width.

Users write against libbpf's public names (SEC, BPF_PROG, BPF_CORE_READ, ...), which the headers
keep; every macro beneath them is pybpf's own and carries the ``__pybpf_`` prefix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cc_helpers import HELPER_DEFS, LDX_DW, PRELUDE, compile_text, helper_calls, slots

INCLUDE = HELPER_DEFS.parent
HEADERS = sorted(path.name for path in INCLUDE.glob("*.h"))

# Spellings of libbpf's internal plumbing that must not reappear in our headers.
FOREIGN_INTERNALS = [
    r"\b___bpf_\w*",  # libbpf's ___bpf_concat/apply/nth/narg/fill/ctx/kprobe/arrow/... family
    r"____##",  # libbpf's naming of the inner body function of BPF_PROG & co
    r"\b__bpf_(?:v?printk|ntoh[sl]|hton[sl]|constant_\w+)\b",
    r"\b__PT_\w+",  # libbpf's __PT_REGS_CAST / __PT_PARM1_REG register tables
    # libbpf's USDT spec records: ours are struct pybpf_usdt_site / pybpf_usdt_arg, laid out anew
    r"\b__bpf_usdt_\w+",
    r"\b(?:val_off|reg_off|arg_bitshift|arg_signed|usdt_cookie)\b",
    r"->arg_cnt\b",
]

# Public names a header may define without the pybpf prefix: the API programs are written against.
PUBLIC_PREFIXES = ("PT_REGS_", "BPF_", "bpf_", "__TARGET_ARCH_", "PYBPF_", "__PYBPF_")
PUBLIC_NAMES = {
    "SEC",
    "__uint",
    "__type",
    "__array",
    "__ulong",
    "__always_inline",
    "__noinline",
    "__weak",
    "__hidden",
    "__ksym",
    "__kconfig",
    "__kptr",
    "__kptr_untrusted",
    "__percpu_kptr",
    "__arg_ctx",
    "__arg_nonnull",
    "__arg_nullable",
    "__arg_trusted",
    "__arg_arena",
    "__stringify",
    "likely",
    "unlikely",
    "barrier",
    "barrier_var",
    "offsetof",
    "container_of",
    "KERNEL_VERSION",
}
DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)", re.MULTILINE)


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("pattern", FOREIGN_INTERNALS)
def test_header_uses_none_of_libbpfs_internal_macro_names(header: str, pattern: str) -> None:
    assert re.findall(pattern, (INCLUDE / header).read_text()) == []


@pytest.mark.parametrize("header", HEADERS)
def test_every_macro_a_header_defines_is_public_api_or_pybpf_prefixed(header: str) -> None:
    defined = DEFINE.findall((INCLUDE / header).read_text())
    stray = [
        name
        for name in defined
        if name not in PUBLIC_NAMES
        and not name.startswith(PUBLIC_PREFIXES)
        and not name.startswith("__pybpf_")
    ]
    assert stray == []


def test_headers_directory_holds_the_headers_this_audit_covers() -> None:
    assert {"bpf_helpers.h", "bpf_tracing.h", "bpf_core_read.h", "bpf_endian.h", "usdt.bpf.h"} <= set(HEADERS)


HEADER_INCLUDES = "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n"
X86_REGS = (
    "struct pt_regs { unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di; };\n"
)


@pytest.mark.usefixtures("bpf_cc")
def test_argument_counter_counts_zero_to_twelve_arguments(tmp_path: Path) -> None:
    asserts = "".join(
        f'_Static_assert(__pybpf_argc({", ".join(f"a{i}" for i in range(n))}) == {n}, "argc {n}");\n'
        for n in range(13)
    )
    # An argument that is itself a parenthesised list with commas still counts once.
    asserts += '_Static_assert(__pybpf_argc((x, y), z) == 2, "parenthesised");\n'
    compile_text(tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + asserts)


@pytest.mark.usefixtures("bpf_cc")
def test_each_visits_arguments_in_order_with_one_based_positions(tmp_path: Path) -> None:
    source = (
        PRELUDE
        + X86_REGS
        + HEADER_INCLUDES
        + "#define POS_TIMES_VALUE(pos, x) + (pos) * (x)\n"
        + '_Static_assert(0 __pybpf_each(POS_TIMES_VALUE, 100, 10, 1) == 100 + 20 + 3, "order");\n'
    )
    compile_text(tmp_path, source)


@pytest.mark.usefixtures("bpf_cc")
@pytest.mark.parametrize("count", [0, 1, 6, 12])
def test_bpf_prog_unpacks_up_to_twelve_slots(tmp_path: Path, count: int) -> None:
    params = "".join(f", long a{i}" for i in range(count))
    total = " + ".join(["0", *(f"a{i}" for i in range(count))])
    body = f'SEC("fentry/f") int BPF_PROG(prog{params}) {{ return {total}; }}\n'
    obj = compile_text(tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + body)
    loads = sorted(i.off for i in slots(obj, "fentry/f") if i.opcode == LDX_DW and i.src == 1)
    assert loads == [8 * i for i in range(count)]


def _stack_constants(obj: Path, section: str) -> list[int]:
    """Constants the section stores as u64 on its stack, in address order (mov imm; stx via r10)."""
    known: dict[int, int] = {}
    stored: dict[int, int] = {}
    for insn in slots(obj, section):
        if insn.opcode in (0xB7, 0xB4):  # MOV64_IMM / MOV32_IMM
            known[insn.dst] = insn.imm
        elif insn.opcode == 0x7B and insn.dst == 10 and insn.src in known:  # STX DW [r10 + off]
            stored[insn.off] = known[insn.src]
    return [stored[off] for off in sorted(stored)]


@pytest.mark.usefixtures("bpf_cc")
@pytest.mark.parametrize("count", [4, 7, 12])
def test_bpf_printk_packs_every_argument_in_order_for_vprintk(tmp_path: Path, count: int) -> None:
    args = "".join(f", {100 + i}" for i in range(count))
    body = f'SEC("tp/x") int prog(void *ctx) {{ bpf_printk("x"{args}); return 0; }}\n'
    obj = compile_text(tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + body)
    assert (helper_calls(obj, "tp/x"), _stack_constants(obj, "tp/x")) == (
        [177],
        [100 + i for i in range(count)],
    )


@pytest.mark.usefixtures("bpf_cc")
def test_seq_printf_without_arguments_still_calls_bpf_seq_printf(tmp_path: Path) -> None:
    body = 'SEC("iter/task") int prog(void *ctx) { BPF_SEQ_PRINTF((void *)0, "-\\n"); return 0; }\n'
    obj = compile_text(tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + body)
    assert helper_calls(obj, "iter/task") == [126]


@pytest.mark.usefixtures("bpf_cc")
def test_core_read_through_a_const_source_pointer_reads_each_hop(tmp_path: Path) -> None:
    body = (
        "struct inner { int leaf; };\nstruct outer { struct inner *in; };\n"
        'SEC("kprobe/x") int prog(const struct outer *o) { return BPF_CORE_READ(o, in, leaf); }\n'
    )
    obj = compile_text(tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + body)
    assert helper_calls(obj, "kprobe/x") == [113, 113]


@pytest.mark.usefixtures("bpf_cc")
def test_core_read_nests_inside_another_core_read_and_a_printk(tmp_path: Path) -> None:
    body = (
        "struct inner { int leaf; };\nstruct outer { struct inner *in; };\n"
        'SEC("kprobe/x") int prog(struct outer *o) {\n'
        '\tbpf_printk("%d", BPF_CORE_READ(BPF_CORE_READ(o, in), leaf));\n'
        "\treturn 0;\n}\n"
    )
    obj = compile_text(tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + body)
    assert helper_calls(obj, "kprobe/x") == [113, 113, 6]


@pytest.mark.usefixtures("bpf_cc")
def test_kretprobe_with_two_parameters_fails_to_compile(tmp_path: Path) -> None:
    from pybpf.errors import CompileError

    body = 'SEC("kretprobe/x") int BPF_KRETPROBE(prog, long a, long b) { return a + b; }\n'
    with pytest.raises(CompileError):
        compile_text(
            tmp_path, PRELUDE + X86_REGS + HEADER_INCLUDES + body, extra_flags=("-D__TARGET_ARCH_x86",)
        )
