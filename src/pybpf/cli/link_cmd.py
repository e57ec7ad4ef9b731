"""``pybpf link``: list, show, pin and detach BPF links (bpftool's ``link``)."""

from __future__ import annotations

import click

from ..inspect import links, select
from ..inspect.pinning import pin_object
from ..kernel import ObjectKind, link_detach
from .listing import JSONErrorGroup, echo_records, no_more, selected_fds

_HELP = "LINK is one of: id N | pinned PATH."
_JSON = click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")


@click.group(name="link", cls=JSONErrorGroup)
def link() -> None:
    """Inspect and manage BPF links."""


def _show(words: tuple[str, ...], as_json: bool, pinned: bool) -> None:
    fds = selected_fds(ObjectKind.LINK, words, links.all_fds)
    echo_records(links.gather(fds, with_pinned=pinned), as_json=as_json, single=bool(words))


for _name in ("show", "list"):

    @link.command(name=_name, epilog=_HELP)
    @click.argument("selector", nargs=-1)
    @_JSON
    @click.option("--pinned", "-f", is_flag=True, help="Also show where each link is pinned.")
    def _show_cmd(selector: tuple[str, ...], as_json: bool, pinned: bool) -> None:
        """Show one link, or all of them."""
        _show(selector, as_json, pinned)


@link.command(name="pin", epilog=_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def pin(words: tuple[str, ...], as_json: bool) -> None:
    """Pin LINK at FILE in bpffs: ``link pin LINK FILE``."""
    selector, rest = select.parse(ObjectKind.LINK, words)
    if len(rest) != 1:
        raise click.UsageError("expected: link pin LINK FILE")
    with select.open_one(selector) as fd:
        pin_object(fd, rest[0])
    if as_json:
        click.echo("null")


@link.command(name="detach", epilog=_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def detach(words: tuple[str, ...], as_json: bool) -> None:
    """Detach LINK's program (the link object stays until its last fd or pin goes)."""
    selector, rest = select.parse(ObjectKind.LINK, words)
    no_more(rest)
    with select.open_one(selector) as fd:
        link_detach(fd)
    if as_json:
        click.echo("null")
