"""Translate a prepared program (:class:`~pybpf.vm.cfg.ControlFlow`) into LLVM IR text.

Each BPF function becomes an LLVM function ``i64 @fN(ptr env, i64 r1..r5, i64 depth)``; BPF
registers live in allocas that LLVM promotes to machine registers, and every BPF basic block
becomes an LLVM block, so LLVM sees the program's real loops and optimises them.  The text is
written directly (no IR builder objects): it is much faster to produce and keeps this module
free of llvmlite, which only :mod:`.engine` imports.

Semantics follow the interpreter exactly (:mod:`pybpf.vm.codegen`): kernel rules for division
and modulo by zero and ``INT_MIN / -1`` (which LLVM leaves undefined, so they are selected
around), masked shift amounts, zero extension of 32-bit results, and every memory access
checked against the region table unless it is a provably in-frame stack slot.  A refused access,
an exhausted budget or a too-deep call records its details in the environment and returns 0;
callers see the non-zero status after each call and return too, so control comes back to
Python without unwinding tricks.
"""

from __future__ import annotations

from ...isa.instruction import Instruction
from ...isa.opcodes import LDDW, AluOp, AtomicOp, InsnClass, JmpOp, Mode, PseudoSrc, Size
from ..cfg import Block, ControlFlow, Function
from ..errors import ProgramRejected
from ..memory import CALLBACK_BASE, MAX_CALL_DEPTH, STACK_FRAME_SIZE
from .layout import (
    ENV_CALLBACK,
    ENV_COUNT,
    ENV_EXIT_R0,
    ENV_FRAME0,
    ENV_MAY_GOTO,
    ENV_PACKET,
    ENV_PACKET_LEN,
    ENV_READER,
    ENV_SCRATCH,
    ENV_SLOTS,
    ENV_STATUS,
    ENV_TABLE,
    FLAG_READER,
    FLAG_STRICT_ALIGNMENT,
    FLAG_WRITABLE,
    ROW_BASE,
    ROW_FLAGS,
    ROW_HI,
    ROW_LO,
    ROW_WORDS,
    Status,
)

#: Name of the native entry point (the program's function at slot 0).
ENTRY = "pybpf_entry"
#: Name of the native loop that runs the entry ``n`` times (for benchmarks).
REPEAT = "pybpf_repeat"

_SIZES = {size: size.nbytes for size in Size}
_ICMP = {
    JmpOp.JEQ: "eq",
    JmpOp.JNE: "ne",
    JmpOp.JGT: "ugt",
    JmpOp.JGE: "uge",
    JmpOp.JLT: "ult",
    JmpOp.JLE: "ule",
    JmpOp.JSGT: "sgt",
    JmpOp.JSGE: "sge",
    JmpOp.JSLT: "slt",
    JmpOp.JSLE: "sle",
}
_BINARY = {
    AluOp.ADD: "add",
    AluOp.SUB: "sub",
    AluOp.MUL: "mul",
    AluOp.OR: "or",
    AluOp.AND: "and",
    AluOp.XOR: "xor",
}
_SHIFTS = {AluOp.LSH: "shl", AluOp.RSH: "lshr", AluOp.ARSH: "ashr"}
_RMW = {AtomicOp.ADD: "add", AtomicOp.OR: "or", AtomicOp.AND: "and", AtomicOp.XOR: "xor"}


def const(value: int, bits: int) -> str:
    """An integer literal of ``bits`` width: LLVM wants the two's complement reading."""
    value &= (1 << bits) - 1
    return str(value - (1 << bits) if value >> (bits - 1) else value)


