"""A text assembler for the three syntaxes people meet: kernel, LLVM and bpf_conformance.

The kernel and LLVM syntaxes are both C-like (``r1 += 4``, ``if r1 > 3 goto +2``), so one parser
reads them, tolerating everything the disassembler and the reference tools add around an
instruction (``   0: (bf)`` prefixes, raw bytes, ``<label>`` annotations, ``; source`` lines,
function headers).  They differ in one place only: the kernel prints a lddw constant as bare hex
(``r1 = 0x5``) while LLVM writes ``r1 = 5 ll``; ``dialect`` (or detection) settles that.

The bpf_conformance dialect is the uBPF-style ``mnemonic operand, ...`` form (``mov32 %r0, 1``,
``ldxw %r0, [%r1+4]``, ``jeq %r1, 0, +2``, ``call local f``).  All dialects accept ``name:`` labels
as jump and call targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pybpf._dataclasses import dataclass

from ..errors import AssemblerError, InvalidInstruction
from .helpers import HELPER_IDS, helper_id
from .instruction import Instruction
from .opcodes import (
    ADDR_SPACE_CAST_OFF,
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    InsnClass,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)
from .validate import reserved_field_error

Dialect = Literal["kernel", "llvm", "conformance"]

_NUM = r"[+-]?(?:0x[0-9a-fA-F]+|\d+)"
_LABEL = r"[A-Za-z_.$][\w.$]*"

_ALU_BY_SYMBOL = {
    "+=": (AluOp.ADD, 0),
    "-=": (AluOp.SUB, 0),
    "*=": (AluOp.MUL, 0),
    "/=": (AluOp.DIV, 0),
    "|=": (AluOp.OR, 0),
    "&=": (AluOp.AND, 0),
    "<<=": (AluOp.LSH, 0),
    ">>=": (AluOp.RSH, 0),
    "%=": (AluOp.MOD, 0),
    "^=": (AluOp.XOR, 0),
    "s>>=": (AluOp.ARSH, 0),
    "s/=": (AluOp.DIV, 1),
    "s%=": (AluOp.MOD, 1),
    "=": (AluOp.MOV, 0),
}
_JMP_BY_SYMBOL = {
    "==": JmpOp.JEQ,
    ">": JmpOp.JGT,
    ">=": JmpOp.JGE,
    "&": JmpOp.JSET,
    "!=": JmpOp.JNE,
    "s>": JmpOp.JSGT,
    "s>=": JmpOp.JSGE,
    "<": JmpOp.JLT,
    "<=": JmpOp.JLE,
    "s<": JmpOp.JSLT,
    "s<=": JmpOp.JSLE,
}
_SIZE_BY_TYPE = {"8": Size.B, "16": Size.H, "32": Size.W, "64": Size.DW}
_ATOMIC_BY_NAME = {"add": AtomicOp.ADD, "or": AtomicOp.OR, "and": AtomicOp.AND, "xor": AtomicOp.XOR}
_ATOMIC_BY_SYMBOL = {"+=": AtomicOp.ADD, "|=": AtomicOp.OR, "&=": AtomicOp.AND, "^=": AtomicOp.XOR}
_NOTES = {
    "map_fd": PseudoSrc.MAP_FD,
    "map_value": PseudoSrc.MAP_VALUE,
    "btf_id": PseudoSrc.BTF_ID,
    "func": PseudoSrc.FUNC,
    "map_idx": PseudoSrc.MAP_IDX,
    "map_idx_value": PseudoSrc.MAP_IDX_VALUE,
    "pseudo_call": CallSrc.PSEUDO_CALL,
    "kfunc": CallSrc.KFUNC_CALL,
}


@dataclass
class _Pending:
    """An instruction whose jump/call offset may still name a label."""

    insn: Instruction
    line: int
    text: str
    label: str | None = None
    field: str = "off"  # which field the label's relative offset goes into


class _LineError(Exception):
    """Raised inside a line parser; turned into AssemblerError with the line number."""


def _num(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise _LineError(f"bad number {text!r}") from None


def _reg(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"%?([rw])(\d+)", text.strip())
    if not match or int(match.group(2)) > 10:
        raise _LineError(f"bad register {text.strip()!r}")
    return match.group(1), int(match.group(2))


# -- line clean-up ---------------------------------------------------------------------------------

_SLOT_PREFIX = re.compile(r"^\s*\d+:\s*")
_RAW_BYTES = re.compile(r"^(?:[0-9a-f]{2}[ \t]){7,15}[0-9a-f]{2}(?:\t|\s{2,}|$)\s*")
_OPCODE_PREFIX = re.compile(r"^\(([0-9a-f]{2})\)\s*")
_TARGET_NOTE = re.compile(r"\s*<[^<>]*>\s*$")
_IGNORED = re.compile(
    r"^(?:[0-9a-f]{16} <.*>:|Disassembly of section .*|.*:\s+file format .*|(?:[0-9a-f]{2}\s+)+[0-9a-f]{2})$"
)
_FUNC_HEADER = re.compile(r"^[^:;#]*\([^()]*\)\s*:$")
_SYMBOL_HEADER = re.compile(r"^[0-9a-f]{16} <(" + _LABEL + r")>:$")


_CONF_LINE = re.compile(
    r"^(?:(?:add|sub|mul|div|sdiv|or|and|lsh|rsh|neg|mod|smod|xor|mov|arsh)(?:32|64)?|movsx\d+|"
    r"(?:le|be|bswap|swap)\d+|ldx\w+|ldabs\w+|ldind\w+|stx?(?:b|h|w|dw)|lddw|ja|ja32|j[a-z]+(?:32)?|lock|call)"
    r"\s+[^=;()]*$"
)


def detect_dialect(text: str) -> Dialect:
    """Guess the dialect: ``%r`` registers or mnemonic lines mean conformance, ``(xx)`` opcode
    prefixes, ``goto pc+N`` or ``call name#N`` mean kernel, anything else LLVM."""
    for raw in text.splitlines():
        line = raw.strip() if re.search(r"call \S+#", raw) else raw.split("#", 1)[0].strip()
        if not line or line.startswith(";") or line.endswith(":") or re.match(r"\d+:", line):
            continue
        if "%r" in line:
            return "conformance"
        c_like = re.match(r"^(?:exit|call|callx|goto|gotol|may_goto|if)\b", line)
        if not c_like and _CONF_LINE.match(line):
            return "conformance"
    for raw in text.splitlines():
        if re.search(
            r"^\s*\d+:\s*\([0-9a-f]{2}\)|goto pc[+-]|call pc[+-]|call [\w-]+#-?\d+|\(r\d+ [+-]\d", raw
        ):
            return "kernel"
    return "llvm"


