"""The C header dump of the running kernel's BTF: it compiles, its layouts are the kernel's, a
libbpf-style CO-RE program builds against it, and it lists the types in bpftool's order and names.

The expected sizes and offsets come from the BTF model (``BTF.find``/``members``), not from the
dumper, so a layout bug in the dumper cannot hide behind a matching bug in the checker.  Each test
compiles the ~135k-line header once or twice: a few seconds each.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from pybpf.btf import BTF, Kind
from pybpf.btf.cdump import dump_c

SAMPLE_SIZE = 600


def zig_cc(source: Path, output: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip("the ziglang wheel (clang for BPF) is not installed")
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding", *flags]
    cmd += ["-c", "-x", "c", str(source), "-o", str(output)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def section(path: Path, name: str) -> bytes:
    with path.open("rb") as f:
        sec = ELFFile(f).get_section_by_name(name)
        assert sec is not None, f"{path} has no {name} section"
        data: bytes = sec.data()
        return data


@pytest.fixture(scope="module")
def vmlinux(vmlinux_btf_path: Path) -> BTF:
    return BTF.from_file(vmlinux_btf_path)


@pytest.fixture(scope="module")
def header_dir(vmlinux: BTF, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vmlinux-h")
    (out / "vmlinux.h").write_text(dump_c(vmlinux))
    return out


def sampled_records(btf: BTF, sample: int | None = SAMPLE_SIZE) -> list[tuple[str, int]]:
    """(keyword, id) of named structs/unions with a tag of their own: evenly spread, plus the packed.

    Enums share the tag namespace, so a struct named like an enum may be dumped with a suffix.
    """
    by_name: dict[str, list[int]] = {}
    for type_id in range(1, len(btf)):
        if btf.kind_of(type_id) in (Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64):
            name = btf[type_id].name
            if name:
                by_name.setdefault(name, []).append(type_id)
    unique = sorted(
        ids[0]
        for ids in by_name.values()
        if len(ids) == 1 and btf.kind_of(ids[0]) in (Kind.STRUCT, Kind.UNION)
    )
    step = max(1, len(unique) // sample) if sample else 1
    chosen = set(unique[::step])
    chosen.update(i for i in unique if btf.align_of(i) == 1 and btf.size_of(i) > 1)
    return [("struct" if btf.kind_of(i) == Kind.STRUCT else "union", i) for i in sorted(chosen)]


def flat_members(btf: BTF, type_id: int, base: int = 0) -> list[tuple[str, int, int]]:
    """(name, bit offset, bitfield size) of members, anonymous members' fields lifted as C11 does."""
    out = []
    for m in btf.members(type_id):
        if m.name:
            out.append((m.name, base + m.bit_offset, m.bitfield_size))
        elif btf.resolve(m.type_id).kind in (Kind.STRUCT, Kind.UNION):
            out.extend(flat_members(btf, m.type_id, base + m.bit_offset))
    return out


@pytest.mark.tool
@pytest.mark.kernel
def test_vmlinux_dump_compiles_for_bpf_without_warnings(header_dir: Path) -> None:
    source = header_dir / "only_header.c"
    source.write_text('#include "vmlinux.h"\n')
    done = zig_cc(source, header_dir / "only_header.o", "-Wall", "-Werror")
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.mark.tool
@pytest.mark.kernel
def test_vmlinux_dump_has_sizes_and_offsets_of_the_kernel(vmlinux: BTF, header_dir: Path) -> None:
    records = sampled_records(vmlinux)
    assert len(records) >= SAMPLE_SIZE // 2
    lines = ['#include "vmlinux.h"']
    for kw, type_id in records:
        t = vmlinux[type_id]
        c_type = f"{kw} {t.name}"
        lines.append(f'_Static_assert(sizeof({c_type}) == {vmlinux.size_of(type_id)}, "{t.name} size");')
        for name, bit_offset, bitfield_size in flat_members(vmlinux, type_id):
            if bitfield_size == 0:
                lines.append(
                    f"_Static_assert(__builtin_offsetof({c_type}, {name}) == {bit_offset // 8},"
                    f' "{t.name}.{name}");'
                )
    source = header_dir / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    done = zig_cc(source, header_dir / "layout.o")
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.mark.tool
@pytest.mark.kernel
def test_vmlinux_dump_places_bitfields_at_the_kernel_bit_offsets(vmlinux: BTF, header_dir: Path) -> None:
    with_bits = [
        (kw, i)
        for kw, i in sampled_records(vmlinux, None)
        if any(m.bitfield_size for m in vmlinux.members(i))
    ]
    assert with_bits
    lines = ['#include "vmlinux.h"']
    lines += [f"{kw} {vmlinux[i].name} check_{n};" for n, (kw, i) in enumerate(with_bits)]
    source = header_dir / "bits.c"
    source.write_text("\n".join(lines) + "\n")
    obj = header_dir / "bits.o"
    done = zig_cc(source, obj, "-g", "-O0")
    assert done.returncode == 0, done.stderr[-4000:]
    again = BTF.from_bytes(section(obj, ".BTF"))
    mismatched = []
    for kw, type_id in with_bits:
        name = vmlinux[type_id].name
        ours = again.find(name, Kind.STRUCT if kw == "struct" else Kind.UNION)
        if flat_members(again, ours.id) != flat_members(vmlinux, type_id):
            mismatched.append(name)
    assert mismatched == []


