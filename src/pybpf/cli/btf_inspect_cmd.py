"""``pybpf btf list|show``: BTF objects loaded in the kernel (merged with ``btf dump`` later)."""

from __future__ import annotations

import click

from ..inspect import btf as btf_inspect
from ..inspect.output import render
from ..kernel import ObjectKind
from .listing import JSONErrorGroup, selected_fds

_JSON = click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")


@click.group(name="btf", cls=JSONErrorGroup)
def btf() -> None:
    """Inspect BTF objects loaded in the kernel."""


def _show(words: tuple[str, ...], as_json: bool) -> None:
    fds = selected_fds(ObjectKind.BTF, words, btf_inspect.all_fds)
    click.echo(render(btf_inspect.gather(fds), as_json=as_json, single=bool(words)))


@btf.command(name="show", epilog="BTF is: id N.")
@click.argument("selector", nargs=-1)
@_JSON
def show(selector: tuple[str, ...], as_json: bool) -> None:
    """Show one BTF object, or all of them."""
    _show(selector, as_json)


@btf.command(name="list", epilog="BTF is: id N.")
@click.argument("selector", nargs=-1)
@_JSON
def list_(selector: tuple[str, ...], as_json: bool) -> None:
    """List every BTF object (the same as ``show``)."""
    _show(selector, as_json)