def assemble(text: str, *, dialect: Dialect | None = None) -> list[Instruction]:
    """Instructions from assembly text; raises :class:`AssemblerError` naming the line."""
    chosen = dialect or detect_dialect(text)
    if chosen not in ("kernel", "llvm", "conformance"):
        raise AssemblerError(f"unknown dialect {chosen!r}")
    parse: Callable[[str], _Parsed] = (
        _parse_conformance
        if chosen == "conformance"
        else (lambda line: _parse_c_like(line, kernel=chosen == "kernel"))
    )
    pending: list[_Pending] = []
    labels: dict[str, int] = {}
    slots: list[int] = []
    slot = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        try:
            line = _clean(raw, chosen)
            if line is None:
                continue
            label = re.fullmatch(r"(" + _LABEL + r")\s*:", line) or _SYMBOL_HEADER.fullmatch(line)
            if label:
                if label.group(1) in labels:
                    raise _LineError(f"label {label.group(1)!r} defined twice")
                labels[label.group(1)] = slot
                continue
            if _IGNORED.match(line) or _FUNC_HEADER.match(line):
                continue
            opcode: int | None = None
            prefix = _OPCODE_PREFIX.match(line)
            if prefix:
                opcode = int(prefix.group(1), 16)
                line = line[prefix.end() :]
            if chosen != "conformance" and opcode == LDDW:
                line = _force_lddw(line)
            parsed = parse(line)
        except (_LineError, InvalidInstruction) as exc:
            raise AssemblerError(str(exc), line=number, text=raw) from None
        insn, target, field = parsed
        if opcode is not None and opcode != insn.opcode:
            raise AssemblerError(
                f"opcode ({opcode:02x}) does not match the instruction ({insn.opcode:02x})",
                line=number,
                text=raw,
            )
        pending.append(_Pending(insn, number, raw, target, field))
        slots.append(slot)
        slot += insn.slots
    return [_resolve(item, at, labels, pending, slots) for item, at in zip(pending, slots, strict=True)]


