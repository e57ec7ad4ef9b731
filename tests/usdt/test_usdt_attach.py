"""attach_usdt end to end: a gcc-built program fires hand-written USDT probes, a BPF program
reads the arguments through usdt.bpf.h, and the values must be the ones the C code passed."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from usdt_testlib import Target

from pybpf.attach import AttachError
from pybpf.usdt import UsdtNotFound, attach_usdt, find_probes

# What fire(-5, 65000, -100000, -5000000000L, round) passes to the "kinds" probe, in order.
KINDS_EXPECTED = [
    ("1-byte signed register", -5),
    ("2-byte unsigned register", 65000),
    ("4-byte signed register", -100000),
    ("8-byte signed register", -5_000_000_000),
    ("4-byte memory operand", -300000),
    ("8-byte memory operand", -5_000_000_001),
    ("negative constant", -7),
    ("positive constant", 123456789),
]


def _results(reader: Any) -> list[int]:
    return [reader.maps["results"][i] for i in range(17)]


@pytest.fixture
def kinds_hit(reader: Any, target: Target) -> list[int]:
    with attach_usdt(reader.programs["on_kinds"], target.path, "pybpf", "kinds", pid=target.pid, cookie=42):
        target.fire(2)
    return _results(reader)


@pytest.mark.parametrize(("index", "expected"), [(i, v) for i, (_, v) in enumerate(KINDS_EXPECTED)],
                         ids=[name for name, _ in KINDS_EXPECTED])  # fmt: skip
def test_bpf_program_reads_the_argument_value_the_c_code_passed(
    kinds_hit: list[int], index: int, expected: int
) -> None:
    assert kinds_hit[index] == expected


def test_bpf_usdt_arg_cnt_is_the_number_of_arguments_in_the_note(kinds_hit: list[int]) -> None:
    assert kinds_hit[12] == len(KINDS_EXPECTED)


def test_bpf_usdt_cookie_returns_the_cookie_given_to_attach(kinds_hit: list[int]) -> None:
    assert kinds_hit[13] == 42


def test_every_probe_hit_runs_the_program(kinds_hit: list[int]) -> None:
    assert kinds_hit[14] == 2


def test_bpf_usdt_macro_unpacks_arguments_of_a_semaphore_guarded_probe(reader: Any, target: Target) -> None:
    with attach_usdt(reader.programs["on_guarded"], target.path, "pybpf", "guarded", pid=target.pid):
        target.fire(3)
    results = _results(reader)
    assert (results[15], results[16]) == (2, 3)


def _semaphore(target: Target) -> int:
    probe = find_probes(target.path, "pybpf", "guarded")[0]
    maps = Path(f"/proc/{target.pid}/maps").read_text().splitlines()
    for line in maps:
        fields = line.split()
        start, _, end = fields[0].partition("-")
        offset = int(fields[2], 16)
        size = int(end, 16) - int(start, 16)
        if (
            len(fields) > 5
            and fields[5] == str(target.path)
            and offset <= probe.semaphore_offset < offset + size
        ):
            address = int(start, 16) + probe.semaphore_offset - offset
            with open(f"/proc/{target.pid}/mem", "rb") as mem:
                mem.seek(address)
                return int(struct.unpack("=H", mem.read(2))[0])
    raise AssertionError("semaphore not mapped")


def test_attaching_raises_the_probe_semaphore_and_closing_lowers_it(reader: Any, target: Target) -> None:
    before = _semaphore(target)
    link = attach_usdt(reader.programs["on_guarded"], target.path, "pybpf", "guarded", pid=target.pid)
    during = _semaphore(target)
    link.close()
    assert (before, during, _semaphore(target)) == (0, 1, 0)


def test_closing_the_link_clears_its_spec_and_ip_entries(reader: Any, target: Target) -> None:
    link = attach_usdt(reader.programs["on_kinds"], target.path, "pybpf", "kinds", pid=target.pid)
    filled = sum(1 for _ in reader.maps["pybpf_usdt_ip"].keys())
    link.close()
    spec_map = reader.maps["pybpf_usdt_spec"]
    assert filled == 1
    assert list(reader.maps["pybpf_usdt_ip"].keys()) == []
    assert all(raw == bytes(len(raw)) for _, raw in spec_map.raw_items())


def test_closed_link_stops_the_program_from_running(reader: Any, target: Target) -> None:
    link = attach_usdt(reader.programs["on_kinds"], target.path, "pybpf", "kinds", pid=target.pid)
    target.fire()
    link.close()
    target.fire()
    assert _results(reader)[14] == 1


def test_attach_to_a_missing_probe_raises_usdt_not_found(reader: Any, target: Target) -> None:
    with pytest.raises(UsdtNotFound, match="nosuch"):
        attach_usdt(reader.programs["on_kinds"], target.path, "pybpf", "nosuch", pid=target.pid)


def test_attach_of_a_program_without_usdt_maps_raises_attach_error(
    bpf_ok: None, usdt_target_binary: Path
) -> None:
    from pybpf import kernel
    from pybpf.enums import ProgramType
    from pybpf.isa import constructors, encode

    insns = encode([constructors.mov64_imm(0, 0), constructors.exit()])
    with (
        kernel.prog_load(ProgramType.KPROBE, insns, "GPL") as prog,
        pytest.raises(AttachError, match=r"usdt\.bpf\.h"),
    ):
        attach_usdt(prog, usdt_target_binary, "pybpf", "kinds")


def test_attach_without_pid_traces_every_process_running_the_binary(reader: Any, target: Target) -> None:
    with attach_usdt(reader.programs["on_kinds"], target.path, "pybpf", "kinds", cookie=7):
        target.fire(2)
    results = _results(reader)
    assert (results[0], results[13], results[14]) == (-5, 7, 2)


def test_usdt_link_exposes_one_bpf_link_per_probe_site(reader: Any, target: Target) -> None:
    with attach_usdt(reader.programs["on_kinds"], target.path, "pybpf", "kinds", pid=target.pid) as link:
        assert len(link.ids()) == len(find_probes(target.path, "pybpf", "kinds")) == 1
