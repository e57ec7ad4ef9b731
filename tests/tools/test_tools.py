"""Each tool traces the activity it is named after, triggered by the test itself."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pybpf.cli.tool_cmd import tool
from pybpf.tools import EVENT_TOOLS, Filters, syscount, syslat
from pybpf.tools.catalog import EVENT_FILTERS, address
from pybpf.tools.syscalls import parse_unistd

pytestmark = pytest.mark.kernel


def _trace(name: str, action: Callable[[], object], **filters: object) -> str:
    out = io.StringIO()
    EVENT_TOOLS[name].run(
        Filters(duration=0.7, **filters),  # type: ignore[arg-type]
        out,
        on_ready=action,
        keep=EVENT_FILTERS.get(name),
    )
    return out.getvalue()


def _exec_true() -> None:
    subprocess.run(["/bin/true"], check=True)


def test_execsnoop_shows_a_program_started_during_the_run(bpf_ok: None) -> None:
    assert "/bin/true" in _trace("execsnoop", _exec_true)


def test_execsnoop_comm_filter_drops_other_commands(bpf_ok: None) -> None:
    assert "/bin/true" not in _trace("execsnoop", _exec_true, comm="no-such-comm")


def test_execsnoop_pid_filter_keeps_only_that_process(bpf_ok: None) -> None:
    # The test process never execs, so a filter on its pid hides every exec of its children.
    assert "/bin/true" not in _trace("execsnoop", _exec_true, pid=os.getpid())


def test_opensnoop_shows_a_file_opened_during_the_run(bpf_ok: None, tmp_path: Path) -> None:
    path = str(tmp_path / "opened-by-test.txt")
    output = _trace("opensnoop", lambda: open(path, "w").close(), pid=os.getpid())
    assert path in output


def test_opensnoop_reports_the_errno_of_a_failed_open(bpf_ok: None) -> None:
    missing = "/nonexistent-dir-pybpf/file"

    def fail() -> None:
        try:
            open(missing)
        except OSError:
            pass

    (line,) = [line for line in _trace("opensnoop", fail, pid=os.getpid()).splitlines() if missing in line]
    assert line.split()[2:4] == ["-1", "2"]


def test_exitsnoop_shows_a_child_exit_code(bpf_ok: None) -> None:
    output = _trace("exitsnoop", lambda: subprocess.run(["sh", "-c", "exit 7"]), comm="sh")
    assert "code 7" in output


def test_exitsnoop_shows_a_killing_signal(bpf_ok: None) -> None:
    output = _trace("exitsnoop", lambda: subprocess.run(["sh", "-c", "kill -9 $$"]), comm="sh")
    assert "signal 9" in output


def _connect_local() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()):
            pass


def test_tcpconnect_shows_a_connection_to_a_local_listener(bpf_ok: None) -> None:
    lines = _trace("tcpconnect", _connect_local, pid=os.getpid()).splitlines()
    assert any("127.0.0.1" in line and line.split()[0] == str(os.getpid()) for line in lines[1:])


def test_tcpconnect_json_has_text_addresses(bpf_ok: None) -> None:
    events = [
        json.loads(line)
        for line in _trace("tcpconnect", _connect_local, pid=os.getpid(), json_lines=True).splitlines()
    ]
    assert events and events[0]["daddr"] == "127.0.0.1"


def test_timestamps_add_a_time_column(bpf_ok: None) -> None:
    header = _trace("execsnoop", _exec_true, timestamps=True).splitlines()[0]
    assert header.split()[0] == "TIME(s)"


def _getppid_burst() -> None:
    for _ in range(500):
        os.getppid()


def test_syscount_counts_the_syscalls_of_a_process(bpf_ok: None) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("the syscall number checked is x86_64's")
    counts = syscount(Filters(duration=0.5, pid=os.getpid()), io.StringIO(), on_ready=_getppid_burst)
    getppid = 110
    assert counts[getppid]["count"] >= 500


def test_syscount_latency_adds_a_time_column(bpf_ok: None) -> None:
    out = io.StringIO()
    syscount(Filters(duration=0.3, pid=os.getpid()), out, latency=True, on_ready=_getppid_burst)
    assert out.getvalue().splitlines()[0].split() == ["SYSCALL", "COUNT", "TIME(us)"]


def test_syslat_histogram_counts_every_traced_syscall(bpf_ok: None) -> None:
    buckets = syslat(Filters(duration=0.5, pid=os.getpid()), io.StringIO(), on_ready=_getppid_burst)
    assert sum(buckets.values()) >= 500


@pytest.mark.parametrize(
    ("family", "words", "text"),
    [(2, [0x0100007F, 0, 0, 0], "127.0.0.1"), (10, [0, 0, 0, 0x01000000], "::1")],
)
def test_addresses_are_shown_in_their_family_text_form(family: int, words: list[int], text: str) -> None:
    assert address(family, words) == text


@pytest.mark.parametrize("name", ["execsnoop", "opensnoop", "exitsnoop", "tcpconnect", "syscount", "syslat"])
def test_every_tool_has_a_command_with_the_common_options(name: str) -> None:
    result = CliRunner().invoke(tool, [name, "--help"])
    assert result.exit_code == 0 and all(
        opt in result.output for opt in ("--pid", "--comm", "--json", "--duration")
    )


def test_tool_command_runs_a_tool(bpf_ok: None) -> None:
    result = CliRunner().invoke(tool, ["syscount", "-d", "0.2", "-n", "3"])
    assert result.exit_code == 0 and result.output.splitlines()[0].split() == ["SYSCALL", "COUNT"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#define __NR_read 0\n#define __NR_write 1\n", {0: "read", 1: "write"}),
        ("#define __NR_a 5\n#define __NR_b 5\n", {5: "a"}),
        ("#define __NR_x (__NR_y + 1)\n", {}),
    ],
)
def test_unistd_headers_give_syscall_names(text: str, expected: dict[int, str]) -> None:
    assert parse_unistd(text) == expected


def test_syscount_comm_filter_counts_only_that_command(bpf_ok: None) -> None:
    def run_sh() -> None:
        subprocess.run(["sh", "-c", "true"], check=True)

    counts = syscount(Filters(duration=0.5, comm="no-such-comm"), io.StringIO(), on_ready=run_sh)
    assert counts == {}
