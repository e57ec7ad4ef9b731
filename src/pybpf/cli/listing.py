"""What the kernel-object ``show``/``list`` commands share: bpftool's selector or everything."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import click

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


__all__ = ["echo_records", "no_more", "selected_fds"]
