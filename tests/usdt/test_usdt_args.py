"""Decoding SystemTap SDT argument specs into what the BPF side evaluates."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.usdt import ArgKind, UsdtArg, UsdtArgError, parse_arg, parse_args, split_args

C, R, M = ArgKind.CONST, ArgKind.REG, ArgKind.REG_DEREF

X86_CASES = [
    ("-4@%edi", UsdtArg(4, True, R, 0, "di", 112)),
    ("8@%rax", UsdtArg(8, False, R, 0, "ax", 80)),
    ("-1@%al", UsdtArg(1, True, R, 0, "ax", 80)),
    ("2@%dx", UsdtArg(2, False, R, 0, "dx", 96)),
    ("1@%sil", UsdtArg(1, False, R, 0, "si", 104)),
    ("-4@%r8d", UsdtArg(4, True, R, 0, "r8", 72)),
    ("8@%r15", UsdtArg(8, False, R, 0, "r15", 0)),
    ("2@%r12w", UsdtArg(2, False, R, 0, "r12", 24)),
    ("8@-16(%rbp)", UsdtArg(8, False, M, -16, "bp", 32)),
    ("-4@12(%rsp)", UsdtArg(4, True, M, 12, "sp", 152)),
    ("4@(%rbx)", UsdtArg(4, False, M, 0, "bx", 40)),
    ("8@0x10(%rdi)", UsdtArg(8, False, M, 16, "di", 112)),
    ("-4@$5", UsdtArg(4, True, C, 5, "", 0)),
    ("-4@$-7", UsdtArg(4, True, C, -7, "", 0)),
    ("8@$0x20", UsdtArg(8, False, C, 32, "", 0)),
    ("8@$010", UsdtArg(8, False, C, 10, "", 0)),
    ("%rsi", UsdtArg(8, False, R, 0, "si", 104)),
]

ARM64_CASES = [
    ("-4@x0", UsdtArg(4, True, R, 0, "x0", 0)),
    ("8@x30", UsdtArg(8, False, R, 0, "x30", 240)),
    ("-4@w1", UsdtArg(4, True, R, 0, "x1", 8)),
    ("8@[sp, 16]", UsdtArg(8, False, M, 16, "sp", 248)),
    ("4@[x2]", UsdtArg(4, False, M, 0, "x2", 16)),
    ("-8@[x29, -24]", UsdtArg(8, True, M, -24, "x29", 232)),
    ("-4@5", UsdtArg(4, True, C, 5, "", 0)),
    ("8@sp", UsdtArg(8, False, R, 0, "sp", 248)),
]


@pytest.mark.parametrize(("spec", "expected"), X86_CASES, ids=[c[0] for c in X86_CASES])
def test_x86_64_spec_decodes_to_its_operand(spec: str, expected: UsdtArg) -> None:
    assert parse_arg(spec, "x86_64") == expected


@pytest.mark.parametrize(("spec", "expected"), ARM64_CASES, ids=[c[0] for c in ARM64_CASES])
def test_arm64_spec_decodes_to_its_operand(spec: str, expected: UsdtArg) -> None:
    assert parse_arg(spec, "arm64") == expected


BAD_X86 = [
    ("3@%eax", "size 3"),
    ("x@%eax", "not a number"),
    ("-4@%ah", "unsupported register"),
    ("-4@%xmm0", "unsupported register"),
    ("8@(%rax,%rbx,8)", "indexed"),
    ("8@counter(%rip)", "unsupported x86-64 operand"),
    ("4@eax", "unsupported x86-64 operand"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_X86, ids=[c[0] for c in BAD_X86])
def test_unsupported_x86_64_spec_raises_usdt_arg_error(spec: str, message: str) -> None:
    with pytest.raises(UsdtArgError, match=message):
        parse_arg(spec, "x86_64")


def test_unknown_architecture_raises_usdt_arg_error() -> None:
    with pytest.raises(UsdtArgError, match="riscv"):
        parse_arg("4@a0", "riscv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-4@%edi 8@-16(%rbp) -4@$5", ["-4@%edi", "8@-16(%rbp)", "-4@$5"]),
        ("8@[sp, 16] -4@x0", ["8@[sp, 16]", "-4@x0"]),
        ("", []),
        ("  8@%rax  ", ["8@%rax"]),
    ],
)
def test_argument_string_splits_into_one_spec_per_argument(text: str, expected: list[str]) -> None:
    assert split_args(text) == expected


def test_more_than_twelve_arguments_raises_usdt_arg_error() -> None:
    with pytest.raises(UsdtArgError, match="13 arguments"):
        parse_args(" ".join(["8@%rax"] * 13))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="-0123456789@%$()[], #xabcdeilpqrsw", max_size=40), st.sampled_from(["x86_64", "arm64"])
)
def test_any_argument_text_parses_or_raises_usdt_arg_error(text: str, arch: str) -> None:
    try:
        args = parse_args(text, arch)
    except UsdtArgError:
        return
    assert all(arg.size in (1, 2, 4, 8) for arg in args)
