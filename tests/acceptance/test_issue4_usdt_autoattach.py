"""Issue 4 acceptance: a USDT program named by its section is attached by ``Object.attach_all()``.

The traced program is the USDT suite's hand-noted target (tests/usdt/data/usdt_target.c, built
here with gcc); the BPF side names it the libbpf way, ``SEC("usdt/BINARY:PROVIDER:NAME")``, and
uses ``BPF_USDT`` from pybpf's own ``<bpf/usdt.bpf.h>``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testlib import ROOT, find_tool, require_kernel_feature

pytestmark = pytest.mark.kernel

TARGET_SOURCE = ROOT / "tests" / "usdt" / "data" / "usdt_target.c"

BPF_SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

/* 0: hits, 1: the third argument of the last hit. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, long);
} seen SEC(".maps");

SEC("usdt/TARGET:pybpf:kinds")
int BPF_USDT(on_kinds, int c, int s, int i)
{
	__u32 hits = 0, last = 1;
	long *cell = bpf_map_lookup_elem(&seen, &hits);

	if (cell)
		__sync_fetch_and_add(cell, 1);
	cell = bpf_map_lookup_elem(&seen, &last);
	if (cell)
		*cell = i;
	return 0;
}
"""


@pytest.fixture(scope="module")
def target_and_object(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    gcc = find_tool("gcc", "cc")
    if gcc is None:
        pytest.skip("no C compiler (gcc) to build the traced program")
    out = tmp_path_factory.mktemp("issue4-usdt")
    target = out / "usdt_target"
    subprocess.run([gcc, "-O2", "-g", "-o", str(target), str(TARGET_SOURCE)], check=True)
    src = out / "usdt_auto.bpf.c"
    src.write_text(BPF_SOURCE.replace("TARGET", str(target)))
    return target, pybpf.build(src, src.with_suffix(".o"))


@pytest.fixture
def running_target(target_and_object: tuple[Path, Path]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [str(target_and_object[0])], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    assert proc.stdin is not None
    proc.stdin.write("quit\n")
    proc.stdin.close()
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


def _fire(proc: subprocess.Popen[str], times: int) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    for _ in range(times):
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "fired"


def test_attach_all_attaches_a_usdt_section_and_the_program_sees_each_probe_hit(
    target_and_object: tuple[Path, Path], running_target: subprocess.Popen[str]
) -> None:
    import pybpf

    with pybpf.load(target_and_object[1]) as obj:
        with obj.attach_all() as report:
            assert report.attached == ["on_kinds"], report.describe()
            _fire(running_target, 3)
            seen = obj.maps["seen"]
            assert (seen[0], seen[1]) == (3, -100000)


def test_explicit_attach_usdt_of_the_same_program_sees_each_probe_hit(
    target_and_object: tuple[Path, Path], running_target: subprocess.Popen[str]
) -> None:
    import pybpf
    from pybpf.usdt import attach_usdt

    with pybpf.load(target_and_object[1]) as obj:
        with attach_usdt(obj.programs["on_kinds"], target_and_object[0], "pybpf", "kinds"):
            _fire(running_target, 3)
        seen = obj.maps["seen"]
        assert (seen[0], seen[1]) == (3, -100000)
