"""The helper id table against the running kernel's ``enum bpf_func_id``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from isa_testlib import find_tool, require_kernel_feature

from pybpf.isa import HELPER_IDS, HELPER_NAMES, helper_id, helper_name

VMLINUX = Path("/sys/kernel/btf/vmlinux")


@pytest.mark.parametrize(
    ("number", "name"),
    [(0, "bpf_unspec"), (1, "bpf_map_lookup_elem"), (6, "bpf_trace_printk"), (12, "bpf_tail_call")],
)
def test_helper_names_carry_the_bpf_prefix(number: int, name: str) -> None:
    assert (HELPER_NAMES[number], helper_name(number), HELPER_IDS[name]) == (name, name, number)


@pytest.mark.parametrize("name", ["bpf_ringbuf_output", "ringbuf_output"])
def test_helper_id_accepts_names_with_or_without_the_prefix(name: str) -> None:
    assert helper_id(name) == 130


def test_unknown_helpers_are_none() -> None:
    assert (helper_name(100000), helper_id("bpf_no_such_helper")) == (None, None)


def test_helper_ids_are_dense() -> None:
    assert sorted(HELPER_NAMES) == list(range(len(HELPER_NAMES)))


@pytest.mark.kernel
@pytest.mark.tool
def test_helper_table_agrees_with_the_running_kernel() -> None:
    bpftool = find_tool("bpftool")
    if bpftool is None:
        pytest.skip("bpftool is not installed")
    require_kernel_feature(VMLINUX.is_file(), f"{VMLINUX} is missing")
    header = subprocess.run(
        [bpftool, "btf", "dump", "file", str(VMLINUX), "format", "c"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    body = re.search(r"enum bpf_func_id \{(.*?)\};", header, re.S)
    assert body is not None
    kernel = {int(num): "bpf_" + name for name, num in re.findall(r"BPF_FUNC_(\w+) = (\d+)", body.group(1))}
    common = set(kernel) & set(HELPER_NAMES)
    assert {n: kernel[n] for n in common} == {n: HELPER_NAMES[n] for n in common}
    assert len(common) >= 200