CORE_PROGRAM = """\
#include "vmlinux.h"

#define SEC(name) __attribute__((section(name), used))
static long (*bpf_get_current_task)(void) = (void *)35;

SEC("tracepoint/sched/sched_process_exec")
int parent_tgid(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	return t->real_parent->tgid;
}

SEC("tracepoint/sched/sched_process_fork")
int parent_tgid_explicit(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	return __builtin_preserve_access_index(t->real_parent->tgid);
}

char LICENSE[] SEC("license") = "GPL";
"""


def core_relocated_types(obj: Path) -> set[str]:
    """Names of the types the CO-RE relocations of ``obj`` (its .BTF.ext) point at."""
    btf = BTF.from_bytes(section(obj, ".BTF"))
    ext = section(obj, ".BTF.ext")
    hdr_len = struct.unpack_from("<I", ext, 4)[0]
    assert hdr_len >= 32, "no CO-RE relocation section in .BTF.ext"
    relo_off, relo_len = struct.unpack_from("<II", ext, 24)
    data = ext[hdr_len + relo_off : hdr_len + relo_off + relo_len]
    (rec_size,) = struct.unpack_from("<I", data, 0)
    pos = 4
    names = set()
    while pos < len(data):
        _, count = struct.unpack_from("<II", data, pos)
        pos += 8
        for _ in range(count):
            _, type_id, _, _ = struct.unpack_from("<IIII", data, pos)
            names.add(btf[type_id].name)
            pos += rec_size
    return names


@pytest.mark.tool
@pytest.mark.kernel
def test_core_program_compiles_against_dump_with_relocations_on_task_struct(header_dir: Path) -> None:
    source = header_dir / "core.bpf.c"
    source.write_text(CORE_PROGRAM)
    obj = header_dir / "core.bpf.o"
    done = zig_cc(source, obj, "-g", "-O2", "-Wall", "-Werror")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "task_struct" in core_relocated_types(obj)


@pytest.mark.kernel
def test_vmlinux_dump_declares_kfuncs_as_weak_ksyms(vmlinux: BTF, header_dir: Path) -> None:
    text = (header_dir / "vmlinux.h").read_text()
    assert "extern struct task_struct *bpf_task_acquire(struct task_struct *p) __weak __ksym;" in text


@pytest.mark.kernel
def test_dump_of_one_vmlinux_type_compiles_alone(vmlinux: BTF, tmp_path: Path) -> None:
    (tmp_path / "vmlinux.h").write_text(
        dump_c(vmlinux, type_ids=[vmlinux.find_id("task_struct", Kind.STRUCT)])
    )
    source = tmp_path / "one.c"
    source.write_text('#include "vmlinux.h"\nint f(struct task_struct *t) { return t->pid; }\n')
    done = zig_cc(source, tmp_path / "one.o", "-Wall", "-Werror")
    assert done.returncode == 0, done.stderr[-4000:]


def comparable(text: str) -> list[str]:
    """Header lines minus what bpftool versions differ in (preamble macros, kfunc block, enum modes)."""
    start = text.index("#endif\n\n", text.index("BPF_NO_PRESERVE_ACCESS_INDEX")) + len("#endif\n\n")
    body = text[start:]
    while body.startswith(("#ifndef __ksym\n", "#ifndef __weak\n", "#ifndef __bpf_fastcall\n")):
        body = body[body.index("#endif\n\n") + len("#endif\n\n") :]
    kfuncs = body.find("\n/* BPF kfuncs */\n")
    if kfuncs >= 0:
        body = body[:kfuncs] + body[body.index("#endif\n\n", kfuncs) + len("#endif\n\n") :]
    body = body.replace(" __attribute__((mode(byte)))", "").replace(" __attribute__((mode(word)))", "")
    # bpftool keeps the compiler's __builtin_va_list, whose BPF size differs from the kernel's.
    body = body.replace("typedef struct __va_list_tag va_list[1];", "typedef __builtin_va_list va_list;")
    return body.splitlines()


@pytest.mark.tool
@pytest.mark.kernel
def test_vmlinux_dump_orders_and_names_types_as_bpftool_does(
    vmlinux_btf_path: Path, header_dir: Path
) -> None:
    bpftool = shutil.which("bpftool")  # conftest.find_tool; test modules cannot import conftest
    if bpftool is None:
        pytest.skip("bpftool is not installed")
    cmd = [bpftool, "btf", "dump", "file", str(vmlinux_btf_path), "format", "c"]
    done = subprocess.run([*cmd, "unsorted"], capture_output=True, text=True, check=False)
    if done.returncode != 0:  # bpftool before v7.5 has no sorting, hence no "unsorted"
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    ours = comparable((header_dir / "vmlinux.h").read_text())
    theirs = comparable(done.stdout)
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), None)
    context = "" if first is None else f"line {first}: ours {ours[first]!r} bpftool {theirs[first]!r}"
    assert first is None and len(ours) == len(theirs), context or f"{len(ours)} lines vs {len(theirs)}"
