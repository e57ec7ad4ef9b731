"""``pybpf net list``: XDP, tc and tcx attachments (bpftool's ``net``)."""

from __future__ import annotations

import json

import click

from ..inspect import net as net_inspect
from .listing import JSONErrorGroup


@click.group(name="net", cls=JSONErrorGroup)
def net() -> None:
    """Inspect networking attachments (XDP, tc, tcx, flow dissector)."""


def _list(words: tuple[str, ...], as_json: bool) -> None:
    dev: str | None = None
    if words:
        if len(words) != 2 or words[0] != "dev":
            raise click.UsageError("expected: net list [dev NAME]")
        dev = words[1]
    view = net_inspect.gather(dev)
    click.echo(json.dumps(view.json()) if as_json else view.plain(), nl=as_json)


for _name in ("list", "show"):

    @net.command(name=_name)
    @click.argument("words", nargs=-1)
    @click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
    def _list_cmd(words: tuple[str, ...], as_json: bool) -> None:
        """Programs attached to the interfaces of this network namespace: [dev NAME]."""
        _list(words, as_json)
