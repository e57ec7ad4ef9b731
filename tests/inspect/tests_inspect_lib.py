"""Helpers shared by the inspection tests (imported by name: tests/inspect is on sys.path)."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

DATA = Path(__file__).resolve().parent / "data"

# command name -> (module, attribute), as main.py will register them.
COMMANDS = {
    "prog": ("prog_cmd", "prog"),
    "map": ("map_cmd", "map_"),
    "link": ("link_cmd", "link"),
    "net": ("net_cmd", "net"),
    "perf": ("perf_cmd", "perf"),
    "cgroup": ("cgroup_cmd", "cgroup"),
    "feature": ("feature_cmd", "feature"),
    "btf": ("btf_inspect_cmd", "btf"),
}


@dataclass
class Result:
    exit_code: int
    output: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.output)


def run_command(command: str, *args: str) -> Result:
    """Run ``pybpf COMMAND ARGS`` through the real entry point's error handling."""
    from pybpf.cli import main as entry

    module, attr = COMMANDS[command]
    importlib.import_module(f"pybpf.cli.{module}")
    saved = dict(entry.SUBCOMMANDS)
    entry.SUBCOMMANDS[command] = (module, attr, command)
    try:
        runner = CliRunner()
        result = runner.invoke(_Main(), [command, *args], catch_exceptions=False)  # type: ignore[arg-type]
    finally:
        entry.SUBCOMMANDS.clear()
        entry.SUBCOMMANDS.update(saved)
    return Result(result.exit_code, result.stdout, result.stderr)


class _Main:
    """Adapts :func:`pybpf.cli.main.main` (which calls sys.exit) to CliRunner's interface."""

    name = "pybpf"

    def main(self, args: list[str], prog_name: str | None = None, **_: Any) -> None:
        from pybpf.cli.main import main

        main(list(args))


__all__ = ["DATA", "Result", "run_command"]
