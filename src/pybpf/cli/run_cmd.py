"""``pybpf run``: the quickest way from a ``*.bpf.c`` file to events on the screen.

Build (if C), load, set ``const volatile`` globals, attach every program by its section name,
print buffer events and ``bpf_printk`` lines as they come, then the maps at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..run.session import RunOptions, run


def _event_types(items: tuple[str, ...]) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items:
        name, sep, type_name = item.partition("=")
        if not sep or not name.strip() or not type_name.strip():
            raise click.BadParameter(f"{item!r}: expected MAP=TYPE", param_hint="--event-type")
        result[name.strip()] = type_name.strip()
    return result


@click.command("run")
@click.argument("program", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-d", "--duration", type=float, default=None, help="Stop after S seconds (default: until Ctrl-C)."
)
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Set a global before load.")
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per line.")
@click.option(
    "--event-type",
    "event_types",
    multiple=True,
    metavar="MAP=TYPE",
    help="Decode MAP's records as TYPE (e.g. rb='struct event'), or 'raw'.",
)
@click.option("--runtime", type=click.Choice(["kernel"]), default="kernel", show_default=True)
@click.option("--no-maps", is_flag=True, help="Do not dump the maps at the end.")
@click.option("-v", "--verbose", is_flag=True, help="Say how each buffer's event type was chosen.")
def run_command(
    program: Path,
    duration: float | None,
    assignments: tuple[str, ...],
    json_lines: bool,
    event_types: tuple[str, ...],
    runtime: str,
    no_maps: bool,
    verbose: bool,
) -> None:
    """Build (if C), load and attach PROGRAM, and print what it emits."""
    options = RunOptions(
        duration=duration,
        assignments=list(assignments),
        event_types=_event_types(event_types),
        json_lines=json_lines,
        runtime=runtime,
        dump_maps=not no_maps,
        verbose=verbose,
    )
    summary = run(program, options, stream=sys.stdout)
    if not summary.attached:
        click.echo("pybpf run: no program could be attached", err=True)
        sys.exit(1)


__all__ = ["run_command"]
