"""Translate a prepared program into Python source, one Python function per BPF function.

Interpreting instruction by instruction costs a dispatch per instruction; translating the whole
program into Python source and letting CPython compile it removes that: registers become local
variables, immediates become constants, and only memory accesses and helper calls remain
function calls.  Control flow is a ``while`` loop with a binary dispatch tree over *regions*
(blocks entered from several places); blocks with a single predecessor are inlined into their
region, and a region that jumps back to its own head becomes an inner ``while`` loop, so the
usual compiled loop runs with no dispatch at all.  Memory accesses try an unchecked fast path
into the region's buffer first and fall back to the checked accessors of
:mod:`pybpf.vm.memory`, which either perform the access or raise the precise fault.

Every emitted line records the slot it came from, so a fault raised anywhere below a line of
generated code can be traced back to the exact BPF instruction.
"""

from __future__ import annotations

from pybpf._dataclasses import dataclass, field

from ..isa.instruction import Instruction
from ..isa.opcodes import LDDW, AluOp, AtomicOp, InsnClass, JmpOp, Mode, PseudoSrc, Size
from .cfg import Block, ControlFlow, Function
from .errors import ProgramRejected
from .memory import CALLBACK_BASE, STACK_FRAME_SIZE

M64 = "0xFFFFFFFFFFFFFFFF"
M32 = "0xFFFFFFFF"
SIGN64 = 1 << 63
SIGN32 = 1 << 31
#: Limits on inlining single-predecessor blocks: recursion of the generator and nesting of the
#: generated code (CPython refuses ~100 indentation levels) both stay bounded.
_MAX_INLINE_DEPTH = 200
_MAX_INDENT = 40
_SIZES = {size: size.nbytes for size in Size}
_CMP = {
    JmpOp.JEQ: "==",
    JmpOp.JNE: "!=",
    JmpOp.JGT: ">",
    JmpOp.JGE: ">=",
    JmpOp.JLT: "<",
    JmpOp.JLE: "<=",
    JmpOp.JSGT: ">",
    JmpOp.JSGE: ">=",
    JmpOp.JSLT: "<",
    JmpOp.JSLE: "<=",
}
_SIGNED_JUMPS = (JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE)
_RMW = {AtomicOp.ADD: "+", AtomicOp.OR: "|", AtomicOp.AND: "&", AtomicOp.XOR: "^"}
#: ALU operations that read the same at both widths but for the mask that wraps the result.
_WRAPPING = {AluOp.ADD: "+", AluOp.SUB: "-", AluOp.MUL: "*"}


def _wrapped(insn: Instruction, d: str, s: str, mask: str) -> str | None:
    """The code of the ALU operations both widths share, wrapped to ``mask``; None for others.

    ``d`` and ``s`` are the destination and source operands (``s`` already the width's view of
    an immediate).  The sign-extending ``movsx`` takes its width from ``off``.
    """
    op = insn.alu_op
    if op in _WRAPPING:
        return f"{d} = ({d} {_WRAPPING[op]} {s}) & {mask}"
    if op == AluOp.NEG:
        return f"{d} = -{d} & {mask}"
    if op == AluOp.MOV and insn.opcode & 0x08 and insn.off:
        bits = insn.off
        return f"{d} = ((({s} & {(1 << bits) - 1}) ^ {1 << (bits - 1)}) - {1 << (bits - 1)}) & {mask}"
    return None


def _shift_amount(insn: Instruction, s: str, imm: int, bits: int) -> str:
    """A shift's amount, taken modulo the operand width as the ISA defines it."""
    return f"({s} & {bits - 1})" if insn.opcode & 0x08 else str(imm & (bits - 1))


@dataclass
class GeneratedCode:
    """Source of a factory ``_factory(env) -> entry function`` and its line-to-slot map."""

    source: str
    line_slots: list[int]  #: line_slots[lineno - 1] is the slot that emitted that line
    names: set[str] = field(default_factory=set)  #: environment names the source uses


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.slots: list[int] = []
        self.names: set[str] = set()

    def emit(self, indent: int, text: str, slot: int) -> None:
        self.lines.append("    " * indent + text)
        self.slots.append(slot)

    def use(self, name: str) -> str:
        self.names.add(name)
        return name


