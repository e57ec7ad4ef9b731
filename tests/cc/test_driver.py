"""The compiler driver: finding a compiler, the command it runs, and how failures surface."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from cc_helpers import PRELUDE, compile_text, section_names

from pybpf.cc import (
    INCLUDE_DIR,
    CompilerKind,
    build,
    build_command,
    default_output,
    find_compiler,
    target_arch,
    vmlinux_header,
)
from pybpf.cc import compiler as compiler_module
from pybpf.errors import CompileError, ToolNotFound

TRIVIAL = PRELUDE + '#include <bpf/bpf_helpers.h>\nSEC("xdp") int prog(void *ctx) { return 2; }\n'


def _fake_program(directory: Path, name: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def no_env_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYBPF_CC", raising=False)


@pytest.mark.parametrize(
    ("source", "expected"),
    [("prog.bpf.c", "prog.bpf.o"), ("dir/x.c", "dir/x.o"), ("noext", "noext.o")],
)
def test_default_output_replaces_the_c_suffix_with_o(source: str, expected: str) -> None:
    assert default_output(Path(source)) == Path(expected)


@pytest.mark.parametrize(
    ("machine", "arch"),
    [
        ("x86_64", "x86"),
        ("aarch64", "arm64"),
        ("arm64", "arm64"),
        ("s390x", "s390"),
        ("riscv64", "riscv"),
        ("ppc64le", "powerpc"),
    ],
)
def test_target_arch_maps_machine_names_to_the_kernel_arch_names(machine: str, arch: str) -> None:
    assert target_arch(machine) == arch


def test_pybpf_cc_pointing_nowhere_raises_tool_not_found_with_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYBPF_CC", "/nonexistent/bin/clang")
    with pytest.raises(ToolNotFound, match=r"pip install 'pybpf\[cc\]'"):
        find_compiler()


def test_build_with_missing_compiler_raises_tool_not_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYBPF_CC", str(tmp_path / "no-such-clang"))
    source = tmp_path / "p.bpf.c"
    source.write_text(TRIVIAL)
    with pytest.raises(ToolNotFound):
        build(source)


def test_no_compiler_anywhere_raises_tool_not_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_env_compiler: None
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(compiler_module, "_zig_compiler", lambda: None)
    with pytest.raises(ToolNotFound, match="no C compiler"):
        find_compiler()


def test_clang_on_path_is_preferred_over_the_ziglang_wheel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_env_compiler: None
) -> None:
    clang = _fake_program(tmp_path, "clang")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = find_compiler()
    assert (found.argv, found.kind) == ((str(clang),), CompilerKind.CLANG)


def test_ziglang_wheel_is_the_fallback_without_clang(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_env_compiler: None
) -> None:
    pytest.importorskip("ziglang")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = find_compiler()
    assert (found.argv, found.kind) == ((sys.executable, "-m", "ziglang", "cc"), CompilerKind.ZIG)


@pytest.mark.parametrize(
    ("kind", "target"),
    [(CompilerKind.CLANG, ["-target", "bpfel"]), (CompilerKind.ZIG, ["-target", "bpfel-freestanding"])],
)
def test_each_compiler_kind_spells_the_bpf_target_its_own_way(kind: CompilerKind, target: list[str]) -> None:
    assert list(compiler_module.Compiler(("cc",), kind).target_flags) == target


def test_pybpf_cc_may_be_a_command_with_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    zig = _fake_program(tmp_path, "zig")
    monkeypatch.setenv("PYBPF_CC", f"{zig} cc")
    found = find_compiler()
    assert (found.argv, found.kind) == ((str(zig), "cc"), CompilerKind.ZIG)


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (("zig", "cc"), CompilerKind.ZIG),
        (("/opt/zig-0.13/zig", "cc"), CompilerKind.ZIG),
        (("python3", "-m", "ziglang", "cc"), CompilerKind.ZIG),
        (("zig", "clang"), CompilerKind.CLANG),
        (("/usr/bin/clang-17",), CompilerKind.CLANG),
        (("ccache", "clang"), CompilerKind.CLANG),
    ],
)
def test_compiler_kind_is_zig_only_for_the_zig_cc_front_end(
    argv: tuple[str, ...], kind: CompilerKind
) -> None:
    assert compiler_module._kind_of(argv) is kind


def test_plain_clang_kind_builds_with_the_short_bpf_triple(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bpf_cc: None
) -> None:
    ziglang = pytest.importorskip("ziglang")
    # The wheel's binary run as `zig clang` is an ordinary clang driver: the system-clang path.
    monkeypatch.setenv("PYBPF_CC", f"{Path(ziglang.__file__).parent / 'zig'} clang")
    assert find_compiler().kind is CompilerKind.CLANG
    assert ".BTF" in section_names(compile_text(tmp_path, TRIVIAL))


def test_empty_pybpf_cc_means_choose_automatically(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clang = _fake_program(tmp_path, "clang")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYBPF_CC", "")
    assert find_compiler().argv == (str(clang),)


def test_cc_argument_overrides_pybpf_cc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYBPF_CC", "/nonexistent/clang")
    chosen = _fake_program(tmp_path, "clang-99")
    assert find_compiler(str(chosen)).argv == (str(chosen),)


def test_command_searches_user_includes_then_ours_then_vmlinux_h(
    tmp_path: Path, vmlinux_btf_path: Path
) -> None:
    command = build_command(tmp_path / "p.bpf.c", include_dirs=[tmp_path / "mine"])
    positions = [command.index(str(d)) for d in (tmp_path / "mine", INCLUDE_DIR, vmlinux_header().parent)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("flag", ["-g", "-O2", "-fno-unwind-tables", "-fno-asynchronous-unwind-tables", "-c"])
def test_command_carries_the_flags_bpf_objects_need(tmp_path: Path, flag: str) -> None:
    assert flag in build_command(tmp_path / "p.bpf.c", vmlinux_btf=None)


def test_command_defines_the_host_target_arch(tmp_path: Path) -> None:
    assert f"-D__TARGET_ARCH_{target_arch()}" in build_command(tmp_path / "p.bpf.c")


def test_an_explicit_target_arch_replaces_the_host_one(tmp_path: Path) -> None:
    command = build_command(tmp_path / "p.bpf.c", extra_flags=["-D__TARGET_ARCH_arm64"])
    assert [arg for arg in command if arg.startswith("-D__TARGET_ARCH_")] == ["-D__TARGET_ARCH_arm64"]


def test_compile_error_carries_the_compiler_message(tmp_path: Path, bpf_cc: None) -> None:
    with pytest.raises(CompileError) as caught:
        compile_text(tmp_path, TRIVIAL + "int broken(void) { return undeclared_thing; }\n", name="broken")
    assert "undeclared_thing" in caught.value.output


def test_compile_error_names_the_source_file_and_keeps_the_command(tmp_path: Path, bpf_cc: None) -> None:
    with pytest.raises(CompileError) as caught:
        compile_text(tmp_path, "this is not C;\n", name="garbage")
    assert "garbage.bpf.c" in str(caught.value)
    assert caught.value.command[-1] == str(tmp_path / "garbage.bpf.o")


def test_missing_source_raises_compile_error(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="does not exist"):
        build(tmp_path / "absent.bpf.c")


def test_build_returns_the_written_object(tmp_path: Path, bpf_cc: None) -> None:
    obj = compile_text(tmp_path, TRIVIAL)
    assert obj == tmp_path / "prog.bpf.o" and obj.read_bytes()[:4] == b"\x7fELF"


def test_build_without_output_writes_next_to_the_source(tmp_path: Path, bpf_cc: None) -> None:
    source = tmp_path / "side.bpf.c"
    source.write_text(TRIVIAL)
    assert build(source) == tmp_path / "side.bpf.o" and (tmp_path / "side.bpf.o").is_file()


def test_objects_carry_btf_but_no_unwind_tables(tmp_path: Path, bpf_cc: None) -> None:
    names = section_names(compile_text(tmp_path, TRIVIAL))
    assert ".BTF" in names and ".eh_frame" not in names
