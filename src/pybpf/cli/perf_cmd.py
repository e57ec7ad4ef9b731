"""``pybpf perf list``: programs attached through perf events (bpftool's ``perf list``)."""

from __future__ import annotations

import json

import click

from ..inspect import perf as perf_inspect
from .listing import JSONErrorGroup


@click.group(name="perf", cls=JSONErrorGroup)
def perf() -> None:
    """Inspect perf-event and raw tracepoint attachments."""


@perf.command(name="list")
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
def list_(as_json: bool) -> None:
    """Every perf-event/tracepoint/kprobe/uprobe attachment, by process and fd."""
    found = perf_inspect.attachments()
    if as_json:
        click.echo(json.dumps([a.json() for a in found]))
    else:
        for a in found:
            click.echo(a.plain())


@perf.command(name="show")
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """The same as ``list``."""
    ctx.invoke(list_, as_json=as_json)