def _resolve(
    item: _Pending, slot: int, labels: dict[str, int], pending: list[_Pending], slots: list[int]
) -> Instruction:
    insn = item.insn
    if item.label is not None:
        target = labels.get(item.label)
        if target is None and item.label == "exit":
            # The conformance suite jumps to "exit" without defining it: the next exit instruction.
            later = [s for p, s in zip(pending, slots, strict=True) if p.insn.is_exit and s > slot]
            target = later[0] if later else None
        if target is None:
            raise AssemblerError(f"undefined label {item.label!r}", line=item.line, text=item.text)
        try:
            insn = insn.replace(**{item.field: target - slot - 1})
        except InvalidInstruction as exc:
            raise AssemblerError(str(exc), line=item.line, text=item.text) from None
    reason = reserved_field_error(insn.opcode, insn.dst, insn.src, insn.off, insn.imm_lo)
    if reason is not None:
        raise AssemblerError(reason, line=item.line, text=item.text)
    return insn


def _clean(raw: str, dialect: Dialect) -> str | None:
    """The instruction part of a line, or None when the line holds no instruction."""
    line = raw.strip()
    if dialect == "conformance":
        line = line.split("#", 1)[0].split("//", 1)[0].strip()
        return line or None
    if line.startswith(";") or line.startswith("//") or line.startswith("#") or not line:
        return None
    line = line.split("//", 1)[0].strip()
    line = _SLOT_PREFIX.sub("", line)
    line = _RAW_BYTES.sub("", line)
    return line.strip() or None


def _force_lddw(line: str) -> str:
    """With a ``(18)`` prefix any constant is a lddw constant, even one written in decimal."""
    match = re.fullmatch(r"(r\d+\s*=\s*)(" + _NUM + r")", line)
    return f"{match.group(1)}{match.group(2)} ll" if match else line


# -- kernel and LLVM syntax -----------------------------------------------------------------------

_Parsed = tuple[Instruction, str | None, str]
_CParser = Callable[[str, bool, "int | None"], "_Parsed | None"]

_MEM = r"\*\(([us])(8|16|32|64) \*\)\(\s*r(\d+)\s*(?:([+-])\s*(\w+))?\s*\)"
_ADDR = r"r(\d+)\s*([+-])\s*(\w+)"
_REG = r"([rw])(\d+)"
_TARGET = r"(?:pc)?([+-]\d+)|(" + _LABEL + r")"


def _offset(sign: str | None, value: str | None) -> int:
    if value is None:
        return 0
    number = _num(value)
    return -number if sign == "-" else number


def _target(text_off: str | None, text_label: str | None) -> tuple[int, str | None]:
    if text_off is not None:
        return _num(text_off), None
    return 0, text_label


def _parse_c_like(line: str, *, kernel: bool) -> _Parsed:
    note: int | None = None
    module = 0
    comment = re.search(r"\s*;\s*(\w+)(?:\s+off:(-?\d+))?\s*$", line)
    if comment:
        if comment.group(1) not in _NOTES:
            raise _LineError(f"unknown annotation {comment.group(1)!r}")
        note = _NOTES[comment.group(1)]
        module = int(comment.group(2) or 0)
        line = line[: comment.start()]
    line = _TARGET_NOTE.sub("", line).strip()
    line = re.sub(r"\s+", " ", line)
    for parser in _parsers_for(line):
        result = parser(line, kernel, note)
        if result is not None:
            if module:
                if not result[0].is_kfunc_call:
                    raise _LineError("only kfunc calls take a module index")
                return result[0].replace(off=module), result[1], result[2]
            return result
    raise _LineError("unrecognised instruction")


