"""The bpf_conformance suite on the JIT: every file gives its expected r0 (or its expected error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jit_support import require_llvmlite

from pybpf.errors import AssemblerError
from pybpf.vm import VMError
from pybpf.vm.conformance import assemble_case, conformance_helpers, load_case

require_llvmlite()

from pybpf.vm import jit  # noqa: E402

SUITE = Path(__file__).resolve().parents[4] / "shared" / "conformance"
FILES = sorted(SUITE.glob("*.data"))


def test_the_whole_suite_is_present() -> None:
    assert len(FILES) == 313


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_conformance_file_gives_its_expected_result_on_the_jit(path: Path) -> None:
    case = load_case(path)
    if case.error is not None:
        with pytest.raises((VMError, AssemblerError)):
            jit.run(assemble_case(case), memory=case.memory, helpers=conformance_helpers())
        return
    result = jit.run(assemble_case(case), memory=case.memory, helpers=conformance_helpers())
    assert result.r0 == case.result


@pytest.mark.parametrize("path", FILES[::8], ids=[p.stem for p in FILES[::8]])
def test_conformance_file_runs_identically_on_both_engines(path: Path) -> None:
    from jit_support import outcome

    from pybpf.vm import run

    case = load_case(path)
    if case.error is not None:
        pytest.skip("an expected-error case has no run to compare")
    code = assemble_case(case)
    helpers = conformance_helpers()
    assert outcome(jit.run, code, memory=case.memory, helpers=helpers) == outcome(
        run, code, memory=case.memory, helpers=helpers
    )
