"""struct_ops maps: programs loaded against the kernel struct, the map value in the kernel's layout."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pybpf.runtime
from pybpf.btf import BTF
from pybpf.enums import ProgramType
from pybpf.kernel import map_lookup
from pybpf.runtime import Object

pytestmark = pytest.mark.kernel

STATE_READY = 3  # enum bpf_struct_ops_state


@pytest.fixture
def tcp_cc(bpf_ok: None, vmlinux_btf_path: Path, build_object: Callable[[str], Path]) -> Iterator[Object]:
    with pybpf.runtime.load(build_object("tcp_cc")) as obj:
        yield obj


def _kernel_value(obj: Object) -> tuple[bytes, int, dict[str, int]]:
    """(raw wrapper value, offset of its data member, member name → offset in the kernel struct)."""
    vmlinux = BTF.vmlinux()
    wrapper = vmlinux.find("bpf_struct_ops_tcp_congestion_ops")
    ops = vmlinux.find("tcp_congestion_ops")
    data_offset = next(m.bit_offset // 8 for m in wrapper.members if m.name == "data")  # type: ignore[union-attr]
    offsets = {m.name: m.bit_offset // 8 for m in ops.members}  # type: ignore[union-attr]
    m = obj.maps["pybpf_cc"]
    return map_lookup(m.fd, bytes(4), m.value_size), data_offset, offsets


def test_struct_ops_programs_are_loaded_against_the_kernel_struct(tcp_cc: Object) -> None:
    expected = BTF.vmlinux().find_id("tcp_congestion_ops")
    for name in ("pybpf_ssthresh", "pybpf_undo_cwnd", "pybpf_cong_avoid"):
        info = tcp_cc.programs[name].info
        assert (info.type, info.attach_btf_id) == (int(ProgramType.STRUCT_OPS), expected)


def test_struct_ops_program_in_no_table_is_not_loaded(tcp_cc: Object) -> None:
    assert "pybpf_unused" not in tcp_cc.programs


def test_struct_ops_map_is_filled_and_ready(tcp_cc: Object) -> None:
    raw, _, _ = _kernel_value(tcp_cc)
    assert struct.unpack_from("<I", raw, 4)[0] == STATE_READY


def test_struct_ops_function_members_hold_their_programs(tcp_cc: Object) -> None:
    raw, base, offsets = _kernel_value(tcp_cc)
    # The kernel reports each function member as the id of the program behind it.
    for member, prog in (("ssthresh", "pybpf_ssthresh"), ("undo_cwnd", "pybpf_undo_cwnd")):
        assert struct.unpack_from("<Q", raw, base + offsets[member])[0] == tcp_cc.programs[prog].id
    assert struct.unpack_from("<Q", raw, base + offsets["set_state"])[0] == 0


def test_struct_ops_data_members_are_copied_by_name(tcp_cc: Object) -> None:
    raw, base, offsets = _kernel_value(tcp_cc)
    at = base + offsets["name"]
    assert raw[at : at + 16].rstrip(b"\0") == b"pybpf_cc"
