"""Without llvmlite: the JIT says how to get it, and "auto" quietly uses the interpreter.

These tests hide llvmlite rather than need it, so they run whether or not it is installed.
"""

from __future__ import annotations

import sys

import pytest

from pybpf.errors import NotSupported
from pybpf.isa import constructors as c
from pybpf.vm import Program as InterpretedProgram
from pybpf.vm import jit
from pybpf.vm.jit import engine, select

PROGRAM = [c.mov64_imm(0, 7), c.exit()]


@pytest.fixture
def no_llvmlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_state", {})
    monkeypatch.setitem(sys.modules, "llvmlite.binding", None)


@pytest.mark.usefixtures("no_llvmlite")
def test_prepare_raises_not_supported_naming_the_extra() -> None:
    with pytest.raises(NotSupported, match=r"pip install 'pybpf\[jit\]'"):
        jit.prepare(PROGRAM)


@pytest.mark.usefixtures("no_llvmlite")
def test_availability_is_false() -> None:
    assert not jit.available()


@pytest.mark.usefixtures("no_llvmlite")
def test_jit_engine_is_refused_with_the_install_hint() -> None:
    with pytest.raises(NotSupported, match=r"pybpf\[jit\]"):
        select.prepare(PROGRAM, engine="jit")


@pytest.mark.usefixtures("no_llvmlite")
def test_auto_engine_falls_back_to_the_interpreter() -> None:
    prepared = select.prepare(PROGRAM, engine="auto")
    assert isinstance(prepared, InterpretedProgram)
    assert prepared.run().r0 == 7


@pytest.mark.usefixtures("no_llvmlite")
def test_auto_run_gives_the_result_through_the_interpreter() -> None:
    assert select.run(iter(PROGRAM), engine="auto").r0 == 7
