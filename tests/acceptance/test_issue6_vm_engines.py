"""Issue 6 acceptance: the same object through the kernel and through *both* VM engines.

The VM's own differential tests compare the kernel with the interpreter, and the JIT with the
interpreter; these compare each engine with the kernel directly, through the public entry point
``pybpf.load(spec, runtime="vm", engine=...)``, and check the bounds-check promise on a packet.
Known gaps are ``xfail(strict=True)`` so the marker cannot outlive the fix.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.isa import constructors as c
from pybpf.isa.instruction import Instruction, encode
from pybpf.isa.opcodes import AluOp
from pybpf.runtime import Object
from testlib import ROOT, require_kernel_feature

pytestmark = pytest.mark.kernel

ENGINES = ["interpreter", "jit"]
SOCKET_FILTER = 1


def _udp_packet(payload: bytes, proto: int = 17) -> bytes:
    eth = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 1, 0, 64, proto, 0, bytes(4), bytes(4))
    udp = struct.pack("!HHHH", 1234, 53, 8 + len(payload), 0)
    return eth + ip + udp + payload


PACKETS = {"udp": _udp_packet(b"payload"), "tcp": _udp_packet(b"x" * 20, proto=6), "short": bytes(14)}
EXAMPLES = [
    ("xdp", "xdp_count", None),
    ("tc", "tc_ingress", bytes(192)),
    ("sockfilter", "socket_handler", None),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import pybpf

    out = tmp_path_factory.mktemp("issue6")
    return {
        name: pybpf.build(
            ROOT / "examples" / f"{name}.bpf.c", out / f"{name}.bpf.o", include_dirs=[ROOT / "examples"]
        )
        for name, _, _ in EXAMPLES
    }


@pytest.fixture(scope="module")
def runtimes(built: dict[str, Path]) -> Iterator[dict[tuple[str, str], Object]]:
    import pybpf
    from pybpf.spec import ObjectSpec
    from pybpf.vm.jit import available

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    if not available():
        pytest.skip("llvmlite is not installed: no JIT engine")
    loaded: dict[tuple[str, str], Object] = {}
    try:
        for name, path in built.items():
            loaded[(name, "kernel")] = pybpf.load(ObjectSpec.from_file(path))
            for engine in ENGINES:
                loaded[(name, engine)] = pybpf.load(ObjectSpec.from_file(path), runtime="vm", engine=engine)
        yield loaded
    finally:
        for obj in loaded.values():
            obj.close()


def _outcome(obj: Object, program: str, data: bytes, ctx: bytes | None) -> tuple[object, ...]:
    result = obj.programs[program].test_run(data, ctx=ctx)
    return result.retval, result.data


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("example", "program", "ctx"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
@pytest.mark.parametrize("packet", list(PACKETS))
def test_example_program_gives_the_kernels_retval_and_output_packet_on_each_engine(
    runtimes: dict[tuple[str, str], Object],
    engine: str,
    example: str,
    program: str,
    ctx: bytes | None,
    packet: str,
) -> None:
    data = PACKETS[packet]
    expected = _outcome(runtimes[(example, "kernel")], program, data, ctx)
    assert _outcome(runtimes[(example, engine)], program, data, ctx) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_xdp_example_counters_match_the_kernels_after_the_same_packets(
    built: dict[str, Path], engine: str
) -> None:
    import pybpf
    from pybpf.spec import ObjectSpec

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    counts = []
    for options in ({}, {"runtime": "vm", "engine": engine}):
        with pybpf.load(ObjectSpec.from_file(built["xdp"]), **options) as obj:  # type: ignore[arg-type]
            for data in PACKETS.values():
                obj.programs["xdp_count"].test_run(data)
            counts.append({k: sum(v) for k, v in obj.maps["proto_count"].items() if sum(v)})
    assert counts[1] == counts[0] and counts[0]


operation = st.builds(
    lambda op, wide, dst, imm: (c.alu64_imm if wide else c.alu32_imm)(
        op,
        dst,
        imm % (64 if wide else 32) if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH) else (imm or 7),
    ),
    st.sampled_from([op for op in AluOp if op not in (AluOp.NEG, AluOp.END, AluOp.MOV)]),
    st.booleans(),
    st.integers(0, 3),
    st.integers(-(2**31), 2**31 - 1),
) | st.builds(
    lambda op, wide, dst, src: (c.alu64_reg if wide else c.alu32_reg)(op, dst, src),
    st.sampled_from([AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.MOD, AluOp.OR, AluOp.AND, AluOp.XOR]),
    st.booleans(),
    st.integers(0, 3),
    st.integers(0, 3),
)


def _kernel_retval(insns: list[Instruction]) -> int:
    from pybpf.kernel import prog_load, prog_test_run

    fd = prog_load(SOCKET_FILTER, encode(insns), "GPL")
    try:
        return prog_test_run(fd, bytes(64)).retval
    finally:
        fd.close()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=4, max_size=4), st.lists(operation, min_size=1, max_size=12)
)
def test_random_alu_program_the_verifier_accepts_gives_the_kernels_r0_on_both_engines(
    seed: list[int], ops: list[Instruction]
) -> None:
    from pybpf.vm.jit import available
    from pybpf.vm.jit.select import run

    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    if not available():
        pytest.skip("llvmlite is not installed: no JIT engine")
    program = [c.ld_imm64(reg, value) for reg, value in enumerate(seed)] + ops + [c.exit()]
    kernel = _kernel_retval(program)
    assert [run(program, engine=e).r0 & 0xFFFF_FFFF for e in ENGINES] == [kernel, kernel]  # type: ignore[arg-type]


OOB_SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int read_past_data_end(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[100];
}

SEC("xdp")
int read_into_headroom(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[-20];
}
"""