def _c_control(line: str, kernel: bool, note: int | None) -> _Parsed | None:
    if line == "exit":
        return Instruction(0x95), None, "off"
    m = re.fullmatch(r"callx " + _REG, line)
    if m:
        return Instruction(0x8D, dst=int(m.group(2))), None, "off"
    m = re.fullmatch(r"call pc([+-]\d+)(?:#\S+)?", line)
    if m:
        return Instruction(0x85, src=CallSrc.PSEUDO_CALL, imm=_num(m.group(1))), None, "off"
    m = re.fullmatch(r"call ([\w.-]+)#(-?\d+)(?:\[off:(-?\d+)\])?", line)
    if m:
        name, imm = m.group(1), _num(m.group(2))
        src = CallSrc.HELPER
        if name == "kernel-function" or (name != "unknown" and HELPER_IDS.get(name) != imm) or m.group(3):
            src = CallSrc.KFUNC_CALL
        return Instruction(0x85, src=src, off=int(m.group(3) or 0), imm=imm), None, "off"
    m = re.fullmatch(r"call (" + _NUM + r")", line)
    if m:
        return Instruction(0x85, src=note or 0, imm=_num(m.group(1))), None, "off"
    m = re.fullmatch(r"call (" + _LABEL + r")", line)
    if m:
        found = helper_id(m.group(1))
        if found is not None:
            return Instruction(0x85, imm=found), None, "off"
        return Instruction(0x85, src=CallSrc.PSEUDO_CALL), m.group(1), "imm"
    m = re.fullmatch(r"(goto|gotol|may_goto) (?:" + _TARGET + r")", line)
    if m:
        value, label = _target(m.group(2), m.group(3))
        if m.group(1) == "gotol":
            return Instruction(0x06, imm=value), label, "imm"
        return Instruction(0x05 if m.group(1) == "goto" else 0xE5, off=value), label, "off"
    m = re.fullmatch(
        r"if " + _REG + r" (\S+) (?:" + _REG + r"|(" + _NUM + r")) goto (?:" + _TARGET + r")", line
    )
    if m:
        kind, dst, symbol = m.group(1), int(m.group(2)), m.group(3)
        if symbol not in _JMP_BY_SYMBOL:
            raise _LineError(f"unknown comparison {symbol!r}")
        cls = InsnClass.JMP32 if kind == "w" else InsnClass.JMP
        value, label = _target(m.group(7), m.group(8))
        if m.group(4) is not None:
            if m.group(4) != kind:
                raise _LineError("mixed r and w registers in a comparison")
            insn = Instruction(_JMP_BY_SYMBOL[symbol] | Source.X | cls, dst, int(m.group(5)), value)
        else:
            insn = Instruction(_JMP_BY_SYMBOL[symbol] | cls, dst, 0, value, _num(m.group(6)))
        return insn, label, "off"
    return None


def _c_memory(line: str, kernel: bool, note: int | None) -> _Parsed | None:
    m = re.fullmatch(_REG + r" = " + _MEM, line)
    if m:
        signed = m.group(3) == "s"
        if signed and m.group(1) == "w":
            raise _LineError("sign-extending loads write a 64-bit register")
        mode = Mode.MEMSX if signed else Mode.MEM
        size = _SIZE_BY_TYPE[m.group(4)]
        _check_width(m.group(1), size)
        off = _offset(m.group(6), m.group(7))
        return Instruction(mode | size | InsnClass.LDX, int(m.group(2)), int(m.group(5)), off), None, "off"
    m = re.fullmatch(_MEM + r" = (?:" + _REG + r"|(" + _NUM + r"))", line)
    if m:
        if m.group(1) != "u":
            raise _LineError("stores take an unsigned type")
        size = _SIZE_BY_TYPE[m.group(2)]
        off = _offset(m.group(4), m.group(5))
        if m.group(6) is not None:
            _check_width(m.group(6), size)
            return (
                Instruction(Mode.MEM | size | InsnClass.STX, int(m.group(3)), int(m.group(7)), off),
                None,
                "off",
            )
        return (
            Instruction(Mode.MEM | size | InsnClass.ST, int(m.group(3)), 0, off, _num(m.group(8))),
            None,
            "off",
        )
    m = re.fullmatch(
        r"r0 = \*\(u(8|16|32|64) \*\)skb\[(?:r(\d+)(?: \+ (" + _NUM + r"))?|(" + _NUM + r"))\]", line
    )
    if m:
        size = _SIZE_BY_TYPE[m.group(1)]
        if m.group(2) is not None:
            imm = _num(m.group(3)) if m.group(3) else 0
            return Instruction(Mode.IND | size | InsnClass.LD, 0, int(m.group(2)), 0, imm), None, "off"
        return Instruction(Mode.ABS | size | InsnClass.LD, 0, 0, 0, _num(m.group(4))), None, "off"
    return None


def _check_width(kind: str, size: Size) -> None:
    if kind == "w" and size == Size.DW:
        raise _LineError("a 64-bit access needs an r register")


