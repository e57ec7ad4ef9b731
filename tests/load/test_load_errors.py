"""Load failures say which program or map failed, and a failed load leaves nothing behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import pybpf.runtime
from pybpf.kernel import VerifierError
from pybpf.runtime import LoadError, ProgramVerifierError
from pybpf.spec import ObjectSpec, Relocation, RelocationKind

pytestmark = pytest.mark.kernel


@pytest.fixture
def bad_spec(bpf_ok: None, build_object: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(build_object("bad"))


def _rejection(spec: ObjectSpec) -> ProgramVerifierError:
    with pytest.raises(ProgramVerifierError) as caught:
        pybpf.runtime.load(spec)
    return caught.value


def test_verifier_rejection_names_the_program_and_section(bad_spec: ObjectSpec) -> None:
    error = _rejection(bad_spec)
    assert (error.program, error.section) == ("unchecked", "xdp")
    assert "'unchecked' (section 'xdp')" in str(error)


def test_verifier_rejection_shows_the_failing_c_source_line(bad_spec: ObjectSpec) -> None:
    error = _rejection(bad_spec)
    assert error.source_line is not None
    assert "bad.bpf.c:13" in error.source_line
    assert "no data_end check" in str(error)


def test_verifier_rejection_keeps_the_whole_log(bad_spec: ObjectSpec) -> None:
    error = _rejection(bad_spec)
    assert isinstance(error, VerifierError)
    assert "invalid access to packet" in error.log


def test_program_not_autoloaded_is_not_verified(bad_spec: ObjectSpec) -> None:
    bad_spec.programs["unchecked"].autoload = False
    with pybpf.runtime.load(bad_spec) as obj:
        assert set(obj.programs) == {"fine"}


def test_failed_load_closes_every_fd_it_opened(bad_spec: ObjectSpec) -> None:
    before_fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(ProgramVerifierError):
        pybpf.runtime.load(bad_spec)
    assert len(os.listdir("/proc/self/fd")) == before_fds


def test_relocation_to_an_unknown_map_is_a_load_error(
    bpf_ok: None, build_object: Callable[[str], Path]
) -> None:
    spec = ObjectSpec.from_file(build_object("tiny"))
    prog = spec.programs["count"]
    slot = next(s for s, r in prog.relocations.items() if r.kind is RelocationKind.MAP)
    prog.relocations[slot] = Relocation(RelocationKind.MAP, "no_such_map")
    with pytest.raises(LoadError, match="no_such_map"):
        pybpf.runtime.load(spec)


def test_unknown_runtime_is_refused(bpf_ok: None, build_object: Callable[[str], Path]) -> None:
    with pytest.raises(pybpf.errors.NotSupported, match="runtime"):
        pybpf.runtime.load(build_object("tiny"), runtime="nonesuch")
