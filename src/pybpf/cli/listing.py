"""What the kernel-object ``show``/``list`` commands share: bpftool's selector or everything."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from ..errors import Error
from ..inspect import select
from ..inspect.output import Record, render
from ..kernel import FD, ObjectKind


def no_more(rest: Sequence[str]) -> None:
    """Refuse words after the selector: bpftool's ``show`` takes nothing else."""
    if rest:
        raise click.UsageError(f"unexpected arguments: {' '.join(rest)}")


def selected_fds(kind: ObjectKind, words: Sequence[str], every: Callable[[], Iterable[FD]]) -> list[FD]:
    """The fds the selector in ``words`` names, or ``every()`` object of the kind without one."""
    if words:
        selector, rest = select.parse(kind, words)
        no_more(rest)
        return select.open_all(selector)
    return list(every())


def echo_records(records: Sequence[Record], *, as_json: bool, single: bool) -> None:
    """Print records as bpftool does; an empty plain listing prints nothing at all."""
    text = render(records, as_json=as_json, single=single)
    if text:
        click.echo(text)


_JSON_FLAGS = frozenset({"--json", "-j"})


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (a flag before any ``--``)."""
    for word in args:
        if word == "--":
            return False
        if word in _JSON_FLAGS or (word.startswith("-") and not word.startswith("--") and "j" in word[1:]):
            return True
    return False


def error_message(exc: click.ClickException | Error) -> str:
    return exc.format_message() if isinstance(exc, click.ClickException) else str(exc)


class JSONErrorGroup(click.Group):
    """A command group whose failures under ``--json`` print ``{"error": "..."}`` on stdout.

    Scripts that ask for JSON parse stdout; bpftool keeps them working on failure by printing
    the error as a JSON object there.  The exit code stays 1 (2 for usage errors).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["pybpf.json_errors"] = ctx.meta.get("pybpf.json_errors", False) or wants_json(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, Error) as exc:
            if not ctx.meta.get("pybpf.json_errors") or (ctx.parent is not None and _outer_handles(ctx)):
                raise
            click.echo(json.dumps({"error": error_message(exc)}))
            sys.exit(exc.exit_code if isinstance(exc, click.ClickException) else 1)


def _outer_handles(ctx: click.Context) -> bool:
    """Whether an enclosing group of the same kind will report the error (report it once)."""
    parent = ctx.parent
    while parent is not None:
        if isinstance(parent.command, JSONErrorGroup):
            return True
        parent = parent.parent
    return False


__all__ = ["JSONErrorGroup", "echo_records", "error_message", "no_more", "selected_fds", "wants_json"]
