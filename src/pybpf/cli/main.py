"""Entry point of the ``pybpf`` command.

Subcommands live in their own modules (``build_cmd``, ``disasm_cmd``, ``btf_cmd``, ...) and are
imported only when invoked, so ``pybpf --help`` stays fast and a broken optional part cannot stop
the others from working.  Every :class:`pybpf.Error` becomes a one-line message and exit code 1:
users get a reason, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, ClassVar

import click

from ..errors import Error
from .lazygroup import LazyCommands

# command name -> (module under pybpf.cli, attribute holding the click command, short help)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "build": ("build_cmd", "build", "Compile a *.bpf.c file into a BPF object."),
    "disasm": ("disasm_cmd", "disasm", "Disassemble the programs of a BPF object."),
    "asm": ("asm_cmd", "asm", "Assemble BPF assembly text into raw instructions."),
    "btf": ("btf_cmd", "btf", "Inspect and dump BTF type information."),
    "vm": ("vm_cmd", "vm", "Run BPF programs in the userspace VM."),
    "run": (
        "run_cmd",
        "run_command",
        "Build, load and attach a BPF program, then stream its events and maps.",
    ),
    "tool": ("tool_cmd", "tool", "Ready-made tracing tools (execsnoop, opensnoop, syscount, ...)."),
    "prog": ("prog_cmd", "prog", "List, show, dump, load, pin and run programs in the kernel."),
    "map": ("map_cmd", "map_", "List, show, dump and edit maps in the kernel."),
    "link": ("link_cmd", "link", "List, show, pin and detach links."),
    "net": ("net_cmd", "net", "Show XDP and tc programs attached to network devices."),
    "perf": ("perf_cmd", "perf", "List programs attached to perf events (tracepoints, uprobes)."),
    "cgroup": ("cgroup_cmd", "cgroup", "List programs attached to cgroups."),
    "feature": (
        "feature_cmd",
        "feature",
        "Probe which program types, map types and helpers this kernel supports.",
    ),
}


class LazyGroup(LazyCommands):
    """The top-level group: every subcommand lazy, help rows from :data:`SUBCOMMANDS`."""

    lazy_commands: ClassVar[Mapping[str, tuple[str, str]]] = {
        name: (module, attr) for name, (module, attr, _) in SUBCOMMANDS.items()
    }

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pybpf")
def cli() -> None:
    """pybpf: build, load, trace, test and inspect eBPF programs from Python."""


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="pybpf", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Error as exc:
        click.echo(f"pybpf: error: {exc}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
