"""FD ownership: fd 0 avoided, close-on-exec, idempotent close, GC backstop, no leaks."""

from __future__ import annotations

import fcntl
import gc
import os
from collections.abc import Iterator

import pytest
from kernel_testlib import MAP_ARRAY, PROG_XDP, ret

from pybpf import kernel
from pybpf.kernel import FD, ClosedFD


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def devnull() -> Iterator[int]:
    raw = os.open(os.devnull, os.O_RDONLY)
    yield raw
    try:
        os.close(raw)
    except OSError:
        pass


def test_fd_zero_is_moved_to_a_higher_number() -> None:
    saved = os.dup(0)
    try:
        os.close(0)
        raw = os.open(os.devnull, os.O_RDONLY)
        assert raw == 0
        owned = FD(raw)
        assert int(owned) >= 1
        with pytest.raises(OSError):
            os.fstat(0)
        owned.close()
    finally:
        os.dup2(saved, 0)
        os.close(saved)


def test_owned_fd_is_close_on_exec(devnull: int) -> None:
    os.set_inheritable(devnull, True)
    owned = FD(devnull)
    assert fcntl.fcntl(int(owned), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    owned.close()


def test_close_twice_is_harmless(devnull: int) -> None:
    owned = FD(devnull)
    owned.close()
    owned.close()
    assert owned.closed


def test_closed_fd_refuses_to_give_its_number(devnull: int) -> None:
    owned = FD(devnull)
    owned.close()
    with pytest.raises(ClosedFD):
        int(owned)


def test_context_manager_closes_the_fd(devnull: int) -> None:
    with FD(devnull) as owned:
        pass
    assert owned.closed
    with pytest.raises(OSError):
        os.fstat(devnull)


def test_garbage_collected_fd_is_closed(devnull: int) -> None:
    FD(devnull)
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(devnull)


def test_detached_fd_stays_open_for_the_new_owner(devnull: int) -> None:
    owned = FD(devnull)
    assert owned.detach() == devnull
    del owned
    gc.collect()
    os.fstat(devnull)


def test_dup_is_an_independent_owner(devnull: int) -> None:
    with FD(devnull) as owned, owned.dup() as copy:
        assert int(copy) != int(owned)
        owned.close()
        os.fstat(int(copy))


def test_negative_fd_is_rejected() -> None:
    with pytest.raises(ValueError):
        FD(-1)


def test_dropping_an_fd_closes_it_at_once_and_a_cycle_at_collection(devnull: int) -> None:
    FD(devnull)  # no reference left: closed before the next line, without a collection
    with pytest.raises(OSError):
        os.fstat(devnull)
    again = os.open(os.devnull, os.O_RDONLY)
    holder: list[object] = [FD(again)]
    holder.append(holder)  # a reference cycle: only the collector can drop it
    del holder
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(again)


def test_a_refused_fd_leaves_nothing_for_finalisation(monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable: list[object] = []
    monkeypatch.setattr("sys.unraisablehook", unraisable.append)
    with pytest.raises(ValueError):
        FD(-5)
    gc.collect()
    assert unraisable == []


def test_fds_still_owned_at_exit_are_finalised_quietly() -> None:
    """Module globals are torn down at interpreter exit; FDs held in them must still close cleanly."""
    import subprocess
    import sys

    code = (
        "import os\n"
        "import pybpf.kernel.fd as fd_module\n"
        "from pybpf.kernel import FD\n"
        "fd_module.HELD = FD(os.open(os.devnull, os.O_RDONLY))\n"
        "FD.held = FD(os.open(os.devnull, os.O_RDONLY))\n"
        "cycle = [FD(os.open(os.devnull, os.O_RDONLY))]\n"
        "cycle.append(cycle)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_the_number_is_given_up_before_it_is_closed(devnull: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever runs while the number is being closed (a signal handler, another thread) finds the
    FD already closed, so nothing can close the same number twice."""
    seen: list[tuple[int, bool]] = []
    owned = FD(devnull)

    def close_raw(raw: int) -> None:
        seen.append((raw, owned.closed))
        owned.close()  # a second close from inside the first does nothing
        with pytest.raises(ClosedFD):
            owned.detach()

    monkeypatch.setattr(FD, "_close_raw", staticmethod(close_raw))
    owned.close()
    owned.close()
    assert seen == [(devnull, True)]


@pytest.mark.kernel
def test_creating_and_closing_a_thousand_maps_and_programs_leaks_no_fd(bpf_ok: None) -> None:
    gc.collect()
    before = open_fds()
    for _ in range(1000):
        kernel.map_create(MAP_ARRAY, 4, 4, 1).close()
    for _ in range(1000):
        with kernel.prog_load(PROG_XDP, ret(2)):
            pass
    assert open_fds() == before


@pytest.mark.kernel
def test_failing_calls_and_dropped_owners_leak_no_fd(bpf_ok: None) -> None:
    gc.collect()
    before = open_fds()
    for _ in range(200):
        with pytest.raises(kernel.VerifierError):
            kernel.prog_load(PROG_XDP, ret(2)[8:])
        kernel.map_create(MAP_ARRAY, 4, 4, 1)  # dropped: the finalizer closes it
    gc.collect()
    assert open_fds() == before
