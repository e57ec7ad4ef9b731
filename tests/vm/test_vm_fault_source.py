"""A fault in a compiled program quotes the C line it came from (``.BTF.ext`` line info)."""

from __future__ import annotations

import pytest
from faults_support import ENGINES, faults_object

from pybpf.spec.debuginfo import LineInfo
from pybpf.vm import VMFault
from pybpf.vm.lines import SourceLines

LINES = SourceLines(
    [
        LineInfo(4, 0, 0, 12, 1, "/src/dir/prog.bpf.c", "  return x;  "),
        LineInfo(0, 0, 0, 10, 1, "/src/dir/prog.bpf.c", "int x = 1;"),
        LineInfo(9, 0, 0, 0, 0, "/src/dir/prog.bpf.c", ""),
    ]
)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("program", "line"),
    [("xdp_past_end", "return data[100];"), ("tc_before_data", "return data[-1];")],
)
def test_fault_message_names_the_source_file_line_and_text(engine: str, program: str, line: str) -> None:
    obj = faults_object(engine)
    ctx = bytes(192) if program.startswith("tc_") else None
    with pytest.raises(VMFault) as caught:
        obj.programs[program].test_run(bytes(60), ctx=ctx)
    fault = caught.value
    assert fault.source is not None and fault.source.startswith("vm_faults.bpf.c:")
    assert fault.source.endswith(line) and line in str(fault)


@pytest.mark.parametrize(
    ("slot", "described"),
    [
        (0, "prog.bpf.c:10: int x = 1;"),
        (3, "prog.bpf.c:10: int x = 1;"),
        (4, "prog.bpf.c:12: return x;"),
        (8, "prog.bpf.c:12: return x;"),
        (9, None),  # a record without a line number says nothing
        (None, None),
    ],
)
def test_each_slot_is_described_by_the_last_record_at_or_before_it(
    slot: int | None, described: str | None
) -> None:
    assert LINES.describe(slot) == described


def test_slots_before_the_first_record_have_no_source() -> None:
    assert SourceLines([LineInfo(2, 0, 0, 5, 1, "a.c", "x")]).describe(1) is None


def test_fault_without_line_info_keeps_its_message() -> None:
    fault = VMFault("read of 1 byte", index=3)
    assert fault.with_source(None) is fault and str(fault) == "instruction 3: read of 1 byte"


def test_fault_with_source_puts_the_line_after_the_instruction() -> None:
    fault = VMFault("read of 1 byte", index=3, region="packet").with_source("a.c:5: x[1];")
    assert str(fault) == "instruction 3 (a.c:5: x[1];): read of 1 byte"
    assert (fault.index, fault.region, fault.reason) == (3, "packet", "read of 1 byte")
