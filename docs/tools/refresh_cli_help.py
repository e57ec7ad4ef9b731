"""Rewrite the ``$ pybpf ... --help`` blocks of docs/cli.md from the installed command's output.

The option lists in the CLI reference are copies of ``--help``; copying them by hand is how they
go stale.  Run ``.venv/bin/python docs/tools/refresh_cli_help.py`` after changing a command's
options; the prose and the examples around the blocks are left alone, and a subcommand without a
block yet is reported so that someone writes its section.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click

CLI_DOC = Path(__file__).resolve().parent.parent / "cli.md"
HELP_BLOCK = re.compile(r"^```text\n\$ pybpf (?P<name>[^\n]*?) ?--help\n.*?^```$", re.S | re.M)


def leaf_commands() -> list[str]:
    """Every runnable ``pybpf`` subcommand path (``"prog dump xlated"``), groups walked lazily."""
    from pybpf.cli.main import cli

    ctx = click.Context(cli)
    found: list[str] = []

    def walk(group: click.Group, path: list[str]) -> None:
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if isinstance(cmd, click.Group):
                walk(cmd, [*path, name])
            elif cmd is not None:
                found.append(" ".join([*path, name]))

    walk(cli, [])
    return found


def help_text(name: str) -> str:
    """``pybpf NAME --help`` as a user sees it on a 100-column terminal."""
    argv = [sys.executable, "-m", "pybpf", *name.split(), "--help"]
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout.rstrip()


def refresh(text: str) -> tuple[str, list[str]]:
    """The doc with every help block regenerated, and the subcommands that have no block."""

    def replace(found: re.Match[str]) -> str:
        name = found.group("name").strip()
        shown = f"{name} --help" if name else "--help"
        return f"```text\n$ pybpf {shown}\n{help_text(name)}\n```"

    updated = HELP_BLOCK.sub(replace, text)
    missing = [name for name in leaf_commands() if f"$ pybpf {name} --help" not in updated]
    return updated, missing


def main() -> int:
    updated, missing = refresh(CLI_DOC.read_text())
    CLI_DOC.write_text(updated)
    for name in missing:
        print(f"no help block for 'pybpf {name}' in {CLI_DOC}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
