"""Pure helpers of the attach package: CPU lists, ELF address mapping, kernel config, perf attr."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.attach.link import Link
from pybpf.attach.perf_event import PERF_ATTR_SIZE, PerfEventAttr, parse_cpu_list
from pybpf.attach.tracing import attach_btf_id
from pybpf.attach.uprobe import vaddr_to_offset
from pybpf.kernel import FD
from pybpf.kernel.config import missing_options, parse_config, unquoted


@pytest.mark.parametrize(
    ("text", "cpus"), [("0", [0]), ("0-3", [0, 1, 2, 3]), ("0-1,4,6-7\n", [0, 1, 4, 6, 7]), ("", [])]
)
def test_sysfs_cpu_lists_expand_to_cpu_numbers(text: str, cpus: list[int]) -> None:
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize("text", ["a", "3-1", "1-x"])
def test_malformed_cpu_lists_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cpu_list(text)


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(0, 512), max_size=40))
def test_cpu_list_of_single_numbers_round_trips(cpus: set[int]) -> None:
    assert parse_cpu_list(",".join(map(str, sorted(cpus)))) == sorted(cpus)


def test_perf_event_attr_has_the_uapi_version_8_size_and_offsets() -> None:
    assert PERF_ATTR_SIZE == 136
    assert PerfEventAttr.config1.offset == 56
    assert PerfEventAttr.config3.offset == 128
    assert ctypes.sizeof(PerfEventAttr) == 136


# (p_vaddr, p_memsz, p_offset, p_filesz) of a typical PIE: text at 0x1000 file offset 0x1000,
# data at 0x3df0 file offset 0x2df0.
SEGMENTS = [(0x0, 0x600, 0x0, 0x600), (0x1000, 0x200, 0x1000, 0x200), (0x3DF0, 0x240, 0x2DF0, 0x230)]


@pytest.mark.parametrize(
    ("vaddr", "offset"), [(0x1130, 0x1130), (0x3E00, 0x2E00), (0x100, 0x100), (0x2000, None), (0x4028, None)]
)
def test_virtual_addresses_map_to_file_offsets_through_pt_load(vaddr: int, offset: int | None) -> None:
    assert vaddr_to_offset(SEGMENTS, vaddr) == offset


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 0x10000), st.integers(0, 0x10000), st.integers(1, 0x1000), st.integers(0, 0x1000))
def test_address_inside_a_segment_maps_to_its_file_offset(
    base: int, file_offset: int, size: int, delta: int
) -> None:
    segments = [(base, size, file_offset, size)]
    expected = file_offset + delta if delta < size else None
    assert vaddr_to_offset(segments, base + delta) == expected


def test_kernel_config_text_parses_set_unset_and_string_options() -> None:
    text = '# comment\nCONFIG_BPF=y\n# CONFIG_KPROBES is not set\nCONFIG_LSM="bpf,yama"\nCONFIG_X=m\n'
    assert parse_config(text) == {
        "CONFIG_BPF": "y",
        "CONFIG_KPROBES": "n",
        "CONFIG_LSM": '"bpf,yama"',
        "CONFIG_X": "m",
    }
    assert unquoted(parse_config(text)["CONFIG_LSM"]) == "bpf,yama"
    assert missing_options(["CONFIG_BPF", "CONFIG_KPROBES", "CONFIG_ABSENT"], parse_config(text)) == [
        "CONFIG_KPROBES",
        "CONFIG_ABSENT",
    ]


def test_unknown_btf_attach_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown BTF attach kind"):
        attach_btf_id("kprobe", "x")


def test_link_close_runs_undo_then_closes_every_fd() -> None:
    import os

    order: list[str] = []
    read_end, write_end = os.pipe()
    first, second = FD(read_end, "first"), FD(write_end, "second")
    link = Link("test", fds=[first, second], undo=lambda: order.append("undo"))
    link.close()
    assert order == ["undo"]
    assert first.closed and second.closed


def test_a_failing_undo_does_not_keep_fds_open() -> None:
    import os

    read_end, write_end = os.pipe()
    fds = [FD(read_end), FD(write_end)]

    def undo() -> None:
        raise OSError("gone")

    Link("test", fds=fds, undo=undo).close()
    assert all(fd.closed for fd in fds)