def _c_atomic(line: str, kernel: bool, note: int | None) -> _Parsed | None:
    m = re.fullmatch(r"lock " + _MEM + r" (\S+) " + _REG, line)
    if m:
        if m.group(6) not in _ATOMIC_BY_SYMBOL:
            raise _LineError(f"unknown atomic operation {m.group(6)!r}")
        size = _SIZE_BY_TYPE[m.group(2)]
        off = _offset(m.group(4), m.group(5))
        return (
            _atomic_insn(size, _ATOMIC_BY_SYMBOL[m.group(6)], int(m.group(3)), int(m.group(8)), off),
            None,
            "off",
        )
    m = re.fullmatch(
        _REG
        + r" = atomic(64)?_fetch_(add|or|and|xor)\(\(u(32|64) \*\)\(\s*"
        + _ADDR
        + r"\s*\), "
        + _REG
        + r"\)",
        line,
    )
    if m:
        size = _atomic_size(m.group(5))
        _same_reg(m.group(2), m.group(10))
        op = AtomicOp(_ATOMIC_BY_NAME[m.group(4)] | AtomicOp.FETCH)
        off = _offset(m.group(7), m.group(8))
        return _atomic_insn(size, op, int(m.group(6)), int(m.group(10)), off), None, "off"
    m = re.fullmatch(
        _REG + r" = atomic(64)?_xchg\(\(u(32|64) \*\)\(\s*" + _ADDR + r"\s*\), " + _REG + r"\)", line
    )
    if m:
        _same_reg(m.group(2), m.group(9))
        off = _offset(m.group(6), m.group(7))
        return (
            _atomic_insn(_atomic_size(m.group(4)), AtomicOp.XCHG, int(m.group(5)), int(m.group(9)), off),
            None,
            "off",
        )
    m = re.fullmatch(_REG + r" = xchg(32)?_(32|64)\(" + _ADDR + r", " + _REG + r"\)", line)
    if m:
        _same_reg(m.group(2), m.group(9))
        off = _offset(m.group(6), m.group(7))
        size = _atomic_size(m.group(4))
        return _atomic_insn(size, AtomicOp.XCHG, int(m.group(5)), int(m.group(9)), off), None, "off"
    m = re.fullmatch(
        r"[rw]0 = atomic(64)?_cmpxchg\(\(u(32|64) \*\)\(\s*" + _ADDR + r"\s*\), [rw]0, " + _REG + r"\)", line
    )
    if m:
        off = _offset(m.group(4), m.group(5))
        return (
            _atomic_insn(_atomic_size(m.group(2)), AtomicOp.CMPXCHG, int(m.group(3)), int(m.group(7)), off),
            None,
            "off",
        )
    m = re.fullmatch(r"[rw]0 = cmpxchg(32)?_(32|64)\(" + _ADDR + r", [rw]0, " + _REG + r"\)", line)
    if m:
        off = _offset(m.group(4), m.group(5))
        return (
            _atomic_insn(_atomic_size(m.group(2)), AtomicOp.CMPXCHG, int(m.group(3)), int(m.group(7)), off),
            None,
            "off",
        )
    m = re.fullmatch(_REG + r" = load_acquire\(\(u(8|16|32|64) \*\)\(\s*" + _ADDR + r"\s*\)\)", line)
    if m:
        size = _SIZE_BY_TYPE[m.group(3)]
        off = _offset(m.group(5), m.group(6))
        return _atomic_insn(size, AtomicOp.LOAD_ACQ, int(m.group(2)), int(m.group(4)), off), None, "off"
    m = re.fullmatch(r"store_release\(\(u(8|16|32|64) \*\)\(\s*" + _ADDR + r"\s*\), " + _REG + r"\)", line)
    if m:
        size = _SIZE_BY_TYPE[m.group(1)]
        off = _offset(m.group(3), m.group(4))
        return _atomic_insn(size, AtomicOp.STORE_REL, int(m.group(2)), int(m.group(6)), off), None, "off"
    return None


def _atomic_size(bits: str) -> Size:
    return Size.DW if bits == "64" else Size.W


def _same_reg(a: str, b: str) -> None:
    if a != b:
        raise _LineError("an atomic fetch returns into its source register")


def _atomic_insn(size: Size, op: AtomicOp, dst: int, src: int, off: int) -> Instruction:
    """For LOAD_ACQ ``dst`` is the loaded register and ``src`` the pointer, as the kernel encodes it."""
    return Instruction(Mode.ATOMIC | size | InsnClass.STX, dst, src, off, int(op))


