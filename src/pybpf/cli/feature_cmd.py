"""``pybpf feature probe``: what the running kernel's BPF supports, found by tiny loads."""

from __future__ import annotations

import json

import click

from ..inspect import feature as feature_probe
from .listing import JSONErrorGroup


@click.group(name="feature", cls=JSONErrorGroup)
def feature() -> None:
    """Probe the running kernel for BPF features."""


@feature.command(name="probe")
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON layout.")
@click.option("--no-helpers", is_flag=True, help="Skip the per-program-type helper scan.")
def probe(as_json: bool, no_helpers: bool) -> None:
    """Program types, map types, helpers per program type and attach types of this kernel."""
    found = feature_probe.probe(helpers=not no_helpers)
    click.echo(json.dumps(found.json()) if as_json else found.plain())