_PRELUDE = f"""
declare i16 @llvm.bswap.i16(i16)
declare i32 @llvm.bswap.i32(i32)
declare i64 @llvm.bswap.i64(i64)

; The checked path of every memory access: the buffer address of [addr, addr+size) or null
; after recording the fault.  Inlined with constant size/write, it folds to a few compares.
define internal ptr @mem(ptr %env, i64 %addr, i64 %size, i64 %write, i64 %slot) alwaysinline {{
entry:
  %row = lshr i64 %addr, 32
  %np = getelementptr i64, ptr %env, i64 {ENV_SLOTS}
  %n = load i64, ptr %np
  %known = icmp ult i64 %row, %n
  br i1 %known, label %look, label %bad
look:
  %tp = getelementptr i64, ptr %env, i64 {ENV_TABLE}
  %table = load ptr, ptr %tp
  %i = mul i64 %row, {ROW_WORDS}
  %rowp = getelementptr i64, ptr %table, i64 %i
  %lop = getelementptr i64, ptr %rowp, i64 {ROW_LO}
  %lo = load i64, ptr %lop
  %hip = getelementptr i64, ptr %rowp, i64 {ROW_HI}
  %hi = load i64, ptr %hip
  %flp = getelementptr i64, ptr %rowp, i64 {ROW_FLAGS}
  %flags = load i64, ptr %flp
  %off = and i64 %addr, 4294967295
  %end = add i64 %off, %size
  %c1 = icmp uge i64 %off, %lo
  %c2 = icmp ule i64 %end, %hi
  %wf = and i64 %flags, {FLAG_WRITABLE}
  %wok = icmp ne i64 %wf, 0
  %isread = icmp eq i64 %write, 0
  %c3 = or i1 %isread, %wok
  %sm1 = sub i64 %size, 1
  %mis = and i64 %off, %sm1
  %sf = and i64 %flags, {FLAG_STRICT_ALIGNMENT}
  %misb = icmp ne i64 %mis, 0
  %strict = icmp ne i64 %sf, 0
  %misaligned = and i1 %misb, %strict
  %c4 = xor i1 %misaligned, true
  %c12 = and i1 %c1, %c2
  %c34 = and i1 %c3, %c4
  %ok = and i1 %c12, %c34
  br i1 %ok, label %good, label %bad
good:
  %rf = and i64 %flags, {FLAG_READER}
  %hasreader = icmp ne i64 %rf, 0
  %computed = and i1 %hasreader, %isread
  br i1 %computed, label %python, label %direct, !prof !0
python:
  %cp = call ptr @computed(ptr %env, i64 %addr, i64 %size, i64 %slot)
  ret ptr %cp
direct:
  %bp = getelementptr i64, ptr %rowp, i64 {ROW_BASE}
  %base = load ptr, ptr %bp
  %p = getelementptr i8, ptr %base, i64 %off
  ret ptr %p
bad:
  call void @fault(ptr %env, i64 %addr, i64 %size, i64 %write, i64 %slot)
  ret ptr null
}}

; The same check kept out of line: the fallback of accesses that usually hit the frame.
define internal ptr @mem_slow(ptr %env, i64 %addr, i64 %size, i64 %write, i64 %slot) noinline {{
  %p = call ptr @mem(ptr %env, i64 %addr, i64 %size, i64 %write, i64 %slot)
  ret ptr %p
}}

; A load from a region whose reader computes it in Python: the value lands in the scratch
; word, whose address is returned (null if the reader failed; the callback recorded why).
define internal ptr @computed(ptr %env, i64 %addr, i64 %size, i64 %slot) noinline {{
  %cbp = getelementptr i64, ptr %env, i64 {ENV_READER}
  %cb = load ptr, ptr %cbp
  %status = call i64 %cb(ptr %env, i64 %addr, i64 %size, i64 %slot)
  %ok = icmp eq i64 %status, 0
  %scratch = getelementptr i64, ptr %env, i64 {ENV_SCRATCH}
  %p = select i1 %ok, ptr %scratch, ptr null
  ret ptr %p
}}

; Record a refused access.
define internal void @fault(ptr %env, i64 %addr, i64 %size, i64 %write, i64 %slot) noinline cold {{
  %s0 = getelementptr i64, ptr %env, i64 {ENV_STATUS}
  store i64 {int(Status.MEMORY_FAULT)}, ptr %s0
  %s1 = getelementptr i64, ptr %s0, i64 1
  store i64 %slot, ptr %s1
  %s2 = getelementptr i64, ptr %s0, i64 2
  store i64 %addr, ptr %s2
  %s3 = getelementptr i64, ptr %s0, i64 3
  store i64 %size, ptr %s3
  %s4 = getelementptr i64, ptr %s0, i64 4
  store i64 %write, ptr %s4
  ret void
}}

; Record a stop (budget, call depth) at an instruction slot.
define internal void @stop(ptr %env, i64 %status, i64 %slot, i64 %count) noinline cold {{
  %s0 = getelementptr i64, ptr %env, i64 {ENV_STATUS}
  store i64 %status, ptr %s0
  %s1 = getelementptr i64, ptr %s0, i64 1
  store i64 %slot, ptr %s1
  %c = getelementptr i64, ptr %env, i64 {ENV_COUNT}
  store i64 %count, ptr %c
  ret void
}}
"""


