"""``pybpf run`` end to end on the running kernel, and its pure parts (``--set``, output)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from run_testlib import EXAMPLES

from pybpf.run import RunOptions, SetError, apply_assignments, run
from pybpf.run.autoattach import NotAutoAttachable, parse_uprobe_target
from pybpf.run.output import format_fields, int_histogram, slot_array
from pybpf.spec import ObjectSpec

pytestmark = pytest.mark.kernel


def _spawn_true(times: int = 3) -> Callable[[], None]:
    def start() -> None:
        for _ in range(times):
            subprocess.run(["/bin/true"], check=True)

    return start


def test_run_execsnoop_prints_the_processes_started_during_the_run(bpf_ok: None) -> None:
    out = io.StringIO()
    summary = run(EXAMPLES / "execsnoop.bpf.c", RunOptions(duration=1.5, on_ready=_spawn_true()), stream=out)
    lines = [line for line in out.getvalue().splitlines() if "filename=/bin/true" in line]
    assert len(lines) >= 3 and summary.events["events"] >= 3


def test_run_json_lines_have_the_struct_member_names(bpf_ok: None) -> None:
    out = io.StringIO()
    run(
        EXAMPLES / "execsnoop.bpf.c",
        RunOptions(duration=1.0, json_lines=True, on_ready=_spawn_true(1)),
        stream=out,
    )
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    trues = [e for e in events if e.get("filename") == "/bin/true"]
    assert trues and set(trues[0]) == {"pid", "ppid", "uid", "comm", "filename"}


def test_run_dumps_hash_maps_at_the_end(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    out = io.StringIO()
    run(run_object("bootstrap"), RunOptions(duration=0.8, on_ready=_spawn_true(1)), stream=out)
    assert "map exec_start:" in out.getvalue()


def test_run_with_set_applies_rodata_before_load(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    # min_duration_ns > 0 suppresses exec events in bootstrap.bpf.c.
    out = io.StringIO()
    options = RunOptions(duration=0.8, assignments=["min_duration_ns=1000000000000"], on_ready=_spawn_true(2))
    run(run_object("bootstrap"), options, stream=out)
    assert "exit_event=False" not in out.getvalue()


def test_run_command_stops_cleanly_on_sigint(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    code = "import sys; from pybpf.cli.run_cmd import run_command; run_command(sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(run_object("execsnoop"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "# attached ..." once the program is live
    subprocess.run(["/bin/true"], check=True)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGINT)
    rest, _err = proc.communicate(timeout=30)
    assert first.startswith("# attached"), first
    assert (proc.returncode, "filename=/bin/true" in rest) == (0, True), _err[-2000:]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("target_pid=0x10", 16),
        ("offset=-3", -3),
        ("verbose=true", True),
        ("verbose=0", False),
        ("label=abc", b"abc"),
        ("run_mode=MODE_SLOW", 2),
    ],
)
def test_set_parses_values_against_the_variable_type(
    run_object: Callable[[str], Path], item: str, expected: object
) -> None:
    spec = ObjectSpec.from_file(run_object("infer"))
    name = item.split("=")[0]
    assert apply_assignments(spec, [item])[name] == expected


@pytest.mark.parametrize(
    "item",
    [
        "target_pid=abc",
        "target_pid=-1",
        "offset=40000",
        "verbose=maybe",
        "label=waytoolongtext",
        "nosuch=1",
        "noequals",
    ],
)
def test_set_rejects_what_does_not_fit(run_object: Callable[[str], Path], item: str) -> None:
    spec = ObjectSpec.from_file(run_object("infer"))
    with pytest.raises(SetError):
        apply_assignments(spec, [item])


def test_set_value_reaches_the_spec_rodata(run_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(run_object("infer"))
    apply_assignments(spec, ["target_pid=1234"])
    assert spec.rodata["target_pid"] == 1234


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"pid": 1, "comm": "bash"}, "pid=1 comm=bash"),
        ({"path": "/a b"}, 'path="/a b"'),
        ({"empty": ""}, 'empty=""'),
        ({"inner": {"x": 1}}, "inner={x=1}"),
        ({"list": [1, 2]}, "list=[1,2]"),
    ],
)
def test_event_text_is_key_value_pairs(fields: dict[str, object], text: str) -> None:
    assert format_fields(fields) == text


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([(0, 1), (3, 5)], {0: 1, 3: 5}),
        ([(1, [2, 3])], {1: 5}),
        ([(70, 1)], None),
        ([(1, {"a": 1})], None),
    ],
)
def test_int_keyed_int_maps_are_histograms(entries: list[tuple[object, object]], expected: object) -> None:
    assert int_histogram(entries) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"slots": [0, 1, 2]}, [0, 1, 2]), ([4, 5], [4, 5]), ({"a": 1, "b": 2}, None), ({"comm": "x"}, None)],
)
def test_struct_with_one_int_array_is_a_slot_histogram(value: object, expected: object) -> None:
    assert slot_array(value) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/bin/bash:readline", ("/bin/bash", "readline", 0)),
        ("libc.so.6:malloc+0x10", ("libc.so.6", "malloc", 16)),
        ("/bin/true:0x1000", ("/bin/true", None, 0x1000)),
    ],
)
def test_uprobe_section_targets_parse(target: str, expected: tuple[str, str | None, int]) -> None:
    assert parse_uprobe_target(target) == expected


@pytest.mark.parametrize("target", ["", "/bin/bash", "/bin/bash:"])
def test_uprobe_section_without_function_is_not_auto_attachable(target: str) -> None:
    with pytest.raises(NotAutoAttachable):
        parse_uprobe_target(target)


def test_run_prints_trace_pipe_lines_and_draws_histogram_maps(
    bpf_ok: None, run_object: Callable[[str], Path]
) -> None:
    out = io.StringIO()
    options = RunOptions(
        duration=1.0,
        assignments=[f"targ_pid={os.getpid()}"],
        on_ready=lambda: [os.getppid() for _ in range(4)],
    )
    run(run_object("printk"), options, stream=out)
    text = out.getvalue()
    assert f"hello from {os.getpid()}" in text
    assert "map slots: log2 histogram" in text and "4 -> 7 : 4 " in text


@pytest.mark.parametrize("bad", ["noequals", "=struct x", "rb="])
def test_run_command_rejects_malformed_event_type_options(
    bad: str, run_object: Callable[[str], Path]
) -> None:
    from click.testing import CliRunner

    from pybpf.cli.run_cmd import run_command

    result = CliRunner().invoke(run_command, [str(run_object("infer")), "--event-type", bad])
    assert result.exit_code == 2 and "MAP=TYPE" in result.output


def test_run_attaches_uprobes_named_by_section_and_dumps_their_counts(
    bpf_ok: None, run_object: Callable[[str], Path]
) -> None:
    out = io.StringIO()
    options = RunOptions(
        duration=0.8,
        assignments=[f"targ_pid={os.getpid()}"],
        on_ready=lambda: [os.getppid() for _ in range(3)],
    )
    summary = run(run_object("uprobe_libc"), options, stream=out)
    text = out.getvalue()
    assert sorted(summary.attached) == ["on_getppid", "on_getppid_return"]
    assert "100 => 3" in text and "200 => 3" in text


def test_run_streams_every_buffer_with_its_map_name(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    out = io.StringIO()
    options = RunOptions(duration=0.8, on_ready=lambda: (os.getppid(), os.getpid()), dump_maps=False)
    summary = run(run_object("infer"), options, stream=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("[stacked] when=") for line in lines)
    assert any(line.startswith("[perf] a=") for line in lines)
    assert summary.events["named"] >= 1


def test_run_leaves_no_descriptor_open(bpf_ok: None, run_object: Callable[[str], Path]) -> None:
    path = run_object("infer")
    run(path, RunOptions(duration=0.2), stream=io.StringIO())  # warm caches that hold files
    before = set(os.listdir("/proc/self/fd"))
    run(path, RunOptions(duration=0.3, on_ready=os.getppid), stream=io.StringIO())
    assert set(os.listdir("/proc/self/fd")) - before == set()
