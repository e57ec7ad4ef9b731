"""``attach_all``: every program attached by section name, the rest skipped with a reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pybpf.attach import kprobes_available
from pybpf.run import attach_all
from pybpf.runtime import load

pytestmark = pytest.mark.kernel


def test_attach_all_attaches_tracepoints_and_skips_the_rest_with_reasons(
    bpf_ok: None, run_object: Callable[[str], Path]
) -> None:
    with load(run_object("skips")) as obj, attach_all(obj) as report:
        skipped = {s.program: s.reason for s in report.skipped}
        assert "count_syscalls" in report.attached and "interface" in skipped["pass_all"]


def test_attach_all_reports_a_missing_kprobe_pmu_as_a_skip(
    bpf_ok: None, run_object: Callable[[str], Path]
) -> None:
    if kprobes_available():
        pytest.skip("this kernel has kprobes")
    with load(run_object("skips")) as obj, attach_all(obj) as report:
        assert "CONFIG_KPROBES" in {s.program: s.reason for s in report.skipped}["probe_sleep"]


def test_attach_report_close_detaches_every_link(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    with load(run_object("skips")) as obj:
        report = attach_all(obj)
        report.close()
        assert all(link.closed for link in report.links.values())


def test_attach_all_runs_iterators_once(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    with load(run_object("task_iter")) as obj, attach_all(obj) as report:
        assert report.iter_output and all(report.iter_output.values())