#: Longest run of instructions (in slot order) between two blocks that test the budget.
_CHECK_SPAN = 48


def _budget_checks(fn: Function) -> frozenset[int]:
    """Blocks that test the budget: the entry, every backward-jump target, and every so often.

    Any cycle of the control-flow graph contains a jump to a slot at or before its own (slots
    only grow along fall-through), so backward-jump targets bound every run while the blocks
    in between (switch chains, if/else arms) count their instructions without testing.  The
    extra test every :data:`_CHECK_SPAN` instructions is for LLVM's sake: without branches
    to keep them apart it merges long if/else chains into one huge block, and its code
    generator is superlinear in block size (8k instructions took 30 s instead of 2 s).
    """
    found = {fn.entry}
    for block in fn.blocks.values():
        last = block.insns[-1][0]
        found.update(target for target in block.successors if target <= last)
    span = 0
    for start in sorted(fn.blocks):
        span += len(fn.blocks[start].insns)
        if start in found or span > _CHECK_SPAN:
            found.add(start)
            span = 0
    return frozenset(found)


def _frame_pointers(fn: Function) -> frozenset[int]:
    """Registers that may hold pointers into the function's own stack frame.

    Flow-insensitive and deliberately rough (r10 and whatever is copied from it, directly or
    through other such registers): it only decides which check an access tries first, never
    whether it is checked, so a wrong guess costs a compare, not correctness.
    """
    found = {10}
    copies = [
        (insn.dst, insn.src)
        for block in fn.blocks.values()
        for _, insn in block.insns
        if insn.cls == InsnClass.ALU64 and insn.alu_op == AluOp.MOV and insn.opcode & 0x08 and not insn.off
    ]
    changed = True
    while changed:
        changed = False
        for dst, src in copies:
            if src in found and dst not in found:
                found.add(dst)
                changed = True
    return frozenset(found)


