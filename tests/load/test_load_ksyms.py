"""``__ksym`` externs are resolved against the running kernel's BTF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from load_testlib import skb_ctx

import pybpf.runtime
from pybpf.runtime import ExternError, ProgramVerifierError
from pybpf.runtime.relocate import kallsyms
from pybpf.spec import ExternKind, ObjectSpec

pytestmark = pytest.mark.kernel

PACKET = bytes([0x42]) + bytes(63)


def test_kfunc_call_reaches_the_kernel_function(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    with pybpf.runtime.load(build_object("ksyms")) as obj:
        assert obj.programs["first_byte"].test_run(PACKET, ctx=skb_ctx()).retval == 0x42


def test_missing_weak_kfunc_reads_as_absent(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    with pybpf.runtime.load(build_object("ksyms")) as obj:
        assert obj.programs["weak_kfunc_exists"].test_run(PACKET, ctx=skb_ctx()).retval == 0


def test_missing_strong_kfunc_is_an_extern_error_naming_it(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    spec = ObjectSpec.from_file(build_object("ksyms"))
    spec.externs["pybpf_no_such_kfunc"].weak = False
    with pytest.raises(ExternError, match="pybpf_no_such_kfunc"):
        pybpf.runtime.load(spec)


def test_typed_ksym_variable_is_passed_to_the_kernel_by_its_vmlinux_btf_id(
    bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]
) -> None:
    spec = ObjectSpec.from_file(build_object("ksym_var"))
    assert spec.externs["bpf_prog_active"].kind is ExternKind.KSYM
    if "bpf_prog_active" in kallsyms():
        with pybpf.runtime.load(spec) as obj:
            assert obj.programs["prog_active"].test_run(PACKET, ctx=skb_ctx()).retval == 1
    else:
        # Without CONFIG_KALLSYMS_ALL the kernel cannot place data symbols; that it names the
        # variable shows it found the BTF id the loader wrote.
        with pytest.raises(ProgramVerifierError, match="kernel symbol 'bpf_prog_active'"):
            pybpf.runtime.load(spec)
