"""Iterator links: reading an instance runs the program over every task."""

from __future__ import annotations

import pytest

from pybpf.attach import attach_iter, load_btf_program
from pybpf.isa import constructors as c
from pybpf.isa import encode
from pybpf.isa.opcodes import JmpOp, Size

pytestmark = pytest.mark.kernel

SEQ_WRITE = 127


def _one_x_per_task() -> bytes:
    """``if (ctx->task) bpf_seq_write(ctx->meta->seq, "x", 1); return 0;``"""
    return encode(
        [
            c.ldx_mem(Size.DW, 2, 1, 8),  # ctx->task
            c.jmp_imm(JmpOp.JEQ, 2, 0, 7),
            c.ldx_mem(Size.DW, 1, 1, 0),  # ctx->meta
            c.ldx_mem(Size.DW, 1, 1, 0),  # meta->seq
            c.st_mem(Size.B, 10, -8, ord("x")),
            c.mov64_reg(2, 10),
            c.alu64_imm(c.AluOp.ADD, 2, -8),
            c.mov64_imm(3, 1),
            c.call_helper(SEQ_WRITE),
            c.mov64_imm(0, 0),
            c.exit(),
        ]
    )


def test_task_iterator_prints_once_per_task(bpf_ok: None) -> None:
    prog = load_btf_program("iter", "task", _one_x_per_task())
    with attach_iter(prog, target="task") as link:
        first = link.read()
        second = link.read()
    assert first and set(first) == {ord("x")}
    assert abs(len(first) - len(second)) < 50  # each read is a fresh pass over the tasks
    assert link.closed


def test_iterator_link_reports_its_target(bpf_ok: None) -> None:
    prog = load_btf_program("iter", "task", _one_x_per_task())
    with attach_iter(prog) as link:
        assert link.info().details["target_name"] == "task"