class _Function:
    """IR text of one BPF function under construction."""

    def __init__(self, fn: Function, budget: int) -> None:
        self.fn = fn
        self.budget = budget
        self.lines: list[str] = []
        self.frame_pointers = _frame_pointers(fn)
        self.checked = _budget_checks(fn)
        self._tmp = 0
        self._label = 0

    # -- small emitters ------------------------------------------------------------------------

    def tmp(self) -> str:
        self._tmp += 1
        return f"%t{self._tmp}"

    def label(self) -> str:
        self._label += 1
        return f"L{self._label}"

    def emit(self, text: str) -> None:
        self.lines.append("  " + text)

    def start(self, label: str) -> None:
        self.lines.append(f"{label}:")

    def op(self, text: str) -> str:
        name = self.tmp()
        self.emit(f"{name} = {text}")
        return name

    def get(self, reg: int) -> str:
        return self.op(f"load i64, ptr %R{reg}")

    def put(self, reg: int, value: str) -> None:
        self.emit(f"store i64 {value}, ptr %R{reg}")

    def env(self, word: int) -> str:
        return self.op(f"getelementptr i64, ptr %env, i64 {word}")

    def env_load(self, word: int) -> str:
        return self.op(f"load i64, ptr {self.env(word)}")

    def env_store(self, word: int, value: str) -> None:
        self.emit(f"store i64 {value}, ptr {self.env(word)}")

    def save_count(self) -> None:
        self.env_store(ENV_COUNT, self.op("load i64, ptr %N"))

    def branch_ok(self, failed: str, target: str = "fail") -> None:
        """Continue in a fresh block unless ``failed`` (an i1) is true."""
        cont = self.label()
        self.emit(f"br i1 {failed}, label %{target}, label %{cont}")
        self.start(cont)

    def check_status(self) -> None:
        status = self.env_load(ENV_STATUS)
        self.branch_ok(self.op(f"icmp ne i64 {status}, 0"))

    # -- structure -----------------------------------------------------------------------------

    def generate(self, name: str, linkage: str) -> list[str]:
        e = self.fn.entry
        out = [
            f"define {linkage}i64 @{name}(ptr %env, i64 %a1, i64 %a2, i64 %a3, i64 %a4, i64 %a5, i64 %depth) {{",
            "entry:",
        ]
        for reg in range(11):
            out.append(f"  %R{reg} = alloca i64")
        out.append("  %N = alloca i64")
        self.lines = []
        for reg in (0, 6, 7, 8, 9):
            self.put(reg, "0")
        for reg in range(1, 6):
            self.put(reg, f"%a{reg}")
        frame0 = self.env_load(ENV_FRAME0)
        row = self.op(f"add i64 {frame0}, %depth")
        high = self.op(f"shl i64 {row}, 32")
        self.emit(f"%fblo = or i64 {high}, 0")
        self.put(10, self.op(f"add i64 {high}, {STACK_FRAME_SIZE}"))
        table = self.op(f"load ptr, ptr {self.env(ENV_TABLE)}")
        index = self.op(f"mul i64 {row}, {ROW_WORDS}")
        rowp = self.op(f"getelementptr i64, ptr {table}, i64 {index}")
        self.emit(f"%fb = load ptr, ptr {rowp}")
        self.emit(f"%scratch = getelementptr i64, ptr %env, i64 {ENV_SCRATCH}")
        self.emit(f"store i64 {self.env_load(ENV_COUNT)}, ptr %N")
        self.emit(f"br label %b{e}")
        for start in sorted(self.fn.blocks):
            self.block(self.fn.blocks[start])
        self.start("fail")
        self.emit("ret i64 0")
        self.start("exitz")
        self.env_store(ENV_STATUS, str(int(Status.EXIT)))
        self.env_store(ENV_EXIT_R0, "0")
        self.emit("ret i64 0")
        return out + self.lines + ["}"]

    def block(self, block: Block) -> None:
        first = block.start
        self.start(f"b{first}")
        count = self.op("load i64, ptr %N")
        count = self.op(f"add i64 {count}, {len(block.insns)}")
        self.emit(f"store i64 {count}, ptr %N")
        if first not in self.checked:
            return self.body(block)
        over = self.op(f"icmp ugt i64 {count}, {self.budget}")
        stop, cont = self.label(), self.label()
        self.emit(f"br i1 {over}, label %{stop}, label %{cont}, !prof !0")
        self.start(stop)
        self.emit(f"call void @stop(ptr %env, i64 {int(Status.BUDGET)}, i64 {first}, i64 {count})")
        self.emit("ret i64 0")
        self.start(cont)
        self.body(block)

    def body(self, block: Block) -> None:
        last_slot, last = block.insns[-1]
        terminal = last.is_exit or last.is_jump
        for slot, insn in block.insns[:-1] if terminal else block.insns:
            self.insn(slot, insn)
        if not terminal:
            (nxt,) = block.successors
            self.emit(f"br label %b{nxt}")
        elif last.is_exit:
            self.save_count()
            self.emit(f"ret i64 {self.get(0)}")
        else:
            self.jump(last_slot, last)

    # -- control flow --------------------------------------------------------------------------

    def jump(self, slot: int, insn: Instruction) -> None:
        target = insn.jump_target(slot)
        assert target is not None
        if not insn.is_conditional_jump:
            self.emit(f"br label %b{target}")
            return
        op = insn.jmp_op
        nxt = f"b{slot + 1}"
        if op == JmpOp.JCOND:  # may_goto: continue while iterations are left, else jump
            left = self.env_load(ENV_MAY_GOTO)
            more = self.op(f"icmp sgt i64 {left}, 0")
            take = self.label()
            self.emit(f"br i1 {more}, label %{take}, label %b{target}")
            self.start(take)
            self.env_store(ENV_MAY_GOTO, self.op(f"sub i64 {left}, 1"))
            self.emit(f"br label %{nxt}")
            return
        assert op is not None
        wide = insn.cls == InsnClass.JMP
        bits = 64 if wide else 32
        a = self.get(insn.dst)
        b = self.get(insn.src) if insn.opcode & 0x08 else const(insn.imm, bits)
        if not wide:
            a = self.op(f"trunc i64 {a} to i32")
            if insn.opcode & 0x08:
                b = self.op(f"trunc i64 {b} to i32")
        ty = f"i{bits}"
        if op == JmpOp.JSET:
            both = self.op(f"and {ty} {a}, {b}")
            cond = self.op(f"icmp ne {ty} {both}, 0")
        else:
            cond = self.op(f"icmp {_ICMP[op]} {ty} {a}, {b}")
        self.emit(f"br i1 {cond}, label %b{target}, label %{nxt}")

    # -- instructions --------------------------------------------------------------------------

    def insn(self, slot: int, insn: Instruction) -> None:
        cls = insn.cls
        if cls == InsnClass.ALU64:
            self.alu(insn, 64)
        elif cls == InsnClass.ALU:
            self.alu(insn, 32)
        elif cls == InsnClass.LDX:
            self.ldx(slot, insn)
        elif cls == InsnClass.ST:
            size = _SIZES[Size(insn.opcode & 0x18)]
            ptr = self.address(slot, insn.dst, insn.off, size, write=True)
            self.emit(f"store i{8 * size} {const(insn.imm, 8 * size)}, ptr {ptr}, align 1")
        elif cls == InsnClass.STX:
            self.stx(slot, insn)
        elif cls == InsnClass.LD:
            self.ld(slot, insn)
        elif insn.is_call or insn.is_callx:
            self.call(slot, insn)
        else:  # pragma: no cover - analyse() only leaves these kinds inside blocks
            raise ProgramRejected(f"unexpected instruction {insn!r} inside a block", index=slot)

    def alu(self, insn: Instruction, bits: int) -> None:
        op = insn.alu_op
        ty = f"i{bits}"
        x = bool(insn.opcode & 0x08)
        d = self.get(insn.dst)
        if op == AluOp.END:
            self.put(insn.dst, self.swap(d, insn.imm, bits == 64 or x))
            return
        if op == AluOp.MOV and not (x and insn.off):
            if x:
                value = self.get(insn.src)
                if bits == 32:
                    value = self.op(f"and i64 {value}, 4294967295")
            else:
                value = const(insn.imm, 64) if bits == 64 else str(insn.imm & 0xFFFFFFFF)
            self.put(insn.dst, value)
            return
        s = self.get(insn.src) if x else const(insn.imm, bits)
        if bits == 32:
            d = self.op(f"trunc i64 {d} to i32")
            if x:
                s = self.op(f"trunc i64 {s} to i32")
        if op in _BINARY:
            result = self.op(f"{_BINARY[op]} {ty} {d}, {s}")
        elif op in _SHIFTS:
            amount = self.op(f"and {ty} {s}, {bits - 1}")
            result = self.op(f"{_SHIFTS[op]} {ty} {d}, {amount}")
        elif op == AluOp.NEG:
            result = self.op(f"sub {ty} 0, {d}")
        elif op == AluOp.MOV:  # movsx
            narrow = self.op(f"trunc {ty} {s} to i{insn.off}") if insn.off < bits else s
            result = self.op(f"sext i{insn.off} {narrow} to {ty}") if insn.off < bits else narrow
        elif op in (AluOp.DIV, AluOp.MOD):
            result = self.divmod(op, insn.off == 1, ty, d, s)
        else:
            raise ProgramRejected(f"unknown ALU operation {insn.opcode:#04x}")
        if bits == 32:
            result = self.op(f"zext i32 {result} to i64")
        self.put(insn.dst, result)

    def divmod(self, op: AluOp, signed: bool, ty: str, d: str, s: str) -> str:
        """Kernel division: by zero gives 0 (mod: dst), INT_MIN / -1 wraps (mod: 0)."""
        zero = self.op(f"icmp eq {ty} {s}, 0")
        if not signed:
            safe = self.op(f"select i1 {zero}, {ty} 1, {ty} {s}")
            if op == AluOp.DIV:
                q = self.op(f"udiv {ty} {d}, {safe}")
                return self.op(f"select i1 {zero}, {ty} 0, {ty} {q}")
            rem = self.op(f"urem {ty} {d}, {safe}")
            return self.op(f"select i1 {zero}, {ty} {d}, {ty} {rem}")
        minus = self.op(f"icmp eq {ty} {s}, -1")
        odd = self.op(f"or i1 {zero}, {minus}")
        safe = self.op(f"select i1 {odd}, {ty} 1, {ty} {s}")
        if op == AluOp.DIV:
            q = self.op(f"sdiv {ty} {d}, {safe}")
            neg = self.op(f"sub {ty} 0, {d}")
            q = self.op(f"select i1 {minus}, {ty} {neg}, {ty} {q}")
            return self.op(f"select i1 {zero}, {ty} 0, {ty} {q}")
        rem = self.op(f"srem {ty} {d}, {safe}")
        rem = self.op(f"select i1 {minus}, {ty} 0, {ty} {rem}")
        return self.op(f"select i1 {zero}, {ty} {d}, {ty} {rem}")

    def swap(self, value: str, width: int, swap: bool) -> str:
        """Byte swap (``swap``) or plain truncation (to little endian) of the low ``width`` bits."""
        if not swap:
            return value if width == 64 else self.op(f"and i64 {value}, {(1 << width) - 1}")
        narrow = self.op(f"trunc i64 {value} to i{width}") if width < 64 else value
        swapped = self.op(f"call i{width} @llvm.bswap.i{width}(i{width} {narrow})")
        return self.op(f"zext i{width} {swapped} to i64") if width < 64 else swapped

    def address(self, slot: int, base: int, off: int, size: int, *, write: bool) -> str:
        """A pointer to ``size`` bytes at ``base + off``, checked unless a provable frame slot."""
        if base == 10 and not off % size and -STACK_FRAME_SIZE <= off <= -size:
            name = f"%fbp{self.tmp()[2:]}"
            self.emit(f"{name} = getelementptr i8, ptr %fb, i64 {STACK_FRAME_SIZE + off}")
            return name
        addr = self.get(base)
        if off:
            addr = self.op(f"add i64 {addr}, {off}")
        if base not in self.frame_pointers:
            ptr = self.op(f"call ptr @mem(ptr %env, i64 {addr}, i64 {size}, i64 {int(write)}, i64 {slot})")
            self.branch_ok(self.op(f"icmp eq ptr {ptr}, null"))
            return ptr
        # Likely a pointer into the current frame: try that with one compare (the frame is
        # active, writable and strictly aligned), and only then the region table.
        delta = self.op(f"sub i64 {addr}, %fblo")
        ok = self.op(f"icmp ule i64 {delta}, {STACK_FRAME_SIZE - size}")
        if size > 1:
            low = self.op(f"and i64 {delta}, {size - 1}")
            ok = self.op(f"and i1 {ok}, {self.op(f'icmp eq i64 {low}, 0')}")
        fast, slow, join = self.label(), self.label(), self.label()
        self.emit(f"br i1 {ok}, label %{fast}, label %{slow}")
        self.start(fast)
        quick = self.op(f"getelementptr i8, ptr %fb, i64 {delta}")
        self.emit(f"br label %{join}")
        self.start(slow)
        checked = self.op(
            f"call ptr @mem_slow(ptr %env, i64 {addr}, i64 {size}, i64 {int(write)}, i64 {slot})"
        )
        failed = self.op(f"icmp eq ptr {checked}, null")
        resume = self.label()
        self.emit(f"br i1 {failed}, label %fail, label %{resume}")
        self.start(resume)
        self.emit(f"br label %{join}")
        self.start(join)
        return self.op(f"phi ptr [ {quick}, %{fast} ], [ {checked}, %{resume} ]")

    def load(self, ptr: str, size: int, signed: bool = False) -> str:
        """Load through ``ptr``; a value a region's reader computed is taken whole, as the
        interpreter does (a 32-bit context field can read as a 64-bit pointer)."""
        value = self.op(f"load i{8 * size}, ptr {ptr}, align 1")
        if size == 8:
            return value
        value = self.op(f"{'sext' if signed else 'zext'} i{8 * size} {value} to i64")
        if ptr.startswith("%fbp"):  # a provable frame slot: never computed
            return value
        whole = self.op("load i64, ptr %scratch")
        computed = self.op(f"icmp eq ptr {ptr}, %scratch")
        return self.op(f"select i1 {computed}, i64 {whole}, i64 {value}")

    def store(self, ptr: str, size: int, value: str) -> None:
        if size < 8:
            value = self.op(f"trunc i64 {value} to i{8 * size}")
        self.emit(f"store i{8 * size} {value}, ptr {ptr}, align 1")

    def ldx(self, slot: int, insn: Instruction) -> None:
        size = _SIZES[Size(insn.opcode & 0x18)]
        ptr = self.address(slot, insn.src, insn.off, size, write=False)
        self.put(insn.dst, self.load(ptr, size, insn.mode == Mode.MEMSX))

    def stx(self, slot: int, insn: Instruction) -> None:
        size = _SIZES[Size(insn.opcode & 0x18)]
        if insn.mode == Mode.MEM:
            ptr = self.address(slot, insn.dst, insn.off, size, write=True)
            self.store(ptr, size, self.get(insn.src))
            return
        op = insn.imm
        if op == AtomicOp.LOAD_ACQ:
            ptr = self.address(slot, insn.src, insn.off, size, write=False)
            self.put(insn.dst, self.load(ptr, size))
            return
        if op == AtomicOp.STORE_REL:
            ptr = self.address(slot, insn.dst, insn.off, size, write=True)
            self.store(ptr, size, self.get(insn.src))
            return
        # Read-modify-write: the interpreter checks the read, then the write, of one address.
        addr = self.get(insn.dst)
        if insn.off:
            addr = self.op(f"add i64 {addr}, {insn.off}")
        rptr = self.op(f"call ptr @mem(ptr %env, i64 {addr}, i64 {size}, i64 0, i64 {slot})")
        self.branch_ok(self.op(f"icmp eq ptr {rptr}, null"))
        old = self.load(rptr, size)
        src = self.get(insn.src)
        mask = (1 << (8 * size)) - 1
        if op == AtomicOp.CMPXCHG:
            r0 = self.op(f"and i64 {self.get(0)}, {const(mask, 64)}")
            equal = self.op(f"icmp eq i64 {old}, {r0}")
            do, done = self.label(), self.label()
            self.emit(f"br i1 {equal}, label %{do}, label %{done}")
            self.start(do)
            wptr = self.write_check(addr, size, slot)
            self.store(wptr, size, src)
            self.emit(f"br label %{done}")
            self.start(done)
            self.put(0, old)
            return
        if op == AtomicOp.XCHG:
            new = src
        else:
            new = self.op(f"{_RMW[AtomicOp(op & ~AtomicOp.FETCH)]} i64 {old}, {src}")
        wptr = self.write_check(addr, size, slot)
        self.store(wptr, size, new)
        if op & AtomicOp.FETCH:
            self.put(insn.src, old)

    def write_check(self, addr: str, size: int, slot: int) -> str:
        ptr = self.op(f"call ptr @mem(ptr %env, i64 {addr}, i64 {size}, i64 1, i64 {slot})")
        self.branch_ok(self.op(f"icmp eq ptr {ptr}, null"))
        return ptr

    def ld(self, slot: int, insn: Instruction) -> None:
        if insn.opcode == LDDW:
            if insn.src == PseudoSrc.FUNC:  # a callback: the interpreter's opaque handle
                self.put(insn.dst, const(CALLBACK_BASE + slot + 1 + insn.imm_lo, 64))
            else:
                self.put(insn.dst, const(insn.imm, 64))
            return
        size = _SIZES[Size(insn.opcode & 0x18)]
        self.save_count()
        if insn.mode == Mode.ABS:
            offset = const(insn.imm, 64)
        else:
            total = self.op(f"add i64 {self.get(insn.src)}, {const(insn.imm, 64)}")
            narrow = self.op(f"trunc i64 {total} to i32")
            offset = self.op(f"sext i32 {narrow} to i64")
        length = self.env_load(ENV_PACKET_LEN)
        negative = self.op(f"icmp slt i64 {offset}, 0")
        end = self.op(f"add i64 {offset}, {size}")
        past = self.op(f"icmp sgt i64 {end}, {length}")
        # Out-of-bounds legacy loads end the program with r0 = 0 (the kernel's rule).
        self.branch_ok(self.op(f"or i1 {negative}, {past}"), "exitz")
        base = self.op(f"load ptr, ptr {self.env(ENV_PACKET)}")
        ptr = self.op(f"getelementptr i8, ptr {base}, i64 {offset}")
        value = self.op(f"load i{8 * size}, ptr {ptr}, align 1")
        if size > 1:
            value = self.op(f"call i{8 * size} @llvm.bswap.i{8 * size}(i{8 * size} {value})")
        self.put(0, self.op(f"zext i{8 * size} {value} to i64"))

    def call(self, slot: int, insn: Instruction) -> None:
        args = ", ".join(f"i64 {self.get(reg)}" for reg in range(1, 6))
        self.save_count()
        if insn.is_pseudo_call:
            target = insn.jump_target(slot)
            depth = self.op("add i64 %depth, 1")
            deep = self.op(f"icmp uge i64 {depth}, {MAX_CALL_DEPTH}")
            stop, cont = self.label(), self.label()
            self.emit(f"br i1 {deep}, label %{stop}, label %{cont}")
            self.start(stop)
            count = self.op("load i64, ptr %N")
            self.emit(f"call void @stop(ptr %env, i64 {int(Status.CALL_DEPTH)}, i64 {slot}, i64 {count})")
            self.emit("ret i64 0")
            self.start(cont)
            hi = self.frame_hi(depth)
            self.emit(f"store i64 {STACK_FRAME_SIZE}, ptr {hi}")
            result = self.op(f"call i64 @f{target}(ptr %env, {args}, i64 {depth})")
            self.check_status()  # a fault leaves the frame active, as the interpreter does
            # Found again: a helper in the callee may have moved the table to grow it.
            self.emit(f"store i64 0, ptr {self.frame_hi(depth)}")
            self.emit(f"store i64 {self.env_load(ENV_COUNT)}, ptr %N")
            self.put(0, result)
            return
        if insn.is_callx:
            callee, callx = self.get(insn.dst), 1
        else:
            callee, callx = str(insn.imm), 0
        callback = self.op(f"load ptr, ptr {self.env(ENV_CALLBACK)}")
        result = self.op(
            f"call i64 {callback}(ptr %env, i64 {callee}, i64 {callx}, {args}, i64 {slot}, i64 %depth)"
        )
        self.check_status()
        self.put(0, result)

    def frame_hi(self, depth: str) -> str:
        """Pointer to the ``hi`` bound of the stack frame at ``depth`` in the region table."""
        row = self.op(f"add i64 {self.env_load(ENV_FRAME0)}, {depth}")
        index = self.op(f"mul i64 {row}, {ROW_WORDS}")
        table = self.op(f"load ptr, ptr {self.env(ENV_TABLE)}")
        return self.op(f"getelementptr i64, ptr {table}, i64 {self.op(f'add i64 {index}, {ROW_HI}')}")


