"""``pybpf run`` leaves out programs the kernel refuses to load (fentry without trampolines)."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pybpf.errors import Error
from pybpf.kernel.errors import NotSupportedByKernel
from pybpf.run.loading import load_skipping_refused, refused_program
from pybpf.spec import ObjectSpec


def _refusal(program: str | None) -> NotSupportedByKernel:
    exc = NotSupportedByKernel(
        "BPF_PROG_LOAD: fentry programs are not available: the kernel was built without "
        "CONFIG_FUNCTION_GRAPH_TRACER",
        errno=errno.EPERM,
    )
    if program is not None:  # as the kernel loader marks it
        exc.program = program
        exc.add_note(f"while loading program {program!r} (section 'fentry/do_sys_openat2')")
    return exc


class _RefusingRuntime:
    """Refuses every object that still autoloads ``refuse``; records the specs it saw."""

    def __init__(self, refuse: str, error: BaseException) -> None:
        self.refuse, self.error, self.calls = refuse, error, 0

    def load(self, spec: ObjectSpec) -> Any:
        self.calls += 1
        if spec.programs[self.refuse].autoload:
            raise self.error
        return "loaded"


@pytest.fixture
def mixed(run_object: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(run_object("fentry_mix"))


def test_a_refused_fentry_program_is_left_out_and_reported_with_the_kernel_option(mixed: ObjectSpec) -> None:
    runtime = _RefusingRuntime("on_openat_entry", _refusal("on_openat_entry"))
    obj, skipped = load_skipping_refused(mixed, runtime=runtime)
    assert obj == "loaded" and runtime.calls == 2
    assert [(s.program, "CONFIG_FUNCTION_GRAPH_TRACER" in s.reason) for s in skipped] == [
        ("on_openat_entry", True)
    ]
    assert mixed.programs["on_openat_entry"].autoload is False
    assert mixed.programs["on_openat_tp"].autoload is True


def test_the_refused_program_is_found_without_a_note_when_it_is_the_only_trampoline(
    mixed: ObjectSpec,
) -> None:
    assert refused_program(mixed, _refusal(None)) == "on_openat_entry"


def test_a_refusal_of_a_non_trampoline_program_is_raised(mixed: ObjectSpec) -> None:
    runtime = _RefusingRuntime("on_openat_tp", _refusal("on_openat_tp"))
    with pytest.raises(NotSupportedByKernel):
        load_skipping_refused(mixed, runtime=runtime)


def test_errors_other_than_a_missing_feature_are_raised(mixed: ObjectSpec) -> None:
    runtime = _RefusingRuntime("on_openat_entry", Error("map creation failed"))
    with pytest.raises(Error, match="map creation failed"):
        load_skipping_refused(mixed, runtime=runtime)
