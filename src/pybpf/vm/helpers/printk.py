"""``bpf_trace_printk``/``bpf_snprintf`` formatting with the kernel's rules.

The kernel accepts a small printf subset (``bpf_bprintf_prepare``): flags ``-+ 0``, a width and
a precision, the conversions ``d i u x X o c s p %`` with ``l``/``ll`` length modifiers and
``%p`` variants ``px``/``pK``/``pks``/``pus``/``pi4``/``pI4``; anything else is refused
(``-EINVAL``).  Without ``l``, integer conversions use the low 32 bits, as ``int`` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_SPEC = re.compile(rb"%([-+ 0]*)(\d*)(?:\.(\d+))?(ll|l|h|hh|z)?([diuxXocsp%])([xKksu]?s?|[iI]4|[iI]6)?")


class FormatError(Exception):
    """The format string uses something the kernel refuses."""


def format_printk(fmt: bytes, args: Sequence[int], read_string: Callable[[int], bytes]) -> str:
    """Format ``fmt`` (up to its NUL) with ``args`` (64-bit values) the way the kernel does."""
    fmt = fmt.split(b"\0", 1)[0]
    out: list[str] = []
    pos = 0
    used = 0
    while True:
        at = fmt.find(b"%", pos)
        if at < 0:
            out.append(fmt[pos:].decode(errors="replace"))
            break
        out.append(fmt[pos:at].decode(errors="replace"))
        match = _SPEC.match(fmt, at)
        if match is None:
            raise FormatError(f"unsupported conversion at {fmt[at : at + 4]!r}")
        flags, width, precision, length, conv, extra = (
            (g.decode() if g is not None else "") for g in match.groups()
        )
        pos = match.end()
        if conv == "%":
            out.append("%")
            continue
        if used >= len(args):
            raise FormatError("more conversions than arguments")
        value = args[used] & ((1 << 64) - 1)
        used += 1
        out.append(_convert(flags, width, precision, length, conv, extra, value, read_string))
    return "".join(out)


def _convert(
    flags: str,
    width: str,
    precision: str,
    length: str,
    conv: str,
    extra: str,
    value: int,
    read_string: Callable[[int], bytes],
) -> str:
    spec = "%" + flags + width + (f".{precision}" if precision else "")
    if conv == "s":
        return (spec + "s") % read_string(value).decode(errors="replace")
    if conv == "c":
        return (spec + "c") % chr(value & 0xFF)
    if conv == "p":
        if extra in ("i4", "I4"):
            raw = read_string(value)[:4].ljust(4, b"\0")
            return ".".join(str(b) if extra == "I4" else f"{b:03d}" for b in raw)
        if extra in ("ks", "us", "Ks"):
            return read_string(value).decode(errors="replace")
        return (spec + "s") % f"{value:016x}"
    wide = length in ("l", "ll", "z")
    if not wide:
        value &= 0xFFFFFFFF
    if conv in ("d", "i"):
        bits = 64 if wide else 32
        if value >> (bits - 1):
            value -= 1 << bits
        return (spec + "d") % value
    return (spec + {"u": "d", "x": "x", "X": "X", "o": "o"}[conv]) % value


__all__ = ["FormatError", "format_printk"]
