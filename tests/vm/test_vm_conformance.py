"""The bpf_conformance suite: every file must give its expected r0 (or its expected error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.errors import AssemblerError
from pybpf.vm import VMError, prepare
from pybpf.vm.conformance import (
    ConformanceCase,
    assemble_case,
    conformance_helpers,
    load_case,
    parse_case,
    run_case,
)

SUITE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
FILES = sorted(SUITE.glob("*.data"))


def test_the_whole_suite_is_present() -> None:
    assert len(FILES) == 313


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_conformance_file_gives_its_expected_result(path: Path) -> None:
    case = load_case(path)
    if case.error is not None:
        with pytest.raises((VMError, AssemblerError)):
            run_case(case)
        return
    assert case.result is not None
    assert run_case(case) == case.result


def test_parser_reads_memory_result_and_strips_comments() -> None:
    case = parse_case("-- asm\nmov %r0, 1 # one\nexit\n-- mem\n01 02\n0a\n-- result\n0x10\n", "t")
    assert case == ConformanceCase("t", "mov %r0, 1 \nexit\n", None, b"\x01\x02\x0a", 16, None)


def test_parser_reads_raw_instructions_as_little_endian_words() -> None:
    case = parse_case("-- raw\n0x0000000000000095\n-- result\n0\n")
    assert case.raw == b"\x95" + bytes(7)


def test_parser_ignores_note_sections() -> None:
    case = parse_case("-- asm\nexit\n-- no register offset\ncall instruction\n-- c\nint x;\n-- result\n0x0\n")
    assert (case.asm, case.result) == ("exit\n", 0)


def test_expected_error_section_is_kept() -> None:
    assert parse_case("-- asm\nexit\n-- error\nbad program\n").error == "bad program"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_traced_run_sees_exactly_the_counted_instructions(path: Path) -> None:
    case = load_case(path)
    traced: list[int] = []
    program = prepare(assemble_case(case), helpers=conformance_helpers(), trace=True)
    result = program.run(case.memory, tracer=lambda slot, regs: traced.append(slot))
    assert (result.r0, len(traced)) == (case.result, result.instructions)