_PSEUDO_FORMS = [
    (re.compile(r"map\[id:(\d+)\]\[0\]\+(\d+)"), PseudoSrc.MAP_VALUE, True),
    (re.compile(r"map\[idx:(\d+)\]\+(\d+)"), PseudoSrc.MAP_IDX_VALUE, True),
    (re.compile(r"map\[id:(\d+)\](?:\[hi:(\d+)\])?"), PseudoSrc.MAP_FD, False),
    (re.compile(r"map\[idx:(\d+)\](?:\[hi:(\d+)\])?"), PseudoSrc.MAP_IDX, False),
    (re.compile(r"btf_id\[(\d+)\](?:\[hi:(\d+)\])?"), PseudoSrc.BTF_ID, False),
    (re.compile(r"subprog\[([+-]\d+)\](?:\[hi:(\d+)\])?"), PseudoSrc.FUNC, False),
]


def _c_alu(line: str, kernel: bool, note: int | None) -> _Parsed | None:
    m = re.fullmatch(r"r(\d+) = (\S+)", line)
    if m:
        for pattern, src, _ in _PSEUDO_FORMS:
            form = pattern.fullmatch(m.group(2))
            if form:
                lo = _num(form.group(1)) & 0xFFFFFFFF
                hi = _num(form.group(2)) if form.group(2) else 0
                return Instruction(LDDW, int(m.group(1)), src, 0, (hi << 32) | lo), None, "off"
    m = re.fullmatch(r"r(\d+) = (" + _NUM + r") ll", line)
    if m:
        value = _num(m.group(2))
        if not -(1 << 63) <= value < 1 << 64:
            raise _LineError("constant does not fit in 64 bits")
        return Instruction(LDDW, int(m.group(1)), note or 0, 0, value), None, "off"
    if kernel:
        m = re.fullmatch(r"r(\d+) = ([+-]?0x[0-9a-fA-F]+)", line)
        if m:
            return Instruction(LDDW, int(m.group(1)), note or 0, 0, _num(m.group(2))), None, "off"
    m = re.fullmatch(_REG + r" = -" + _REG, line)
    if m:
        if m.group(1) != m.group(3) or m.group(2) != m.group(4):
            raise _LineError("negation works in place")
        return Instruction(AluOp.NEG | _alu_class(m.group(1)), int(m.group(2))), None, "off"
    m = re.fullmatch(r"r(\d+) = (be|le|bswap)(16|32|64) r(\d+)", line)
    if m:
        if m.group(1) != m.group(4):
            raise _LineError("byte swaps work in place")
        opcode = {"le": 0xD4, "be": 0xDC, "bswap": 0xD7}[m.group(2)]
        return Instruction(opcode, int(m.group(1)), imm=int(m.group(3))), None, "off"
    m = re.fullmatch(r"r(\d+) = addr_space_cast\(r(\d+), (\d+), (\d+)\)", line)
    if m:
        imm = (_num(m.group(3)) << 16) | _num(m.group(4))
        return Instruction(0xBF, int(m.group(1)), int(m.group(2)), ADDR_SPACE_CAST_OFF, imm), None, "off"
    m = re.fullmatch(_REG + r" = \(s(8|16|32)\)" + _REG, line)
    if m:
        if m.group(1) != m.group(4):
            raise _LineError("mixed r and w registers")
        return (
            Instruction(
                AluOp.MOV | Source.X | _alu_class(m.group(1)),
                int(m.group(2)),
                int(m.group(5)),
                int(m.group(3)),
            ),
            None,
            "off",
        )
    m = re.fullmatch(_REG + r" (\S+) (?:" + _REG + r"|(" + _NUM + r"))", line)
    if m:
        if m.group(3) not in _ALU_BY_SYMBOL:
            return None
        op, signed = _ALU_BY_SYMBOL[m.group(3)]
        cls = _alu_class(m.group(1))
        if m.group(4) is not None:
            if m.group(4) != m.group(1):
                raise _LineError("mixed r and w registers")
            return Instruction(op | Source.X | cls, int(m.group(2)), int(m.group(5)), signed), None, "off"
        return Instruction(op | cls, int(m.group(2)), 0, signed, _num(m.group(6))), None, "off"
    return None


def _alu_class(kind: str) -> InsnClass:
    return InsnClass.ALU if kind == "w" else InsnClass.ALU64


_C_PARSERS = (_c_control, _c_memory, _c_atomic, _c_alu)
_CONTROL_WORDS = frozenset({"exit", "call", "callx", "goto", "gotol", "may_goto", "if"})
_ATOMIC_WORDS = ("atomic", "xchg", "load_acquire", "store_release")


def _parsers_for(line: str) -> tuple[_CParser, ...]:
    """The parser a line most likely needs first (the others follow): a speed-up, not a rule."""
    head = line.split(" ", 1)[0]
    if head in _CONTROL_WORDS:
        first = _c_control
    elif head == "lock" or any(word in line for word in _ATOMIC_WORDS):
        first = _c_atomic
    elif "*(" in line:
        first = _c_memory
    else:
        first = _c_alu
    return (first, *(parser for parser in _C_PARSERS if parser is not first))


