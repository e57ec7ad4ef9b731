"""``pybpf build``: compile ``*.bpf.c`` with our headers and the running kernel's ``vmlinux.h``.

Also the way to get that ``vmlinux.h`` itself (``--vmlinux-h``), for editors and for builds
that run the compiler by hand.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click

from ..cc import build_command, run_build, vmlinux_header


def _write_vmlinux_h(target: str, btf: Path | None) -> None:
    header = vmlinux_header(btf)
    if target == "-":
        with header.open("rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        return
    shutil.copyfile(header, target)
    click.echo(f"wrote {target}", err=True)


@click.command("build")
@click.argument("source", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Object file to write (default: SOURCE with .o).",
)
@click.option(
    "-I",
    "include_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Add a directory to the include path (searched before ours).",
)
@click.option("-D", "defines", multiple=True, metavar="NAME[=VALUE]", help="Define a preprocessor macro.")
@click.option(
    "-X", "--cflag", "cflags", multiple=True, metavar="FLAG", help="Pass FLAG to the compiler unchanged."
)
@click.option(
    "--cc", metavar="COMMAND", help="Compiler command (default: $PYBPF_CC, clang, then the ziglang wheel)."
)
@click.option(
    "--btf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="BTF to generate vmlinux.h from (default: the running kernel's).",
)
@click.option("--print-command", is_flag=True, help="Print the compiler command before running it.")
@click.option("-n", "--dry-run", is_flag=True, help="Print the compiler command and do not run it.")
@click.option(
    "--vmlinux-h",
    "vmlinux_out",
    metavar="FILE",
    help="Write the generated vmlinux.h to FILE ('-' for stdout).",
)
def build(
    source: Path | None,
    output: Path | None,
    include_dirs: tuple[Path, ...],
    defines: tuple[str, ...],
    cflags: tuple[str, ...],
    cc: str | None,
    btf: Path | None,
    print_command: bool,
    dry_run: bool,
    vmlinux_out: str | None,
) -> None:
    """Compile SOURCE (a *.bpf.c file) into a BPF object."""
    if vmlinux_out is not None:
        _write_vmlinux_h(vmlinux_out, btf)
    if source is None:
        if vmlinux_out is None:
            raise click.UsageError("missing SOURCE (or --vmlinux-h FILE)")
        return
    extra = [*(f"-D{define}" for define in defines), *cflags]
    if print_command or dry_run:
        command = build_command(
            source, output, extra_flags=extra, include_dirs=include_dirs, cc=cc, vmlinux_btf=btf
        )
        click.echo(shlex.join(command))
        if dry_run:
            return
    result = run_build(source, output, extra_flags=extra, include_dirs=include_dirs, cc=cc, vmlinux_btf=btf)
    if result.diagnostics:
        click.echo(result.diagnostics, err=True)
    click.echo(str(result.output))
