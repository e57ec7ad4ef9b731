"""Our text against the reference tools on compiled programs: llvm-objdump (llvm syntax) and
bpftool's ``prog dump xlated`` (kernel syntax)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from isa_testlib import CodeSection, code_sections, find_tool, require_kernel_feature

from pybpf.errors import InvalidInstruction
from pybpf.isa import Instruction, decode, disassemble, format_kernel
from pybpf.isa.opcodes import InsnClass, Mode, Size

LLVM_OBJDUMP = find_tool("llvm-objdump", "llvm-objdump-14")
BPFTOOL = find_tool("bpftool")
# LLVM 14 knows the v1-v3 instruction sets only; v4 text is checked against tables in test_disasm.
LLVM14_SAMPLES = ["loops", "alu32", "atomics", "calls", "globals"]
_NOTE = re.compile(r" ; \w+(?: off:-?\d+)?$")


def objdump(path: Path, *flags: str) -> dict[str, list[str]]:
    """llvm-objdump's listing lines per section (symbol headers and instructions, no blanks)."""
    assert LLVM_OBJDUMP is not None
    out = subprocess.run(
        [LLVM_OBJDUMP, "-d", "--no-show-raw-insn", *flags, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in out.splitlines():
        header = re.fullmatch(r"Disassembly of section (.*):", line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None and line.strip():
            current.append(line)
    return sections


def is_narrow_atomic(insn: Instruction) -> bool:
    return insn.cls == InsnClass.STX and insn.mode == Mode.ATOMIC and insn.mem_size == Size.W


def ours(section: CodeSection, *, alu32: bool) -> list[tuple[Instruction | None, str]]:
    lines = disassemble(decode(section.data), syntax="llvm", symbols=section.symbols, alu32=alu32)
    insns = iter(decode(section.data))
    paired: list[tuple[Instruction | None, str]] = []
    for line in lines:
        if not line:
            continue
        insn = next(insns) if re.match(r"\s+\d+:\t", line) else None
        paired.append((insn, _NOTE.sub("", line)))
    return paired


@pytest.mark.tool
@pytest.mark.parametrize("sample", LLVM14_SAMPLES)
def test_llvm_listing_of_compiled_samples_matches_llvm_objdump(
    sample: str, sample_objects: dict[str, Path]
) -> None:
    if LLVM_OBJDUMP is None:
        pytest.skip("llvm-objdump is not installed")
    reference = objdump(sample_objects[sample])
    compared = 0
    for section in code_sections(sample_objects[sample]):
        expected = reference[section.name]
        mine = ours(section, alu32=False)
        assert len(mine) == len(expected)
        for (insn, line), want in zip(mine, expected, strict=True):
            # LLVM 14 without alu32 shows 32-bit atomics wrongly or not at all; compared below.
            if insn is None or not is_narrow_atomic(insn):
                assert line == want
                compared += 1
    assert compared > 10


@pytest.mark.tool
@pytest.mark.parametrize("sample", LLVM14_SAMPLES)
def test_llvm_alu32_listing_of_compiled_samples_matches_llvm_objdump_with_alu32(
    sample: str, sample_objects: dict[str, Path]
) -> None:
    if LLVM_OBJDUMP is None:
        pytest.skip("llvm-objdump is not installed")
    reference = objdump(sample_objects[sample], "--mattr=+alu32")
    for section in code_sections(sample_objects[sample]):
        assert [line for _, line in ours(section, alu32=True)] == reference[section.name]


@pytest.mark.tool
def test_v4_sample_uses_v4_instructions(sample_objects: dict[str, Path]) -> None:
    (section,) = code_sections(sample_objects["v4"])
    text = "\n".join(disassemble(decode(section.data), syntax="llvm"))
    assert "bswap" in text and "(s8)" in text and "s/=" in text


# -- bpftool -----------------------------------------------------------------------------------

BPFTOOL_SAMPLES = ["alu32", "atomics", "calls"]
BPFFS = Path("/sys/fs/bpf")


@pytest.fixture
def pinned(request: pytest.FixtureRequest, sample_objects: dict[str, Path]) -> Iterator[Path]:
    if BPFTOOL is None:
        pytest.skip("bpftool is not installed")
    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    require_kernel_feature(BPFFS.is_dir() and os.path.ismount(BPFFS), f"bpffs is not mounted at {BPFFS}")
    pin = BPFFS / f"pybpf_isa_test_{request.param}_{os.getpid()}"
    loaded = subprocess.run(
        [BPFTOOL, "prog", "load", str(sample_objects[request.param]), str(pin)],
        capture_output=True,
        text=True,
    )
    require_kernel_feature(
        loaded.returncode == 0, f"bpftool could not load the sample: {loaded.stderr[-300:]}"
    )
    try:
        yield pin
    finally:
        pin.unlink(missing_ok=True)


def xlated(pin: Path) -> list[tuple[str, bytes]]:
    """(text after the slot index, raw bytes) of each instruction bpftool dumps."""
    assert BPFTOOL is not None
    out = subprocess.run(
        [BPFTOOL, "prog", "dump", "xlated", "pinned", str(pin), "opcodes"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found: list[tuple[str, bytes]] = []
    text = None
    for line in out.splitlines():
        insn = re.fullmatch(r"\s*\d+: (.*)", line)
        if insn:
            text = insn.group(1)
            continue
        raw = re.fullmatch(r" {7}((?:[0-9a-f]{2} ?)+)", line)
        if raw and text is not None:
            found.append((text, bytes.fromhex(raw.group(1))))
            text = None
    return found


@pytest.mark.kernel
@pytest.mark.tool
@pytest.mark.parametrize("pinned", BPFTOOL_SAMPLES, indirect=True)
def test_kernel_syntax_matches_bpftool_dump_xlated(pinned: Path) -> None:
    compared = 0
    for text, data in xlated(pinned):
        try:
            (insn,) = decode(data)
        except InvalidInstruction:
            continue  # kernel-internal encodings the verifier may leave in xlated code
        mine = format_kernel(insn)
        if insn.is_call:
            # bpftool names calls from kallsyms (helper addresses, jited subprograms); the ids match.
            assert mine.split("#")[0] == text.split("#")[0] or mine.split("#")[1:] == text.split("#")[1:]
            continue
        assert mine == text
        compared += 1
    assert compared > 10


# -- the kernel's own verifier log -------------------------------------------------------------

ALL_SAMPLES = ["loops", "alu32", "atomics", "calls", "globals", "v4"]
_LIVE_REGS_LINE = re.compile(r"\s*(?:\d+\s+)?(\d+): [.0-9]{10} (\([0-9a-f]{2}\) .*)")


def verifier_listing(path: Path, pin: Path) -> dict[int, str]:
    """The kernel's "Live regs before insn" listing: every instruction printed by kernel/bpf/disasm.c
    (lines inside loops carry the loop depth in front).

    ``bpftool -d`` asks for the verifier log whether or not the load succeeds.
    """
    assert BPFTOOL is not None
    try:
        run = subprocess.run(
            [BPFTOOL, "-d", "prog", "load", str(path), str(pin)], capture_output=True, text=True
        )
    finally:
        pin.unlink(missing_ok=True)
    listing: dict[int, str] = {}
    inside = False
    for line in run.stderr.splitlines():
        if line.startswith("Live regs before insn:"):
            inside, listing = True, {}
            continue
        match = _LIVE_REGS_LINE.fullmatch(line) if inside else None
        if match:
            listing[int(match.group(1))] = match.group(2)
        else:
            inside = False
    return listing


@pytest.mark.kernel
@pytest.mark.tool
@pytest.mark.parametrize("sample", ALL_SAMPLES)
def test_kernel_syntax_matches_the_kernels_verifier_log(sample: str, sample_objects: dict[str, Path]) -> None:
    if BPFTOOL is None:
        pytest.skip("bpftool is not installed")
    require_kernel_feature(os.geteuid() == 0, "loading programs needs root")
    require_kernel_feature(BPFFS.is_dir() and os.path.ismount(BPFFS), f"bpffs is not mounted at {BPFFS}")
    listing = verifier_listing(sample_objects[sample], BPFFS / f"pybpf_isa_log_{sample}_{os.getpid()}")
    require_kernel_feature(bool(listing), "this kernel's verifier log has no 'Live regs before insn' listing")
    # The program's own section comes first in what libbpf loads; subprograms are appended after it.
    main = next(s for s in code_sections(sample_objects[sample]) if s.name != ".text")
    compared = 0
    slot = 0
    for insn in decode(main.data):
        text = listing.get(slot)
        slot += insn.slots
        if text is None or insn.is_lddw or insn.is_pseudo_call or insn.is_kfunc_call:
            continue  # constants and call offsets are rewritten by libbpf's relocations
        assert format_kernel(insn) == text
        compared += 1
    assert compared > 10