@pytest.fixture(scope="module")
def oob_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pybpf

    src = tmp_path_factory.mktemp("issue6-oob") / "oob.bpf.c"
    src.write_text(OOB_SOURCE)
    return pybpf.build(src, src.with_suffix(".o"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("program", ["read_past_data_end", "read_into_headroom"])
def test_xdp_read_outside_data_and_data_end_stops_with_a_vmfault_naming_the_packet(
    oob_object: Path, engine: str, program: str
) -> None:
    import pybpf

    with pybpf.load(oob_object, runtime="vm", engine=engine) as obj:
        with pytest.raises(pybpf.VMFault, match="packet"):
            obj.programs[program].test_run(bytes(14))


@pytest.mark.parametrize("engine", ENGINES)
def test_vmfault_of_a_compiled_program_names_its_source_line(oob_object: Path, engine: str) -> None:
    import pybpf

    with pybpf.load(oob_object, runtime="vm", engine=engine) as obj:
        with pytest.raises(pybpf.VMFault, match=r"data\[100\]"):
            obj.programs["read_past_data_end"].test_run(bytes(14))


RINGBUF_SOURCE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int emit_length(struct xdp_md *ctx)
{
	__u64 length = ctx->data_end - ctx->data;

	bpf_ringbuf_output(&events, &length, sizeof(length), 0);
	return XDP_PASS;
}
"""


@pytest.fixture(scope="module")
def ringbuf_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pybpf

    src = tmp_path_factory.mktemp("issue6-ringbuf") / "ringbuf.bpf.c"
    src.write_text(RINGBUF_SOURCE)
    return pybpf.build(src, src.with_suffix(".o"))


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="kernel"),
        pytest.param({"runtime": "vm", "engine": "interpreter"}, id="vm-interpreter"),
        pytest.param({"runtime": "vm", "engine": "jit"}, id="vm-jit"),
    ],
)
def test_the_same_user_code_reads_ring_buffer_records_on_either_runtime(
    ringbuf_object: Path, options: dict[str, str]
) -> None:
    import pybpf

    if not options:
        require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    with pybpf.load(ringbuf_object, **options) as obj:  # type: ignore[arg-type]
        obj.programs["emit_length"].test_run(bytes(60))
        reader = obj.maps["events"].ring_buffer()
        record = reader.read(timeout=1.0)
        reader.close()
    assert int.from_bytes(bytes(record), "little") == 60
