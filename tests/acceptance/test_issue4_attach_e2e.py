"""Issue 4 acceptance: an object built from C, loaded, auto-attached, fires, and leaves nothing behind.

These go through the public API only (``pybpf.build``, ``pybpf.load``, ``Object.attach_all``) and
check the result from outside: the ``pybpf link list --json`` command and this process's
``/proc/self/fd``, which is what a user would look at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybpf.runtime import Object
from testlib import require_kernel_feature

pytestmark = pytest.mark.kernel

SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile int target_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static void bump(__u32 slot)
{
	__u64 *count;

	if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
		return;
	count = bpf_map_lookup_elem(&hits, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid_tp(void *ctx)
{
	bump(0);
	return 0;
}

SEC("raw_tp/sys_enter")
int on_sys_enter_raw(void *ctx)
{
	bump(1);
	return 0;
}

SEC("xdp")
int needs_an_interface(struct xdp_md *ctx)
{
	return XDP_PASS;
}
"""


def _bpf_link_fds() -> set[int]:
    """This process's descriptors that are BPF links (anon inode ``bpf_link``)."""
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:bpf_link":
                found.add(int(name))
        except OSError:
            continue
    return found


def _cli_link_ids() -> set[int]:
    done = subprocess.run(
        [sys.executable, "-m", "pybpf", "link", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {entry["id"] for entry in json.loads(done.stdout or "[]")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    src = tmp_path_factory.mktemp("issue4") / "autoattach.bpf.c"
    src.write_text(SOURCE)
    return pybpf.build(src, src.with_suffix(".o"))


@pytest.fixture
def loaded(built: Path) -> Iterator[Object]:
    import pybpf
    from pybpf.spec import ObjectSpec

    spec = ObjectSpec.from_file(built)
    spec.rodata["target_pid"] = os.getpid()
    try:
        obj = pybpf.load(spec)
    except pybpf.Error as exc:
        require_kernel_feature(False, f"cannot load the test object: {exc}")
        raise
    with obj:
        yield obj


def test_attach_all_attaches_tracepoint_and_raw_tracepoint_and_skips_xdp_with_a_reason(
    loaded: Object,
) -> None:
    report = loaded.attach_all()
    try:
        assert sorted(report.attached) == ["on_getppid_tp", "on_sys_enter_raw"]
        assert [(s.program, "interface" in s.reason) for s in report.skipped] == [
            ("needs_an_interface", True)
        ]
    finally:
        report.close()


def test_auto_attached_programs_fire_for_this_process(loaded: Object) -> None:
    report = loaded.attach_all()
    try:
        for _ in range(5):
            os.getppid()
        hits = loaded.maps["hits"]
        assert hits[0] >= 5 and hits[1] >= 5
    finally:
        report.close()


def test_closing_the_attach_report_leaves_no_link_fd_in_this_process(loaded: Object) -> None:
    before = _bpf_link_fds()
    report = loaded.attach_all()
    assert len(_bpf_link_fds() - before) == 2
    report.close()
    assert _bpf_link_fds() - before == set()


def test_closed_links_are_gone_from_pybpf_link_list(loaded: Object) -> None:
    report = loaded.attach_all()
    ids = {link.id for link in report.links.values()}
    listed_while_attached = _cli_link_ids()
    report.close()
    assert ids <= listed_while_attached
    assert _eventually_unlisted(ids)


def _eventually_unlisted(ids: set[int], attempts: int = 50) -> bool:
    """The kernel may free a closed link from a work queue: look again a few times."""
    for _ in range(attempts):
        if not ids & _cli_link_ids():
            return True
        time.sleep(0.1)
    return False


def test_closing_the_object_detaches_what_attach_all_attached(built: Path) -> None:
    import pybpf
    from pybpf.spec import ObjectSpec

    spec = ObjectSpec.from_file(built)
    spec.rodata["target_pid"] = os.getpid()
    before = _bpf_link_fds()
    obj = pybpf.load(spec)
    obj.attach_all()
    obj.close()
    assert _bpf_link_fds() - before == set()


TRAMPOLINE_SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_sys_openat2")
int on_openat_entry(void *ctx)
{
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int on_openat_tp(void *ctx)
{
	return 0;
}
"""


@pytest.fixture(scope="module")
def trampoline_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    src = tmp_path_factory.mktemp("issue4-fentry") / "fentry.bpf.c"
    src.write_text(TRAMPOLINE_SOURCE)
    return pybpf.build(src, src.with_suffix(".o"))


def _trampolines_work() -> bool:
    from pybpf.attach import load_btf_program
    from pybpf.isa import constructors as c
    from pybpf.isa import encode

    try:
        load_btf_program("fentry", "do_sys_openat2", encode([c.mov64_imm(0, 0), c.exit()])).close()
    except Exception:
        return False
    return True


def test_loading_an_object_with_an_unloadable_fentry_program_names_the_kernel_option(
    trampoline_object: Path,
) -> None:
    import pybpf
    from pybpf.kernel.errors import NotSupportedByKernel

    if _trampolines_work():
        with pybpf.load(trampoline_object) as obj:
            assert "on_openat_entry" in obj.programs
        return
    with pytest.raises(NotSupportedByKernel, match="CONFIG_") as refused:
        pybpf.load(trampoline_object)
    assert refused.value.program == "on_openat_entry"


def test_run_skips_an_unloadable_fentry_program_naming_the_kernel_option_and_attaches_the_rest(
    trampoline_object: Path,
) -> None:
    from pybpf.run import attach_all, load_skipping_refused
    from pybpf.spec import ObjectSpec

    obj, refused = load_skipping_refused(ObjectSpec.from_file(trampoline_object))
    with obj, attach_all(obj) as report:
        assert "on_openat_tp" in report.attached
        if "on_openat_entry" not in report.attached:
            (skip,) = refused + report.skipped
            assert skip.program == "on_openat_entry" and "CONFIG_" in skip.reason


def test_pybpf_run_command_reports_the_unloadable_fentry_program_as_skipped(trampoline_object: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pybpf", "run", str(trampoline_object), "--duration", "0.2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "attached on_openat_tp" in done.stdout
    if not _trampolines_work():
        (line,) = [x for x in done.stdout.splitlines() if x.startswith("# skipped on_openat_entry")]
        assert "CONFIG_" in line


def test_run_final_dump_shows_a_per_cpu_counter_array_as_one_map(tmp_path: Path) -> None:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    obj = pybpf.build(Path(__file__).resolve().parents[2] / "examples" / "xdp.bpf.c", tmp_path / "xdp.bpf.o")
    done = subprocess.run(
        [sys.executable, "-m", "pybpf", "run", str(obj), "--duration", "0.2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    headings = [line for line in done.stdout.splitlines() if line.startswith("map proto_count")]
    assert "Traceback" not in done.stderr
    assert len(headings) <= 1


STRUCT_OPS_SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/e2e_ssthresh")
__u32 BPF_PROG(e2e_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/e2e_cong_avoid")
void BPF_PROG(e2e_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops/e2e_undo_cwnd")
__u32 BPF_PROG(e2e_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops e2e_ca = {
	.ssthresh = (void *)e2e_ssthresh,
	.cong_avoid = (void *)e2e_cong_avoid,
	.undo_cwnd = (void *)e2e_undo_cwnd,
	.name = "CA_NAME",
};
"""


def _congestion_controls() -> list[str]:
    return Path("/proc/sys/net/ipv4/tcp_available_congestion_control").read_text().split()


def test_attach_all_registers_a_struct_ops_congestion_control_until_the_report_closes(
    tmp_path: Path,
) -> None:
    import pybpf
    from pybpf.btf import BTF

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    require_kernel_feature(
        any(True for _ in BTF.vmlinux().find_all("bpf_struct_ops_tcp_congestion_ops")),
        "no tcp_congestion_ops struct_ops in this kernel",
    )
    name = f"pybpf_e{os.getpid() % 100000}"
    src = tmp_path / "ca.bpf.c"
    src.write_text(STRUCT_OPS_SOURCE.replace("CA_NAME", name))
    with pybpf.load(pybpf.build(src, src.with_suffix(".o"))) as obj:
        with obj.attach_all() as report:
            assert (report.attached, report.skipped) == (["e2e_ca"], [])
            assert name in _congestion_controls()
        assert name not in _congestion_controls()
