"""struct_ops registration: a tcp_congestion_ops implemented in BPF, built from C and loaded."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_testlib import new_counter_map, require_kernel_feature

from pybpf.attach import AttachError, StructOpsState, attach_struct_ops, struct_ops_state
from pybpf.kernel import map_delete
from pybpf.runtime import Object

pytestmark = pytest.mark.kernel

TCP_CONGESTION = 13
AVAILABLE = Path("/proc/sys/net/ipv4/tcp_available_congestion_control")

SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inits SEC(".maps");

SEC("struct_ops/ca_init")
void BPF_PROG(ca_init, struct sock *sk)
{
	__u32 slot = 0;
	__u64 *count = bpf_map_lookup_elem(&inits, &slot);

	if (count)
		__sync_fetch_and_add(count, 1);
}

SEC("struct_ops/ca_ssthresh")
__u32 BPF_PROG(ca_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/ca_cong_avoid")
void BPF_PROG(ca_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops/ca_undo_cwnd")
__u32 BPF_PROG(ca_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC("SECTION")
struct tcp_congestion_ops ca = {
	.init = (void *)ca_init,
	.ssthresh = (void *)ca_ssthresh,
	.cong_avoid = (void *)ca_cong_avoid,
	.undo_cwnd = (void *)ca_undo_cwnd,
	.name = "CA_NAME",
};
"""

#: Section -> the congestion control name the object registers (unique per test run).
KINDS = {
    ".struct_ops.link": f"pybpf_l{os.getpid() % 100000}",
    ".struct_ops": f"pybpf_o{os.getpid() % 100000}",
}


def _kernel_has_bpf_tcp_ca() -> bool:
    from pybpf.btf import BTF

    try:
        return any(True for _ in BTF.vmlinux().find_all("bpf_struct_ops_tcp_congestion_ops"))
    except Exception:
        return False


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import pybpf

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    require_kernel_feature(
        _kernel_has_bpf_tcp_ca(), "no tcp_congestion_ops struct_ops (CONFIG_BPF_JIT, bpf_tcp_ca)"
    )
    out = tmp_path_factory.mktemp("structops")
    built = {}
    for section, name in KINDS.items():
        src = out / f"{name}.bpf.c"
        src.write_text(SOURCE.replace("SECTION", section).replace("CA_NAME", name))
        built[section] = pybpf.build(src, src.with_suffix(".o"))
    return built


@pytest.fixture(params=list(KINDS), ids=["link", "legacy"])
def loaded(request: pytest.FixtureRequest, objects: dict[str, Path]) -> Iterator[tuple[Object, str]]:
    import pybpf

    with pybpf.load(objects[request.param]) as obj:
        try:
            yield obj, KINDS[request.param]
        finally:
            # A legacy map registers at load and outlives its fds: never leave one behind.
            if struct_ops_state(obj.maps["ca"]) is StructOpsState.INUSE:
                map_delete(obj.maps["ca"].fd, bytes(4))


def _available() -> list[str]:
    return AVAILABLE.read_text().split()


def _connect_using(ca: str) -> str:
    """Connect over loopback with congestion control ``ca``; returns what the socket reports using."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, ca.encode())
            client.connect(listener.getsockname())
            server, _ = listener.accept()
            server.close()
            return client.getsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, 16).rstrip(b"\0").decode()


def test_attached_congestion_control_is_offered_and_used_by_a_tcp_socket(loaded: tuple[Object, str]) -> None:
    obj, name = loaded
    with attach_struct_ops(obj.maps["ca"]):
        assert name in _available()
        assert _connect_using(name) == name
        assert obj.maps["inits"][0] >= 1


def test_closing_the_link_unregisters_the_congestion_control(loaded: tuple[Object, str]) -> None:
    obj, name = loaded
    attach_struct_ops(obj.maps["ca"]).close()
    assert name not in _available()


def test_a_link_map_waits_ready_until_attached(objects: dict[str, Path]) -> None:
    import pybpf

    with pybpf.load(objects[".struct_ops.link"]) as obj:
        assert struct_ops_state(obj.maps["ca"]) is StructOpsState.READY
        assert KINDS[".struct_ops.link"] not in _available()


def test_attach_all_registers_the_struct_ops_map_and_skips_none_of_its_programs(
    loaded: tuple[Object, str],
) -> None:
    obj, name = loaded
    with obj.attach_all() as report:
        assert report.attached == ["ca"] and report.skipped == []
        assert name in _available()
    assert name not in _available()


def test_a_map_that_is_not_struct_ops_is_refused(bpf_ok: None) -> None:
    with new_counter_map() as fd, pytest.raises(AttachError, match="not a struct_ops map"):
        attach_struct_ops(fd)


def test_closing_the_object_unregisters_a_legacy_struct_ops_it_registered_at_load(
    objects: dict[str, Path],
) -> None:
    import pybpf

    name = KINDS[".struct_ops"]
    with pybpf.load(objects[".struct_ops"]) as obj:
        assert struct_ops_state(obj.maps["ca"]) is StructOpsState.INUSE
        assert name in _available()
    assert name not in _available()
