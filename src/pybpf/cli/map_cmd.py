"""``pybpf map``: show, dump and edit kernel maps with bpftool's argument syntax."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from ..inspect import maps, select
from ..inspect.errors import InspectError
from ..inspect.mapedit import create_map, split_words, update_flags
from ..inspect.pinning import pin_object
from ..kernel import FD, ObjectKind, map_freeze
from .listing import JSONErrorGroup, echo_records, no_more, selected_fds

_MAP_HELP = "MAP is one of: id N | pinned PATH | name NAME.  DATA is bytes: 0x01 2 3 or hex 01 02 03."
_JSON = click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")


def _open(words: Sequence[str]) -> tuple[FD, list[str]]:
    selector, rest = select.parse(ObjectKind.MAP, words)
    return select.open_one(selector), rest


@click.group(name="map", cls=JSONErrorGroup)
def map_() -> None:
    """Inspect and edit BPF maps."""


def _show(words: tuple[str, ...], as_json: bool, pinned: bool) -> None:
    fds = selected_fds(ObjectKind.MAP, words, maps.all_fds)
    echo_records(maps.gather(fds, with_pinned=pinned), as_json=as_json, single=bool(words))


for _name in ("show", "list"):

    @map_.command(name=_name, epilog=_MAP_HELP)
    @click.argument("selector", nargs=-1)
    @_JSON
    @click.option("--pinned", "-f", is_flag=True, help="Also show where each map is pinned.")
    def _show_cmd(selector: tuple[str, ...], as_json: bool, pinned: bool) -> None:
        """Show one map, or all of them."""
        _show(selector, as_json, pinned)


@map_.command(name="dump", epilog=_MAP_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def dump(words: tuple[str, ...], as_json: bool) -> None:
    """Every element of a map (batched lookups where the map type allows)."""
    fd, rest = _open(words)
    no_more(rest)
    with fd:
        view = maps.open_view(fd)
        items = list(view.items())
        if as_json:
            click.echo(json.dumps([view.entry_json(k, v) for k, v in items]))
        elif view.has_btf:
            click.echo(json.dumps([view.formatted(k, v) for k, v in items], indent=4))
        else:
            lines = [view.entry_plain(key, value) for key, value in items]
            lines.append(f"Found {len(items)} element{'s' if len(items) != 1 else ''}")
            click.echo("\n".join(lines))


@map_.command(name="lookup", epilog=_MAP_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@_JSON
def lookup(words: tuple[str, ...], as_json: bool) -> None:
    """The value under ``key DATA``."""
    fd, rest = _open(words)
    with fd:
        view = maps.open_view(fd)
        parts = split_words(rest, ("key",))
        key = view.key(parts.get("key", []))
        value = view.lookup(key)
        click.echo(json.dumps(view.entry_json(key, value)) if as_json else view.entry_plain(key, value))


@map_.command(name="update", epilog=_MAP_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@_JSON
def update(words: tuple[str, ...], as_json: bool) -> None:
    """Store ``value DATA`` under ``key DATA`` [any | exist | noexist].

    For program arrays and map-in-map maps the value may name the object: ``value id N``.
    """
    fd, rest = _open(words)
    with fd:
        view = maps.open_view(fd)
        parts = split_words(rest, ("key", "value"), flags=("any", "exist", "noexist"))
        if "value" not in parts:
            raise InspectError("update needs value DATA")
        key = view.key(parts.get("key", [])) if not view.keyless else b""
        try:
            view.update(key, view.value(parts["value"]), update_flags(parts.get("flags", [])))
        finally:
            view.close()
        if as_json:
            click.echo("null")


@map_.command(name="delete", epilog=_MAP_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@_JSON
def delete(words: tuple[str, ...], as_json: bool) -> None:
    """Remove ``key DATA``."""
    fd, rest = _open(words)
    with fd:
        view = maps.open_view(fd)
        view.delete(view.key(split_words(rest, ("key",)).get("key", [])))
        if as_json:
            click.echo("null")


@map_.command(name="getnext", epilog=_MAP_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@_JSON
def getnext(words: tuple[str, ...], as_json: bool) -> None:
    """The key after ``key DATA`` (the first key without one)."""
    fd, rest = _open(words)
    with fd:
        view = maps.open_view(fd)
        parts = split_words(rest, ("key",))
        key = view.key(parts["key"]) if "key" in parts else None
        following = view.next_key(key)
        if following is None:
            raise InspectError("no next key" if key is not None else "the map is empty")
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "key": maps.json_bytes(key) if key is not None else None,
                        "next_key": maps.json_bytes(following),
                    }
                )
            )
        else:
            if key is not None:
                click.echo(f"key:\n{maps.hex_bytes(key)}")
            else:
                click.echo("key: None")
            click.echo(f"next key:\n{maps.hex_bytes(following)}")


def _pop(words: tuple[str, ...], as_json: bool, peek: bool) -> None:
    fd, rest = _open(words)
    no_more(rest)
    with fd:
        view = maps.open_view(fd)
        value = view.pop(peek=peek)
        click.echo(json.dumps(view.entry_json(None, value)) if as_json else view.entry_plain(None, value))


@map_.command(name="peek", epilog=_MAP_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def peek(words: tuple[str, ...], as_json: bool) -> None:
    """The head of a queue or stack, left in place."""
    _pop(words, as_json, peek=True)


@map_.command(name="pop", epilog=_MAP_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def pop(words: tuple[str, ...], as_json: bool) -> None:
    """Take the head of a queue or stack."""
    _pop(words, as_json, peek=False)


@map_.command(name="push", epilog=_MAP_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@_JSON
def push(words: tuple[str, ...], as_json: bool) -> None:
    """Add ``value DATA`` to a queue, stack or bloom filter."""
    fd, rest = _open(words)
    with fd:
        view = maps.open_view(fd)
        parts = split_words(rest, ("value",))
        if "value" not in parts:
            raise InspectError("push needs value DATA")
        view.update(b"", view.value(parts["value"]))
        if as_json:
            click.echo("null")


@map_.command(name="freeze", epilog=_MAP_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def freeze(words: tuple[str, ...], as_json: bool) -> None:
    """Make a map read-only for user space."""
    fd, rest = _open(words)
    no_more(rest)
    with fd:
        map_freeze(fd)
    if as_json:
        click.echo("null")


@map_.command(name="pin", epilog=_MAP_HELP)
@click.argument("words", nargs=-1, required=True)
@_JSON
def pin(words: tuple[str, ...], as_json: bool) -> None:
    """Pin MAP at FILE in bpffs: ``map pin MAP FILE``."""
    fd, rest = _open(words)
    if len(rest) != 1:
        raise click.UsageError("expected: map pin MAP FILE")
    with fd:
        pin_object(fd, rest[0])
    if as_json:
        click.echo("null")


@map_.command(name="create", context_settings={"ignore_unknown_options": True})
@click.argument("path")
@click.argument("words", nargs=-1, required=True)
@_JSON
def create(path: str, words: tuple[str, ...], as_json: bool) -> None:
    """Create and pin a map: ``create PATH type T key K value V entries N name NAME [flags F]``."""
    create_map(path, words)
    if as_json:
        click.echo("null")
