"""Packet programs may touch exactly [data_meta, data_end): never headroom or tailroom.

The kernel's verifier proves every packet access lies below ``data_end``; the VM cannot
prove, so it checks each access at run time, on both engines, against the bounds the
``bpf_xdp_adjust_*`` helpers leave.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faults_support import ENGINES, faults_object

from pybpf.vm import VMFault
from pybpf.vm.objects import Object

PACKET = bytes(range(1, 61))
TC_CTX = bytes(192)


@pytest.fixture(scope="module", params=ENGINES)
def obj(request: pytest.FixtureRequest) -> Iterator[Object]:
    loaded = faults_object(request.param)
    yield loaded
    loaded.close()


def _run(obj: Object, program: str, data: bytes = PACKET) -> int:
    ctx = TC_CTX if program.startswith("tc_") else None
    return obj.programs[program].test_run(data, ctx=ctx).retval


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        ("xdp_past_end", "41 bytes past the end of 'packet'"),
        ("xdp_headroom", "20 bytes before the start of 'packet'"),
        ("xdp_after_head", "14 bytes before the start of 'packet'"),
        ("xdp_after_tail", "4 bytes past the end of 'packet'"),
        ("xdp_before_meta", "1 bytes before the start of 'packet'"),
        ("tc_past_end", "41 bytes past the end of 'packet'"),
        ("tc_before_data", "1 bytes before the start of 'packet'"),
    ],
)
def test_packet_read_outside_the_current_bounds_faults_naming_the_packet(
    obj: Object, program: str, reason: str
) -> None:
    with pytest.raises(VMFault, match=reason) as caught:
        _run(obj, program)
    assert caught.value.region == "packet"


def test_xdp_read_past_data_end_of_a_minimal_frame_faults(obj: Object) -> None:
    with pytest.raises(VMFault, match="past the end of 'packet'"):
        _run(obj, "xdp_past_end", bytes(14))


def test_first_and_last_packet_bytes_are_readable(obj: Object) -> None:
    assert _run(obj, "xdp_last_byte") == PACKET[-1] + PACKET[0]


def test_metadata_made_by_adjust_meta_is_readable_and_writable(obj: Object) -> None:
    assert _run(obj, "xdp_meta_read") == 7


def test_a_read_that_faulted_on_a_short_packet_succeeds_on_a_long_one(obj: Object) -> None:
    assert _run(obj, "xdp_past_end", bytes(range(101)) + bytes(10)) == 100