# -- conformance dialect --------------------------------------------------------------------------

_CONF_ALU = {
    "add": AluOp.ADD,
    "sub": AluOp.SUB,
    "mul": AluOp.MUL,
    "div": AluOp.DIV,
    "or": AluOp.OR,
    "and": AluOp.AND,
    "lsh": AluOp.LSH,
    "rsh": AluOp.RSH,
    "neg": AluOp.NEG,
    "mod": AluOp.MOD,
    "xor": AluOp.XOR,
    "mov": AluOp.MOV,
    "arsh": AluOp.ARSH,
    "sdiv": AluOp.DIV,
    "smod": AluOp.MOD,
}
_CONF_JMP = {
    "jeq": JmpOp.JEQ,
    "jgt": JmpOp.JGT,
    "jge": JmpOp.JGE,
    "jset": JmpOp.JSET,
    "jne": JmpOp.JNE,
    "jsgt": JmpOp.JSGT,
    "jsge": JmpOp.JSGE,
    "jlt": JmpOp.JLT,
    "jle": JmpOp.JLE,
    "jslt": JmpOp.JSLT,
    "jsle": JmpOp.JSLE,
}
_CONF_SIZE = {"b": Size.B, "h": Size.H, "w": Size.W, "dw": Size.DW}
_CONF_MEM = re.compile(r"\[\s*%r(\d+)\s*(?:([+-])\s*(\w+))?\s*\]")


def _conf_mem(text: str) -> tuple[int, int]:
    m = _CONF_MEM.fullmatch(text.strip())
    if not m or int(m.group(1)) > 10:
        raise _LineError(f"bad memory operand {text.strip()!r}")
    return int(m.group(1)), _offset(m.group(2), m.group(3))


def _conf_reg(text: str) -> int:
    if not text.strip().startswith("%"):
        raise _LineError(f"expected a register, got {text.strip()!r}")
    return _reg(text)[1]


def _conf_target(text: str) -> tuple[int, str | None]:
    text = text.strip()
    if re.fullmatch(_NUM, text):
        return _num(text), None
    if re.fullmatch(_LABEL, text):
        return 0, text
    raise _LineError(f"bad jump target {text!r}")


def _parse_conformance(line: str) -> _Parsed:
    mnemonic, _, rest = line.partition(" ")
    ops = [part.strip() for part in rest.split(",")] if rest.strip() else []
    if mnemonic == "lock":
        return _conf_lock(rest.strip())
    if mnemonic == "exit" and not ops:
        return Instruction(0x95), None, "off"
    if mnemonic == "call":
        return _conf_call(ops)
    if mnemonic in ("ja", "ja32"):
        _arity(ops, 1)
        value, label = _conf_target(ops[0])
        if mnemonic == "ja32":
            return Instruction(0x06, imm=value), label, "imm"
        return Instruction(0x05, off=value), label, "off"
    m = re.fullmatch(r"(j[a-z]+?)(32)?", mnemonic)
    if m and m.group(1) in _CONF_JMP:
        _arity(ops, 3)
        cls = InsnClass.JMP32 if m.group(2) else InsnClass.JMP
        dst = _conf_reg(ops[0])
        value, label = _conf_target(ops[2])
        jop = _CONF_JMP[m.group(1)]
        if ops[1].startswith("%"):
            return Instruction(jop | Source.X | cls, dst, _conf_reg(ops[1]), value), label, "off"
        return Instruction(jop | cls, dst, 0, value, _num(ops[1])), label, "off"
    m = re.fullmatch(r"movsx(8|16|32)(32|64)", mnemonic)
    if m:
        _arity(ops, 2)
        cls = InsnClass.ALU if m.group(2) == "32" else InsnClass.ALU64
        return (
            Instruction(AluOp.MOV | Source.X | cls, _conf_reg(ops[0]), _conf_reg(ops[1]), int(m.group(1))),
            None,
            "off",
        )
    m = re.fullmatch(r"(le|be|bswap|swap)(16|32|64)", mnemonic)
    if m:
        _arity(ops, 1)
        opcode = {"le": 0xD4, "be": 0xDC, "bswap": 0xD7, "swap": 0xD7}[m.group(1)]
        return Instruction(opcode, _conf_reg(ops[0]), imm=int(m.group(2))), None, "off"
    m = re.fullmatch(r"([a-z]+?)(32|64)?", mnemonic)
    if m and m.group(1) in _CONF_ALU:
        cls = InsnClass.ALU if m.group(2) == "32" else InsnClass.ALU64
        op = _CONF_ALU[m.group(1)]
        signed = 1 if m.group(1) in ("sdiv", "smod") else 0
        if op == AluOp.NEG:
            _arity(ops, 1)
            return Instruction(op | cls, _conf_reg(ops[0])), None, "off"
        _arity(ops, 2)
        dst = _conf_reg(ops[0])
        if ops[1].startswith("%"):
            return Instruction(op | Source.X | cls, dst, _conf_reg(ops[1]), signed), None, "off"
        return Instruction(op | cls, dst, 0, signed, _num(ops[1])), None, "off"
    return _conf_memory(mnemonic, ops)


