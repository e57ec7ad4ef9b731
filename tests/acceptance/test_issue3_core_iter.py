"""Issue 3 acceptance: CO-RE reads of the running kernel's task_struct, checked against /proc.

A task iterator program, built by ``pybpf build`` and loaded by ``pybpf.load``, declares its own
minimal flavoured ``task_struct`` (the offsets compiled in are its own; only CO-RE makes them
the kernel's), and prints for this process: tgid, pid, ``real_parent->tgid``, the
``sched_reset_on_fork`` bitfield, the task state through whichever of ``__state``/``state``
the kernel has (field existence on flavoured structs), and whether a field no kernel has exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pybpf.runtime
from pybpf.attach.iterator import attach_iter
from pybpf.btf.ext import CoreReloKind
from pybpf.spec import ObjectSpec
from testlib import require_kernel_feature

pytestmark = pytest.mark.kernel

SCHED_RESET_ON_FORK = 0x40000000

SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct___mine {
	int pid;
	int tgid;
	struct task_struct___mine *real_parent;
	unsigned int sched_reset_on_fork : 1;
} __attribute__((preserve_access_index));

struct task_struct___since514 { unsigned int __state; } __attribute__((preserve_access_index));
struct task_struct___before514 { long state; } __attribute__((preserve_access_index));
struct task_struct___never { int pybpf_no_such_field; } __attribute__((preserve_access_index));

const volatile int target_tgid = 0;

SEC("iter/task")
int core_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct___mine *t = (void *)ctx->task;
	long state = -1;
	int tgid, pid, ppid, never;
	unsigned long long reset_on_fork;

	if (!t)
		return 0;
	tgid = BPF_CORE_READ(t, tgid);
	pid = BPF_CORE_READ(t, pid);
	if (tgid != target_tgid || pid != tgid)
		return 0;
	ppid = BPF_CORE_READ(t, real_parent, tgid);
	reset_on_fork = BPF_CORE_READ_BITFIELD_PROBED(t, sched_reset_on_fork);
	if (bpf_core_field_exists(((struct task_struct___since514 *)t)->__state))
		state = BPF_CORE_READ((struct task_struct___since514 *)t, __state);
	else if (bpf_core_field_exists(((struct task_struct___before514 *)t)->state))
		state = BPF_CORE_READ((struct task_struct___before514 *)t, state);
	never = bpf_core_field_exists(((struct task_struct___never *)t)->pybpf_no_such_field);
	BPF_SEQ_PRINTF(seq, "%d %d %d %llu %ld %d\n", tgid, pid, ppid, reset_on_fork, state, never);
	return 0;
}
"""


@pytest.fixture(scope="module")
def core_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_kernel_feature(os.geteuid() == 0, "loading BPF programs needs root")
    require_kernel_feature(Path("/sys/kernel/btf/vmlinux").exists(), "the kernel has no BTF")
    out = tmp_path_factory.mktemp("issue3_core")
    (out / "core_task.bpf.c").write_text(SOURCE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pybpf",
            "build",
            str(out / "core_task.bpf.c"),
            "-o",
            str(out / "core_task.o"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out / "core_task.o"


def proc_stat() -> tuple[str, int]:
    """(state letter, ppid) of this process from /proc/self/stat."""
    text = Path("/proc/self/stat").read_text()
    state, ppid = text[text.rindex(")") + 2 :].split()[:2]
    return state, int(ppid)


@pytest.fixture
def reset_on_fork(request: pytest.FixtureRequest) -> Iterator[bool]:
    wanted: bool = request.param
    param = os.sched_param(0)
    os.sched_setscheduler(0, os.SCHED_OTHER | (SCHED_RESET_ON_FORK if wanted else 0), param)
    try:
        yield wanted
    finally:
        os.sched_setscheduler(0, os.SCHED_OTHER, param)


def read_own_row(core_object: Path) -> list[int]:
    spec = ObjectSpec.from_file(core_object)
    spec.rodata["target_tgid"] = os.getpid()
    with pybpf.runtime.load(spec) as obj:
        link = attach_iter(obj.programs["core_task"].fd, target="task")
        try:
            lines = link.read().decode().splitlines()
        finally:
            link.close()
    assert len(lines) == 1, lines
    return [int(word) for word in lines[0].split()]


def test_iterator_reads_this_process_tgid_and_pid(core_object: Path) -> None:
    tgid, pid, *_ = read_own_row(core_object)
    assert (tgid, pid) == (os.getpid(), os.getpid())


def test_nested_real_parent_tgid_is_the_ppid_in_proc(core_object: Path) -> None:
    _, _, ppid, *_ = read_own_row(core_object)
    assert ppid == proc_stat()[1] == os.getppid()


@pytest.mark.parametrize("reset_on_fork", [True, False], indirect=True, ids=["set", "clear"])
def test_bitfield_read_follows_the_sched_reset_on_fork_flag(core_object: Path, reset_on_fork: bool) -> None:
    assert os.sched_getscheduler(0) & SCHED_RESET_ON_FORK == (SCHED_RESET_ON_FORK if reset_on_fork else 0)
    _, _, _, bit, *_ = read_own_row(core_object)
    assert bit == int(reset_on_fork)


def test_state_read_through_the_flavour_the_kernel_has_is_running_as_proc_says(core_object: Path) -> None:
    *_, state, _ = read_own_row(core_object)
    assert proc_stat()[0] == "R"
    assert state == 0  # TASK_RUNNING


def test_field_no_kernel_has_does_not_exist(core_object: Path) -> None:
    *_, never = read_own_row(core_object)
    assert never == 0


def test_every_read_of_the_local_task_struct_is_a_co_re_relocation(core_object: Path) -> None:
    prog = ObjectSpec.from_file(core_object).programs["core_task"]
    kinds = [reloc.kind for reloc in prog.core_relocations]
    assert kinds.count(CoreReloKind.FIELD_EXISTS) == 3
    assert {CoreReloKind.FIELD_LSHIFT_U64, CoreReloKind.FIELD_RSHIFT_U64, CoreReloKind.FIELD_SIGNED} <= set(
        kinds
    )
    assert kinds.count(CoreReloKind.FIELD_BYTE_OFFSET) >= 6
