"""Decoding USDT argument specs (``-4@%edi``, ``8@-16(%rbp)``, ``-4@$5``, ``8@[sp, 16]``).

The SystemTap SDT format writes each argument as ``[-]SIZE@OPERAND``: the size in bytes, negative
for signed values, then the operand exactly as the assembler spelled it, so the syntax is the
target's assembly syntax (AT&T on x86-64, the A64 one on arm64).  Every operand we accept is one
of three shapes the BPF side can evaluate from ``struct pt_regs``: a constant, a register, or
memory at register + displacement.
"""

from __future__ import annotations

import re

from pybpf._dataclasses import dataclass
from pybpf.errors import ParseError

from .._enum import KernelIntEnum

MAX_ARGS = 12


class UsdtArgError(ParseError):
    """An argument spec that is malformed or uses an operand the BPF side cannot evaluate."""


class ArgKind(KernelIntEnum):
    """How the BPF side computes the value (``PYBPF_USDT_ARG_*`` in ``usdt.bpf.h``)."""

    CONST = 0
    REG = 1
    REG_DEREF = 2


@dataclass(frozen=True)
class UsdtArg:
    """One decoded argument: ``value`` is the constant (CONST) or displacement (REG_DEREF);
    ``reg_offset`` is the register's byte offset in the traced architecture's ``pt_regs``."""

    size: int
    signed: bool
    kind: ArgKind
    value: int = 0
    register: str = ""
    reg_offset: int = 0


# struct pt_regs (arch/x86/include/uapi/asm/ptrace.h, 64-bit): byte offset of each slot.
_X86_SLOTS = {
    "r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56,
    "r9": 64, "r8": 72, "ax": 80, "cx": 88, "dx": 96, "si": 104, "di": 112, "ip": 128, "sp": 152,
}  # fmt: skip


def _x86_register_table() -> dict[str, str]:
    names: dict[str, str] = {"rip": "ip", "eip": "ip"}
    for slot in ("ax", "bx", "cx", "dx"):
        letter = slot[0]
        names.update({f"r{slot}": slot, f"e{slot}": slot, slot: slot, f"{letter}l": slot})
    for slot in ("si", "di", "bp", "sp"):
        names.update({f"r{slot}": slot, f"e{slot}": slot, slot: slot, f"{slot}l": slot})
    for n in range(8, 16):
        for suffix in ("", "d", "w", "b"):
            names[f"r{n}{suffix}"] = f"r{n}"
    return names


_X86_REGISTERS = _x86_register_table()

# struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h): regs[31], sp, pc.
_ARM64_SLOTS = {**{f"x{n}": 8 * n for n in range(31)}, "sp": 248, "pc": 256}
_ARM64_REGISTERS = {
    **{f"x{n}": f"x{n}" for n in range(31)},
    **{f"w{n}": f"x{n}" for n in range(31)},
    "sp": "sp",
    "wsp": "sp",
    "pc": "pc",
    "fp": "x29",
    "lr": "x30",
}

_TOKEN = re.compile(r"\s*((?:-?\d+@)?(?:\[[^\]]*\]|[^\s\[]+))")
_INT = r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+)"
_X86_CONST = re.compile(rf"\$({_INT})")
_X86_REG = re.compile(r"%([a-z0-9]+)")
_X86_MEM = re.compile(rf"({_INT})?\(%([a-z0-9]+)\)")
_ARM64_MEM = re.compile(rf"\[([a-z0-9]+)(?:\s*,\s*#?({_INT}))?\]")
_ARM64_CONST = re.compile(rf"#?({_INT})")


def split_args(text: str) -> list[str]:
    """Split an argument string into one spec per argument (arm64 brackets hold spaces)."""
    specs: list[str] = []
    at = 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise UsdtArgError(f"cannot split USDT arguments {text!r} at column {at}")
        specs.append(match.group(1))
        at = match.end()
    return specs


def parse_args(text: str, arch: str = "x86_64") -> list[UsdtArg]:
    """Decode a whole argument string (as stored in the note) for ``arch`` (x86_64 or arm64)."""
    specs = split_args(text)
    if len(specs) > MAX_ARGS:
        raise UsdtArgError(f"USDT probe has {len(specs)} arguments; at most {MAX_ARGS} are supported")
    return [parse_arg(spec, arch) for spec in specs]


def parse_arg(spec: str, arch: str = "x86_64") -> UsdtArg:
    """Decode one ``[-]SIZE@OPERAND`` spec."""
    size_text, at, operand = spec.partition("@")
    if not at:
        size_text, operand = "8", spec  # SDT version 1 notes carry no size: a word
    try:
        size = int(size_text)
    except ValueError:
        raise UsdtArgError(f"USDT argument {spec!r}: size {size_text!r} is not a number") from None
    signed = size < 0
    size = abs(size)
    if size not in (1, 2, 4, 8):
        raise UsdtArgError(f"USDT argument {spec!r}: size {size} is not 1, 2, 4 or 8")
    if arch == "x86_64":
        kind, value, register = _x86_operand(spec, operand)
        slot = _X86_SLOTS[register] if register else 0
    elif arch == "arm64":
        kind, value, register = _arm64_operand(spec, operand)
        slot = _ARM64_SLOTS[register] if register else 0
    else:
        raise UsdtArgError(f"USDT arguments of architecture {arch!r} are not supported")
    return UsdtArg(size, signed, kind, value, register, slot)


def _number(text: str) -> int:
    """A decimal or ``0x`` hex literal (assemblers print ``010`` as ten, not as octal)."""
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    return sign * (int(body[2:], 16) if body[:2] in ("0x", "0X") else int(body, 10))


def _x86_operand(spec: str, operand: str) -> tuple[ArgKind, int, str]:
    if match := _X86_CONST.fullmatch(operand):
        return ArgKind.CONST, _number(match.group(1)), ""
    if match := _X86_REG.fullmatch(operand):
        return ArgKind.REG, 0, _x86_register(spec, match.group(1))
    if match := _X86_MEM.fullmatch(operand):
        displacement = _number(match.group(1)) if match.group(1) else 0
        return ArgKind.REG_DEREF, displacement, _x86_register(spec, match.group(2))
    if "(" in operand and "," in operand:
        raise UsdtArgError(f"USDT argument {spec!r}: indexed memory operands are not supported")
    raise UsdtArgError(f"USDT argument {spec!r}: unsupported x86-64 operand {operand!r}")


def _x86_register(spec: str, name: str) -> str:
    try:
        return _X86_REGISTERS[name]
    except KeyError:
        raise UsdtArgError(f"USDT argument {spec!r}: unknown or unsupported register %{name}") from None


def _arm64_operand(spec: str, operand: str) -> tuple[ArgKind, int, str]:
    if match := _ARM64_MEM.fullmatch(operand):
        displacement = _number(match.group(2)) if match.group(2) else 0
        return ArgKind.REG_DEREF, displacement, _arm64_register(spec, match.group(1))
    if operand in _ARM64_REGISTERS:
        return ArgKind.REG, 0, _ARM64_REGISTERS[operand]
    if match := _ARM64_CONST.fullmatch(operand):
        return ArgKind.CONST, _number(match.group(1)), ""
    raise UsdtArgError(f"USDT argument {spec!r}: unsupported arm64 operand {operand!r}")


def _arm64_register(spec: str, name: str) -> str:
    try:
        return _ARM64_REGISTERS[name]
    except KeyError:
        raise UsdtArgError(f"USDT argument {spec!r}: unknown register {name}") from None


__all__ = ["MAX_ARGS", "ArgKind", "UsdtArg", "UsdtArgError", "parse_arg", "parse_args", "split_args"]