def _conf_memory(mnemonic: str, ops: list[str]) -> _Parsed:
    if mnemonic == "lddw":
        _arity(ops, 2)
        return Instruction(LDDW, _conf_reg(ops[0]), 0, 0, _num(ops[1])), None, "off"
    m = re.fullmatch(r"ldx(s)?(b|h|w|dw)", mnemonic)
    if m:
        _arity(ops, 2)
        mode = Mode.MEMSX if m.group(1) else Mode.MEM
        src, off = _conf_mem(ops[1])
        return (
            Instruction(mode | _CONF_SIZE[m.group(2)] | InsnClass.LDX, _conf_reg(ops[0]), src, off),
            None,
            "off",
        )
    m = re.fullmatch(r"st(x)?(b|h|w|dw)", mnemonic)
    if m:
        _arity(ops, 2)
        dst, off = _conf_mem(ops[0])
        size = _CONF_SIZE[m.group(2)]
        if m.group(1):
            return Instruction(Mode.MEM | size | InsnClass.STX, dst, _conf_reg(ops[1]), off), None, "off"
        return Instruction(Mode.MEM | size | InsnClass.ST, dst, 0, off, _num(ops[1])), None, "off"
    m = re.fullmatch(r"ld(abs|ind)(b|h|w|dw)", mnemonic)
    if m:
        size = _CONF_SIZE[m.group(2)]
        if m.group(1) == "abs":
            _arity(ops, 1)
            return Instruction(Mode.ABS | size | InsnClass.LD, imm=_num(ops[0])), None, "off"
        _arity(ops, 2)
        return Instruction(Mode.IND | size | InsnClass.LD, 0, _conf_reg(ops[0]), 0, _num(ops[1])), None, "off"
    raise _LineError(f"unknown mnemonic {mnemonic!r}")


def _conf_call(ops: list[str]) -> _Parsed:
    _arity(ops, 1)
    operand = ops[0]
    if operand.startswith("%"):
        return Instruction(0x8D, dst=_conf_reg(operand)), None, "off"
    m = re.fullmatch(r"local\s+(" + _LABEL + r"|" + _NUM + r")", operand)
    if m:
        value, label = _conf_target(m.group(1))
        return Instruction(0x85, src=CallSrc.PSEUDO_CALL, imm=value), label, "imm"
    if re.fullmatch(_NUM, operand):
        return Instruction(0x85, imm=_num(operand)), None, "off"
    found = helper_id(operand)
    if found is None:
        raise _LineError(f"unknown helper {operand!r}")
    return Instruction(0x85, imm=found), None, "off"


def _conf_lock(rest: str) -> _Parsed:
    m = re.fullmatch(r"(fetch\s+)?(add|or|and|xor|xchg|cmpxchg)(32)?\s+(\[[^\]]*\])\s*,\s*(\S+)", rest)
    if not m:
        raise _LineError("bad atomic instruction")
    dst, off = _conf_mem(m.group(4))
    size = Size.W if m.group(3) else Size.DW
    name = m.group(2)
    if name == "xchg":
        op = AtomicOp.XCHG
    elif name == "cmpxchg":
        op = AtomicOp.CMPXCHG
    else:
        op = AtomicOp(_ATOMIC_BY_NAME[name] | (AtomicOp.FETCH if m.group(1) else 0))
    return _atomic_insn(size, op, dst, _conf_reg(m.group(5)), off), None, "off"


def _arity(ops: list[str], count: int) -> None:
    if len(ops) != count:
        raise _LineError(f"expected {count} operand(s), got {len(ops)}")