def _repeat_loop() -> str:
    """``pybpf_repeat(env, r1, r2, n)``: run the entry ``n`` times natively, fresh counters each."""
    from ..machine import MAY_GOTO_BUDGET

    return f"""
define i64 @{REPEAT}(ptr %env, i64 %r1, i64 %r2, i64 %n) {{
entry:
  %cp = getelementptr i64, ptr %env, i64 {ENV_COUNT}
  %mp = getelementptr i64, ptr %env, i64 {ENV_MAY_GOTO}
  %sp = getelementptr i64, ptr %env, i64 {ENV_STATUS}
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %again ]
  store i64 0, ptr %cp
  store i64 {MAY_GOTO_BUDGET}, ptr %mp
  %r = call i64 @{ENTRY}(ptr %env, i64 %r1, i64 %r2, i64 0, i64 0, i64 0, i64 0)
  %s = load i64, ptr %sp
  %bad = icmp ne i64 %s, 0
  %i1 = add i64 %i, 1
  %done = icmp uge i64 %i1, %n
  %stop = or i1 %bad, %done
  br i1 %stop, label %out, label %again
again:
  br label %loop
out:
  ret i64 %r
}}
"""


def callbacks(flow: ControlFlow) -> list[int]:
    """Entry slots of the functions a program takes the address of (``lddw rX, func``)."""
    found = {
        slot + 1 + insn.imm_lo
        for slot, insn in flow.slots
        if insn.opcode == LDDW and insn.src == PseudoSrc.FUNC
    }
    return sorted(found & set(flow.functions) - {0})


