"""``pybpf cgroup list|tree``: programs attached to cgroups (bpftool's ``cgroup show|tree``)."""

from __future__ import annotations

import json

import click

from ..inspect import cgroups
from .listing import JSONErrorGroup

_JSON = click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
_EFFECTIVE = click.option("--effective", is_flag=True, help="Include programs inherited from ancestors.")


@click.group(name="cgroup", cls=JSONErrorGroup)
def cgroup() -> None:
    """Inspect programs attached to cgroups."""


def _list(path: str, as_json: bool, effective: bool) -> None:
    found = cgroups.attached(path, effective=effective)
    if as_json:
        click.echo(json.dumps([a.json() for a in found]))
        return
    if found:
        click.echo(cgroups.HEADER)
        for a in found:
            click.echo(a.plain())


for _name in ("list", "show"):

    @cgroup.command(name=_name)
    @click.argument("path", type=click.Path())
    @_JSON
    @_EFFECTIVE
    def _list_cmd(path: str, as_json: bool, effective: bool) -> None:
        """Programs attached to the cgroup at PATH."""
        _list(path, as_json, effective)


@cgroup.command(name="tree")
@click.argument("root", required=False, type=click.Path())
@_JSON
@_EFFECTIVE
def tree(root: str | None, as_json: bool, effective: bool) -> None:
    """Every cgroup under ROOT (default: the cgroup v2 mount) with programs attached."""
    found = cgroups.tree(root, effective=effective)
    if as_json:
        click.echo(
            json.dumps([{"cgroup": path, "programs": [a.json() for a in progs]} for path, progs in found])
        )
        return
    click.echo("CgroupPath")
    click.echo(cgroups.HEADER)
    for path, progs in found:
        click.echo(path)
        for a in progs:
            click.echo(a.plain("    "))
