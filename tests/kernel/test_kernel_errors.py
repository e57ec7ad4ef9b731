"""The errno table, verifier log parsing and the syscall choke point (with a fake kernel)."""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf import errors as pybpf_errors
from pybpf import kernel
from pybpf.kernel import attrs, syscall
from pybpf.kernel.errors import error_for, failing_instruction, summarize_log

ERRNO_CASES = [
    ("BPF_MAP_LOOKUP_ELEM", errno.ENOENT, kernel.KeyNotFound),
    ("BPF_MAP_DELETE_ELEM", errno.ENOENT, kernel.KeyNotFound),
    ("BPF_MAP_LOOKUP_AND_DELETE_ELEM", errno.ENOENT, kernel.KeyNotFound),
    ("BPF_PROG_GET_FD_BY_ID", errno.ENOENT, kernel.ObjectNotFound),
    ("BPF_OBJ_GET", errno.ENOENT, kernel.ObjectNotFound),
    ("BPF_MAP_UPDATE_ELEM", errno.EEXIST, kernel.KeyExists),
    ("BPF_MAP_UPDATE_ELEM", errno.E2BIG, kernel.MapFull),
    ("BPF_MAP_UPDATE_ELEM", errno.ENOSPC, kernel.MapFull),
    ("BPF_MAP_CREATE", errno.E2BIG, kernel.NotSupportedByKernel),
    ("BPF_MAP_CREATE", errno.EPERM, kernel.PermissionDenied),
    ("BPF_PROG_LOAD", errno.EACCES, kernel.PermissionDenied),
    ("BPF_MAP_CREATE", errno.EINVAL, kernel.InvalidArgument),
    ("BPF_LINK_CREATE", errno.EOPNOTSUPP, kernel.NotSupportedByKernel),
    ("BPF_MAP_LOOKUP_ELEM", kernel.errors.ENOTSUPP, kernel.NotSupportedByKernel),
    ("BPF_PROG_ATTACH", errno.EBUSY, kernel.Busy),
    ("BPF_MAP_CREATE", errno.ENOMEM, kernel.KernelError),
]


@pytest.mark.parametrize(("command", "code", "cls"), ERRNO_CASES)
def test_errno_maps_to_its_typed_error(command: str, code: int, cls: type[kernel.KernelError]) -> None:
    error = error_for(command, code)
    assert type(error) is cls
    assert (error.errno, error.command) == (code, command)


@pytest.mark.parametrize(("command", "code"), [(c, e) for c, e, _ in ERRNO_CASES])
def test_every_kernel_error_is_a_pybpf_error_naming_its_command(command: str, code: int) -> None:
    error = error_for(command, code)
    assert isinstance(error, pybpf_errors.Error)
    assert str(error).startswith(command)


def test_key_not_found_is_a_key_error() -> None:
    assert isinstance(error_for("BPF_MAP_LOOKUP_ELEM", errno.ENOENT), KeyError)


def test_not_supported_by_kernel_is_the_generic_not_supported() -> None:
    assert isinstance(error_for("BPF_MAP_CREATE", errno.E2BIG), pybpf_errors.NotSupported)


@pytest.mark.parametrize(
    ("command", "capability"),
    [
        ("BPF_MAP_CREATE", "CAP_BPF"),
        ("BPF_PROG_GET_NEXT_ID", "CAP_SYS_ADMIN"),
        ("BPF_RAW_TRACEPOINT_OPEN", "CAP_PERFMON"),
        ("BPF_PROG_ATTACH", "CAP_NET_ADMIN"),
    ],
)
def test_permission_denied_names_the_missing_capability(command: str, capability: str) -> None:
    error = error_for(command, errno.EPERM)
    assert isinstance(error, kernel.PermissionDenied)
    assert capability in error.capability
    assert capability in str(error)
    assert "unprivileged_bpf_disabled" in str(error)


def test_feature_turns_einval_into_not_supported_naming_it() -> None:
    error = error_for("BPF_MAP_CREATE", errno.EINVAL, feature="map type 99")
    assert isinstance(error, kernel.NotSupportedByKernel)
    assert error.feature == "map type 99"
    assert "map type 99" in str(error)


REJECTION_LOG = """\
func#0 @0
0: R1=ctx() R10=fp0
0: (b7) r0 = 0                        ; R0_w=0
1: (b7) r1 = 0                        ; R1_w=0
2: (79) r0 = *(u64 *)(r1 +0)
R1 invalid mem access 'scalar'
processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
"""


def test_failing_instruction_is_the_last_one_the_verifier_printed() -> None:
    assert failing_instruction(REJECTION_LOG) == 2


@pytest.mark.parametrize(
    ("log", "index"),
    [
        ("unreachable insn 4\n", 4),
        ("jump out of range from insn 1 to 9\n", 1),
        ("back-edge from insn 3 to 0\n", 3),
    ],
)
def test_failing_instruction_is_read_from_structural_messages(log: str, index: int) -> None:
    assert failing_instruction(log) == index


def test_failing_instruction_of_a_log_without_instructions_is_none() -> None:
    assert failing_instruction("BTF is required\n") is None


def test_summary_keeps_the_last_lines_and_drops_statistics() -> None:
    summary = summarize_log(REJECTION_LOG, 2)
    assert summary.splitlines() == ["2: (79) r0 = *(u64 *)(r1 +0)", "R1 invalid mem access 'scalar'"]


def test_verifier_error_message_shows_the_instruction_and_the_summary() -> None:
    error = kernel.VerifierError("rejected", errno=errno.EACCES, log=REJECTION_LOG)
    text = str(error)
    assert "at instruction 2" in text
    assert "R1 invalid mem access 'scalar'" in text
    assert error.log == REJECTION_LOG