def callback_symbol(entry: int) -> str:
    """Native name of the function at ``entry``, for those Python must call (callbacks)."""
    return ENTRY if entry == 0 else f"pybpf_f{entry}"


def generate(flow: ControlFlow, *, budget: int) -> str:
    """The whole program as one LLVM module: the entry, its subprograms and the repeat loop.

    Functions used as callbacks keep external linkage so Python can find their addresses.
    """
    parts = [_PRELUDE]
    exported = set(callbacks(flow))
    for entry in sorted(flow.functions):
        if entry == 0:
            name, linkage = ENTRY, ""
        elif entry in exported:
            name, linkage = callback_symbol(entry), ""
        else:
            name, linkage = f"f{entry}", "internal "
        lines = _Function(flow.functions[entry], budget).generate(name, linkage)
        parts.append("\n".join(lines))
    parts.append(_repeat_loop())
    parts.append('!0 = !{!"branch_weights", i32 1, i32 1000000}\n')
    text = "\n".join(parts)
    # Calls to exported functions (the entry, callbacks) use their native names.
    for entry in exported | {0}:
        text = text.replace(f"call i64 @f{entry}(", f"call i64 @{callback_symbol(entry)}(")
    return text


__all__ = ["ENTRY", "REPEAT", "callback_symbol", "callbacks", "const", "generate"]
