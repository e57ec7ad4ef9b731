"""``pybpf run``'s refusals and degraded modes: bad ``--set`` names and durations, a busy trace pipe."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pybpf.run import RunOptions, SetError, apply_assignments, run
from pybpf.run.session import RunError, Session
from pybpf.run.setvars import is_settable_name, settable_names
from pybpf.spec import ObjectSpec


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("targ_pid", True),
        ("_private", True),
        ("say_hello.__pybpf_fmt", False),
        ("on_write.___pybpf_fmt", False),
        ("___internal", False),
        ("__pybpf_fmt", False),
        ("1abc", False),
        ("a-b", False),
        ("", False),
    ],
)
def test_only_user_declared_c_identifiers_are_settable(name: str, expected: bool) -> None:
    assert is_settable_name(name) is expected


def test_settable_names_hide_the_printk_format_strings(run_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(run_object("printk"))
    assert settable_names(spec) == ["targ_pid"]


def test_set_of_a_compiler_internal_global_is_refused_with_a_clear_error(
    run_object: Callable[[str], Path],
) -> None:
    spec = ObjectSpec.from_file(run_object("printk"))
    with pytest.raises(SetError, match="not a settable global"):
        apply_assignments(spec, ["say_hello.__pybpf_fmt=x"])


def test_set_of_an_unknown_global_lists_only_settable_ones(run_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(run_object("printk"))
    with pytest.raises(SetError) as info:
        apply_assignments(spec, ["nope=1"])
    assert "have: targ_pid)" in str(info.value)


@pytest.mark.parametrize("duration", [0.0, -1.0, float("nan")])
def test_non_positive_durations_are_refused(duration: float) -> None:
    with pytest.raises(RunError, match="--duration must be a positive"):
        Session("x.bpf.o", RunOptions(duration=duration))


def test_run_command_refuses_a_negative_duration(run_object: Callable[[str], Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pybpf", "run", str(run_object("printk")), "--duration", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "--duration must be a positive" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.kernel
def test_a_busy_trace_pipe_warns_and_the_run_still_dumps_its_maps(
    bpf_ok: None, run_object: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def busy_trace_pipe(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("trace_pipe"):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", busy_trace_pipe)
    out, err = io.StringIO(), io.StringIO()
    options = RunOptions(
        duration=0.5,
        assignments=[f"targ_pid={os.getpid()}"],
        on_ready=lambda: [os.getppid() for _ in range(4)],
    )
    summary = run(run_object("printk"), options, stream=out, warnings=err)
    assert "trace output (bpf_printk) unavailable" in err.getvalue()
    assert "busy" in err.getvalue().lower()
    assert summary.attached == ["say_hello"] and "4 -> 7 : 4 " in out.getvalue()