def r(n: int) -> str:
    return f"r{n}"


def _stack_slot(base: int, off: int, size: int) -> int | None:
    """Buffer offset below r10 of a frame access provably inside the current frame, else None.

    Such accesses (the common ``*(u64 *)(r10 - 8)``) need no run-time check, so generated code
    reads the stack buffer directly; anything else goes through the checked accessors.
    """
    if base != 10 or off % size or not -STACK_FRAME_SIZE <= off <= -size:
        return None
    return off


def _addr(base: int, off: int) -> str:
    if off == 0:
        return r(base)
    sign = "+" if off > 0 else "-"
    return f"({r(base)} {sign} {abs(off)}) & {M64}"


class Translator:
    """Turns a :class:`ControlFlow` into :class:`GeneratedCode`."""

    def __init__(self, flow: ControlFlow, *, budget: int, trace: bool = False) -> None:
        self.flow = flow
        self.budget = budget
        self.trace = trace
        self.w = _Writer()
        # Per function / per region state of the generator.
        self._fn = Function(0)
        self._heads: set[int] = set()
        self._head = 0
        self._looped = False
        self._todo: list[int] = []

    def translate(self) -> GeneratedCode:
        w = self.w
        w.emit(0, "def _factory(env):", 0)
        body_start = len(w.lines)
        for entry in sorted(self.flow.functions):
            self._function(self.flow.functions[entry])
        table = ", ".join(f"{e}: f{e}" for e in sorted(self.flow.functions))
        w.emit(1, f"env['FN'] = {{{table}}}", 0)
        w.emit(1, "return f0", 0)
        prelude = [f"    {name} = env[{name!r}]" for name in sorted(w.names)]
        lines = w.lines[:body_start] + prelude + w.lines[body_start:]
        slots = w.slots[:body_start] + [0] * len(prelude) + w.slots[body_start:]
        return GeneratedCode("\n".join(lines) + "\n", slots, set(w.names))

    # -- structure -------------------------------------------------------------------------

    def _function(self, fn: Function) -> None:
        """Emit one BPF function as a Python function.

        Blocks entered from more than one place (and the entry) head *regions*; a block with a
        single predecessor is emitted inline inside its predecessor's region, so straight-line
        and tree-shaped control flow costs no dispatch.  A region that jumps back to its own
        head is wrapped in ``while True`` and the jump becomes ``continue``: loops run without
        going through the dispatch tree.  Other jumps set ``b`` and leave the region.
        """
        w = self.w
        e = fn.entry
        w.emit(1, f"def f{e}(r1, r2, r3, r4, r5, r10, d):", e)
        w.emit(2, f"fb = {w.use('FB')}[d]", e)
        w.emit(2, "r0 = r6 = r7 = r8 = r9 = 0", e)
        w.emit(2, f"n = {w.use('st')}[0]", e)
        preds: dict[int, int] = dict.fromkeys(fn.blocks, 0)
        preds[e] += 1
        for block in fn.blocks.values():
            for succ in block.successors:
                preds[succ] += 1
        self._fn, self._heads = fn, {s for s, count in preds.items() if count != 1} | {e}
        regions: dict[int, tuple[list[str], list[int]]] = {}
        todo = sorted(self._heads)
        while todo:
            head = todo.pop()
            if head not in regions:
                regions[head] = self._region(head, todo)
        if len(regions) == 1:
            self._splice(regions[e], 2)
            return
        w.emit(2, f"b = {e}", e)
        w.emit(2, "while True:", e)
        self._tree(sorted(regions), regions, 3)

    def _splice(self, code: tuple[list[str], list[int]], indent: int) -> None:
        pad = "    " * indent
        self.w.lines.extend(pad + line for line in code[0])
        self.w.slots.extend(code[1])

    def _tree(self, heads: list[int], regions: dict[int, tuple[list[str], list[int]]], indent: int) -> None:
        if len(heads) == 1:
            self._splice(regions[heads[0]], indent)
            return
        mid = len(heads) // 2
        pivot = heads[mid]
        self.w.emit(indent, f"if b < {pivot}:", pivot)
        self._tree(heads[:mid], regions, indent + 1)
        self.w.emit(indent, "else:", pivot)
        self._tree(heads[mid:], regions, indent + 1)

    def _region(self, head: int, todo: list[int]) -> tuple[list[str], list[int]]:
        """The code of the region headed by ``head``, at indent 0; defers what it cannot inline."""
        blocks = self._fn.blocks
        looped = False
        seen, stack = set(), [head]
        while stack:
            start = stack.pop()
            for succ in blocks[start].successors:
                if succ == head:
                    looped = True
                elif succ not in self._heads and succ not in seen:
                    seen.add(succ)
                    stack.append(succ)
        w = self.w
        saved = w.lines, w.slots
        w.lines, w.slots = [], []
        self._looped, self._head, self._todo = looped, head, todo
        indent = 0
        if looped:
            w.emit(0, "while True:", head)
            indent = 1
        self._emit_block(blocks[head], indent, 0)
        code = w.lines, w.slots
        w.lines, w.slots = saved
        return code

    def _goto(self, target: int, indent: int, depth: int, slot: int) -> None:
        """Continue at ``target``: inline it if it is ours alone, else jump through ``b``."""
        w = self.w
        if target == self._head and self._looped:
            w.emit(indent, "continue", slot)
            return
        if target not in self._heads and depth < _MAX_INLINE_DEPTH and indent < _MAX_INDENT:
            self._emit_block(self._fn.blocks[target], indent, depth + 1)
            return
        if target not in self._heads:  # too deep to inline: it becomes a region of its own
            self._heads.add(target)
            self._todo.append(target)
        w.emit(indent, f"b = {target}", slot)
        w.emit(indent, "break" if self._looped else "continue", slot)

    def _count(self, block: Block, indent: int) -> None:
        """Count the block's instructions; check the budget only at region heads.

        Every cycle of the control-flow graph passes through a region head (a block entered
        from several places, or the entry), so checking there bounds any run while the
        inlined blocks in between stay free of the test.
        """
        first = block.start
        self.w.emit(indent, f"n += {len(block.insns)}", first)
        if first == self._head:
            self.w.emit(indent, f"if n > {self.budget}: {self.w.use('_over')}(n)", first)

    def _emit_block(self, block: Block, indent: int, depth: int) -> None:
        w = self.w
        body, (last_slot, last) = block.insns[:-1], block.insns[-1]
        is_term = last.is_exit or last.is_jump
        if not is_term:
            body = block.insns
        self._count(block, indent)
        for slot, insn in body:
            self._trace(slot, indent)
            self._insn(slot, insn, indent)
        if is_term:
            self._trace(last_slot, indent)
        else:
            (nxt,) = block.successors
            self._goto(nxt, indent, depth, last_slot)
            return
        if last.is_exit:
            w.emit(indent, "st[0] = n", last_slot)
            w.emit(indent, "return r0", last_slot)
            return
        target = last.jump_target(last_slot)
        assert target is not None
        if not last.is_conditional_jump:
            self._goto(target, indent, depth, last_slot)
            return
        w.emit(indent, f"if {self._condition(last_slot, last)}:", last_slot)
        self._goto(target, indent + 1, depth, last_slot)
        self._goto(last_slot + 1, indent, depth, last_slot)

    def _trace(self, slot: int, indent: int) -> None:
        """With tracing on, report each instruction and the registers before it runs."""
        if self.trace:
            regs = ", ".join(r(i) for i in range(11))
            self.w.emit(indent, f"{self.w.use('TRACE')}({slot}, ({regs}))", slot)

    # -- conditions ------------------------------------------------------------------------

    def _condition(self, slot: int, insn: Instruction) -> str:
        op = insn.jmp_op
        if op == JmpOp.JCOND:
            return f"not {self.w.use('_may')}()"
        assert op is not None
        d = r(insn.dst)
        x = bool(insn.opcode & 0x08)
        wide = insn.cls == InsnClass.JMP
        if wide:
            if op == JmpOp.JSET:
                return f"{d} & {r(insn.src) if x else insn.imm & ((1 << 64) - 1)}"
            if op in _SIGNED_JUMPS:
                rhs = f"({r(insn.src)} ^ {SIGN64})" if x else str((insn.imm & ((1 << 64) - 1)) ^ SIGN64)
                return f"({d} ^ {SIGN64}) {_CMP[op]} {rhs}"
            rhs = r(insn.src) if x else str(insn.imm & ((1 << 64) - 1))
            return f"{d} {_CMP[op]} {rhs}"
        if op == JmpOp.JSET:
            return f"{d} & {f'{r(insn.src)} & {M32}' if x else insn.imm & 0xFFFFFFFF}"
        if op in _SIGNED_JUMPS:
            rhs = f"(({r(insn.src)} ^ {SIGN32}) & {M32})" if x else str((insn.imm & 0xFFFFFFFF) ^ SIGN32)
            return f"(({d} ^ {SIGN32}) & {M32}) {_CMP[op]} {rhs}"
        rhs = f"({r(insn.src)} & {M32})" if x else str(insn.imm & 0xFFFFFFFF)
        return f"({d} & {M32}) {_CMP[op]} {rhs}"

    # -- instructions ----------------------------------------------------------------------

    def _insn(self, slot: int, insn: Instruction, indent: int) -> None:
        cls = insn.cls
        if cls == InsnClass.ALU64:
            text = self._alu64(insn)
        elif cls == InsnClass.ALU:
            text = self._alu32(insn)
        elif cls == InsnClass.LDX:
            text = self._ldx(insn)
        elif cls == InsnClass.ST:
            size = _SIZES[Size(insn.opcode & 0x18)]
            value = insn.imm & ((1 << (8 * size)) - 1)
            text = self._store(size, insn.dst, insn.off, str(value))
        elif cls == InsnClass.STX:
            text = self._stx(insn)
        elif cls == InsnClass.LD:
            text = self._ld(insn, slot)
        elif insn.is_call or insn.is_callx:
            text = self._call(slot, insn)
        else:  # pragma: no cover - analyse() only leaves these kinds inside blocks
            raise ProgramRejected(f"unexpected instruction {insn!r} inside a block", index=slot)
        for line in text.split("\n"):
            self.w.emit(indent, line, slot)

    def _alu64(self, insn: Instruction) -> str:
        op = insn.alu_op
        d = r(insn.dst)
        x = bool(insn.opcode & 0x08)
        s = r(insn.src) if x else str(insn.imm & ((1 << 64) - 1))
        imm = insn.imm & ((1 << 64) - 1)
        shared = _wrapped(insn, d, s, M64)
        if shared is not None:
            return shared
        if op == AluOp.DIV:
            if insn.off == 1:
                return f"{d} = {self.w.use('sdiv64')}({d}, {s})"
            if x:
                return f"{d} = {d} // {s} if {s} else 0"
            return f"{d} //= {s}" if imm else f"{d} = 0"
        if op == AluOp.MOD:
            if insn.off == 1:
                return f"{d} = {self.w.use('smod64')}({d}, {s})"
            if x:
                return f"if {s}: {d} %= {s}"
            return f"{d} %= {s}" if imm else "pass"
        if op == AluOp.OR:
            return f"{d} |= {s}"
        if op == AluOp.AND:
            return f"{d} &= {s}"
        if op == AluOp.XOR:
            return f"{d} ^= {s}"
        if op == AluOp.LSH:
            return f"{d} = ({d} << {_shift_amount(insn, s, imm, 64)}) & {M64}"
        if op == AluOp.RSH:
            return f"{d} >>= {s} & 63" if x else f"{d} >>= {imm & 63}"
        if op == AluOp.ARSH:
            return f"{d} = ((({d} ^ {SIGN64}) - {SIGN64}) >> {_shift_amount(insn, s, imm, 64)}) & {M64}"
        if op == AluOp.MOV:
            return f"{d} = {s}"
        if op == AluOp.END:
            return f"{d} = {self.w.use(f'bswap{insn.imm}')}({d})"
        raise ProgramRejected(f"unknown ALU64 operation {insn.opcode:#04x}")

    def _alu32(self, insn: Instruction) -> str:
        op = insn.alu_op
        d = r(insn.dst)
        x = bool(insn.opcode & 0x08)
        imm = insn.imm & 0xFFFFFFFF
        s = r(insn.src) if x else str(imm)
        s32 = f"({r(insn.src)} & {M32})" if x else str(imm)
        shared = _wrapped(insn, d, s, M32)
        if shared is not None:
            return shared
        if op == AluOp.DIV:
            if insn.off == 1:
                return f"{d} = {self.w.use('sdiv32')}({d}, {s})"
            if x:
                return f"{d} = ({d} & {M32}) // {s32} if {s32} else 0"
            return f"{d} = ({d} & {M32}) // {imm}" if imm else f"{d} = 0"
        if op == AluOp.MOD:
            if insn.off == 1:
                return f"{d} = {self.w.use('smod32')}({d}, {s})"
            if x:
                return f"{d} = ({d} & {M32}) % {s32} if {s32} else {d} & {M32}"
            return f"{d} = ({d} & {M32}) % {imm}" if imm else f"{d} &= {M32}"
        if op == AluOp.OR:
            return f"{d} = ({d} | {s}) & {M32}"
        if op == AluOp.AND:
            return f"{d} &= {s32}"
        if op == AluOp.XOR:
            return f"{d} = ({d} ^ {s}) & {M32}"
        amount = _shift_amount(insn, s, imm, 32)
        if op == AluOp.LSH:
            return f"{d} = ({d} << {amount}) & {M32}"
        if op == AluOp.RSH:
            return f"{d} = ({d} & {M32}) >> {amount}"
        if op == AluOp.ARSH:
            return f"{d} = (((({d} & {M32}) ^ {SIGN32}) - {SIGN32}) >> {amount}) & {M32}"
        if op == AluOp.MOV:
            return f"{d} = {s32}"
        if op == AluOp.END:
            if not x:  # to little endian: the host order, so only truncation remains
                return {16: f"{d} &= 0xFFFF", 32: f"{d} &= {M32}", 64: "pass"}[insn.imm]
            return f"{d} = {self.w.use(f'bswap{insn.imm}')}({d})"
        raise ProgramRejected(f"unknown ALU operation {insn.opcode:#04x}")

    def _ldx(self, insn: Instruction) -> str:
        w = self.w
        size = _SIZES[Size(insn.opcode & 0x18)]
        signed = insn.mode == Mode.MEMSX
        unpack = w.use(f"US{size}" if signed else f"U{size}")
        tail = f" & {M64}" if signed else ""
        d = r(insn.dst)
        off = _stack_slot(insn.src, insn.off, size)
        slow = w.use(f"LS{size}" if signed else f"L{size}")
        if off is not None:
            return f"{d} = {unpack}(fb, {STACK_FRAME_SIZE + off})[0]{tail}"
        if insn.src == 10:  # a frame access that may be wrong: let the checked path decide
            return f"{d} = {slow}({_addr(insn.src, insn.off)})"
        addr, prefix = self._address(insn.src, insn.off)
        aligned = f" if not {addr} & {size - 1} else {slow}({addr})" if size > 1 else ""
        return (
            f"{prefix}try: {d} = {unpack}({w.use('RB')}[{addr} >> 32], {addr} & {M32})[0]{tail}{aligned}\n"
            f"except Exception: {d} = {slow}({addr})"
        )

    @staticmethod
    def _address(base: int, off: int) -> tuple[str, str]:
        """The address expression of ``base + off`` and a line computing it first, if needed."""
        if off == 0:
            return r(base), ""
        return "a", f"a = {_addr(base, off)}\n"

    def _store(self, size: int, base: int, off: int, value: str) -> str:
        """A store: unchecked into a provable frame slot, else fast path with checked fallback.

        The fast path indexes ``WB`` (slot -> buffer of fast-path regions, empty otherwise):
        an address outside any window, past a buffer's end or into a read-only or inactive
        region raises inside ``pack_into`` and falls back to the checked store, which either
        performs it or raises the precise fault; misaligned addresses go to it directly, as
        only it knows which regions demand alignment.
        """
        w = self.w
        pack = w.use(f"P{size}")
        if size < 8 and not value.isdigit():
            value = f"{value} & {(1 << (8 * size)) - 1}"
        slot = _stack_slot(base, off, size)
        if slot is not None:
            return f"{pack}(fb, {STACK_FRAME_SIZE + slot}, {value})"
        if base == 10:
            return f"{w.use(f'S{size}')}({_addr(base, off)}, {value})"
        addr, prefix = self._address(base, off)
        slow = f"{w.use(f'S{size}')}({addr}, {value})"
        aligned = f" if not {addr} & {size - 1} else {slow}" if size > 1 else ""
        return (
            f"{prefix}try: {pack}({w.use('WB')}[{addr} >> 32], {addr} & {M32}, {value}){aligned}\n"
            f"except Exception: {slow}"
        )

    def _stx(self, insn: Instruction) -> str:
        size = _SIZES[Size(insn.opcode & 0x18)]
        w = self.w
        S, L = w.use(f"S{size}"), w.use(f"L{size}")
        d, s = insn.dst, r(insn.src)
        if insn.mode == Mode.MEM:
            return self._store(size, d, insn.off, s)
        op = insn.imm
        if op == AtomicOp.LOAD_ACQ:
            return f"{r(insn.dst)} = {L}({_addr(insn.src, insn.off)})"
        if op == AtomicOp.STORE_REL:
            return f"{S}({_addr(d, insn.off)}, {s})"
        mask = M64 if size == 8 else M32
        lines = [f"a = {_addr(d, insn.off)}", f"t = {L}(a)"]
        if op == AtomicOp.XCHG:
            lines += [f"{S}(a, {s})", f"{s} = t"]
        elif op == AtomicOp.CMPXCHG:
            lines += [f"if t == (r0 & {mask}): {S}(a, {s})", "r0 = t"]
        else:
            sym = _RMW[AtomicOp(op & ~AtomicOp.FETCH)]
            lines.append(f"{S}(a, (t {sym} {s}) & {mask})")
            if op & AtomicOp.FETCH:
                lines.append(f"{s} = t")
        return "\n".join(lines)

    def _ld(self, insn: Instruction, slot: int) -> str:
        if insn.opcode == LDDW:
            if insn.src == PseudoSrc.FUNC:  # a callback: an opaque handle naming its entry slot
                return f"{r(insn.dst)} = {CALLBACK_BASE + slot + 1 + insn.imm_lo}"
            return f"{r(insn.dst)} = {insn.imm}"
        size = _SIZES[Size(insn.opcode & 0x18)]
        if insn.mode == Mode.ABS:
            return f"st[0] = n\nr0 = {self.w.use('ABS')}({insn.imm}, {size})"
        return f"st[0] = n\nr0 = {self.w.use('IND')}({r(insn.src)}, {insn.imm}, {size})"

    def _call(self, slot: int, insn: Instruction) -> str:
        w = self.w
        args = "r1, r2, r3, r4, r5"
        if insn.is_callx:
            return f"st[0] = n\nr0 = {w.use('CALLX')}({r(insn.dst)}, {args}) & {M64}"
        if insn.is_pseudo_call:
            target = insn.jump_target(slot)
            enter, leave = w.use("_enter"), w.use("_leave")
            return "\n".join(
                [
                    "st[0] = n",
                    f"r0 = f{target}({args}, {enter}(d + 1), d + 1)",
                    f"{leave}(d + 1)",
                    "n = st[0]",
                ]
            )
        helper = w.use(f"h{insn.imm}") if insn.imm >= 0 else w.use(f"h_{-insn.imm}")
        return f"st[0] = n\nr0 = {helper}({w.use('VM')}, {args}) & {M64}"


def helper_env_name(helper_id: int) -> str:
    """The name generated code uses for a helper (ids can be negative in custom tables)."""
    return f"h{helper_id}" if helper_id >= 0 else f"h_{-helper_id}"


def translate(flow: ControlFlow, *, budget: int, trace: bool = False) -> GeneratedCode:
    return Translator(flow, budget=budget, trace=trace).translate()


__all__ = ["GeneratedCode", "helper_env_name", "translate"]