def test_verifier_error_without_an_instruction_ignores_the_source_hook() -> None:
    error = kernel.VerifierError("rejected", errno=errno.EINVAL, log="unknown opcode 00\n")
    error.add_source(lambda index: "never")
    assert error.source_line is None


@settings(max_examples=200)
@given(st.text())
def test_log_parsing_never_fails_on_arbitrary_text(log: str) -> None:
    error = kernel.VerifierError("rejected", errno=errno.EACCES, log=log)
    assert error.insn_index is None or error.insn_index >= 0
    assert isinstance(error.summary, str)


# --- the syscall choke point with a fake kernel ---------------------------------------------------


class FakeKernel:
    """Answers bpf() with scripted (result, errno) pairs and records what it was sent."""

    def __init__(self, answers: list[tuple[int, int]]) -> None:
        self.answers = answers
        self.calls: list[tuple[int, int]] = []

    def __call__(
        self, cmd: int, attr: ctypes.Structure | ctypes.Array[ctypes.c_char], size: int
    ) -> tuple[int, int]:
        self.calls.append((cmd, size))
        return self.answers.pop(0)


def _install(answers: list[tuple[int, int]]) -> FakeKernel:
    fake_kernel = FakeKernel(answers)
    syscall.set_backend(fake_kernel)
    return fake_kernel


@pytest.fixture
def restore_backend() -> Iterator[None]:
    yield
    syscall.set_backend(None)


def test_eintr_is_retried_for_any_command(restore_backend: None) -> None:
    fake_kernel = _install([(-1, errno.EINTR), (0, 0)])
    assert syscall.bpf(syscall.Cmd.MAP_FREEZE, attrs.MapElemAttr()) == 0
    assert len(fake_kernel.calls) == 2


def test_eagain_is_retried_for_program_loads(restore_backend: None) -> None:
    fake_kernel = _install([(-1, errno.EAGAIN), (-1, errno.EAGAIN), (7, 0)])
    assert syscall.bpf(syscall.Cmd.PROG_LOAD, attrs.ProgLoadAttr()) == 7
    assert len(fake_kernel.calls) == 3


def test_eagain_is_not_retried_for_map_updates(restore_backend: None) -> None:
    _install([(-1, errno.EAGAIN), (0, 0)])
    with pytest.raises(kernel.KernelError) as caught:
        syscall.bpf(syscall.Cmd.MAP_UPDATE_ELEM, attrs.MapElemAttr())
    assert caught.value.errno == errno.EAGAIN


def test_retries_give_up_after_a_bound(restore_backend: None) -> None:
    _install([(-1, errno.EINTR)] * 20)
    with pytest.raises(kernel.KernelError):
        syscall.bpf(syscall.Cmd.MAP_FREEZE, attrs.MapElemAttr())


@pytest.mark.parametrize(
    "group", [attrs.MapCreateAttr, attrs.ProgLoadAttr, attrs.MapElemAttr, attrs.LinkCreateHead]
)
def test_attr_size_passed_is_the_size_of_the_group(
    restore_backend: None, group: type[ctypes.Structure]
) -> None:
    fake_kernel = _install([(0, 0)])
    syscall.bpf(syscall.Cmd.MAP_CREATE, group())
    assert fake_kernel.calls == [(syscall.Cmd.MAP_CREATE, ctypes.sizeof(group))]


def test_failed_program_load_is_reloaded_with_a_log(restore_backend: None) -> None:
    fake_kernel = _install([(-1, errno.EACCES), (-1, errno.EACCES)])
    with pytest.raises(kernel.KernelError):
        kernel.prog_load(6, bytes(16))
    assert len(fake_kernel.calls) == 2


def test_permission_failure_of_a_program_load_is_not_reloaded(restore_backend: None) -> None:
    fake_kernel = _install([(-1, errno.EPERM)])
    with pytest.raises(kernel.PermissionDenied):
        kernel.prog_load(6, bytes(16))
    assert len(fake_kernel.calls) == 1


@pytest.mark.parametrize(
    ("cmd", "value"),
    [
        ("MAP_CREATE", 0),
        ("PROG_LOAD", 5),
        ("PROG_TEST_RUN", 10),
        ("BTF_LOAD", 18),
        ("LINK_CREATE", 28),
        ("TOKEN_CREATE", 36),
    ],
)
def test_command_numbers_match_the_uapi(cmd: str, value: int) -> None:
    assert syscall.Cmd[cmd] == value


UNPRIVILEGED_SCRIPT = """
import os
from pybpf import kernel  # before dropping root: the interpreter's files may be root-only
os.setgroups([]); os.setgid(65534); os.setuid(65534)
try:
    kernel.map_create(2, 4, 4, 1)
except kernel.PermissionDenied as exc:
    print("PermissionDenied", exc.capability, "|", exc)
except kernel.KernelError as exc:
    print(type(exc).__name__, exc)
else:
    print("created")
"""


@pytest.mark.kernel
def test_unprivileged_map_create_raises_permission_denied_naming_cap_bpf() -> None:
    import os
    import subprocess
    import sys

    from kernel_testlib import require_kernel_feature

    require_kernel_feature(os.geteuid() == 0, "dropping privileges needs root")
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        disabled = f.read().strip()
    if disabled == "0":
        pytest.skip("unprivileged bpf() is allowed on this machine")
    out = subprocess.run(
        [sys.executable, "-c", UNPRIVILEGED_SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("PermissionDenied CAP_BPF")
    assert "unprivileged_bpf_disabled" in out
