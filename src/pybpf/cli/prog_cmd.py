"""``pybpf prog``: list, show, dump, load, pin and run kernel programs (bpftool's ``prog``)."""

from __future__ import annotations

import json
from typing import Any

import click

from ..inspect import progs, select
from ..kernel import ObjectKind
from .listing import JSONErrorGroup, echo_records, selected_fds

_SELECTOR_HELP = "PROG is one of: id N | pinned PATH | name NAME | tag TAG."


def _emit(data: Any, as_json: bool, plain: str) -> None:
    click.echo(json.dumps(data) if as_json else plain)


@click.group(name="prog", cls=JSONErrorGroup)
def prog() -> None:
    """Inspect and manage loaded BPF programs."""


def _show(words: tuple[str, ...], as_json: bool, pinned: bool) -> None:
    fds = selected_fds(ObjectKind.PROG, words, progs.all_fds)
    echo_records(progs.gather(fds, with_pinned=pinned), as_json=as_json, single=bool(words))


@prog.command(name="show", epilog=_SELECTOR_HELP)
@click.argument("selector", nargs=-1)
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
@click.option("--pinned", "-f", is_flag=True, help="Also show where each program is pinned.")
def show(selector: tuple[str, ...], as_json: bool, pinned: bool) -> None:
    """Show one program, or all of them."""
    _show(selector, as_json, pinned)


@prog.command(name="list", epilog=_SELECTOR_HELP)
@click.argument("selector", nargs=-1)
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
@click.option("--pinned", "-f", is_flag=True, help="Also show where each program is pinned.")
def list_(selector: tuple[str, ...], as_json: bool, pinned: bool) -> None:
    """List every loaded program (the same as ``show``)."""
    _show(selector, as_json, pinned)


def _open_prog(words: tuple[str, ...] | list[str]) -> tuple[Any, list[str]]:
    selector, rest = select.parse(ObjectKind.PROG, list(words))
    return select.open_one(selector), rest


@prog.group(name="dump")
def dump() -> None:
    """Dump the translated or JITed instructions of a program."""


@dump.command(name="xlated", epilog=_SELECTOR_HELP)
@click.argument("selector", nargs=2)
@click.option("--linum", is_flag=True, help="Show file, line and column of each source line.")
@click.option("--opcodes", is_flag=True, help="Show the raw bytes of each instruction.")
@click.option("--visual", is_flag=True, help="Print a DOT control-flow graph instead.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="With --visual: render to .svg/.png.")
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
def dump_xlated(
    selector: tuple[str, str], linum: bool, opcodes: bool, visual: bool, output: str | None, as_json: bool
) -> None:
    """Translated instructions in kernel syntax, with source lines from the program's BTF."""
    from pathlib import Path

    from ..inspect import cfg, xlated

    fd, _ = _open_prog(selector)
    with fd:
        program = xlated.fetch(fd)
    if visual:
        graph = cfg.dot(xlated.rows(program))
        if output:
            cfg.render(graph, Path(output))
        else:
            click.echo(graph)
        return
    if as_json:
        click.echo(json.dumps(xlated.as_json(program, linum=linum, opcodes=opcodes)))
    else:
        click.echo(xlated.plain(program, linum=linum, opcodes=opcodes))


@dump.command(name="jited", epilog=_SELECTOR_HELP)
@click.argument("selector", nargs=2)
@click.option("--opcodes", is_flag=True, help="Show the raw bytes of each instruction.")
@click.option("--linum", is_flag=True, help="Show file, line and column of each source line.")
@click.option("--json", "-j", "as_json", is_flag=True, help="JSON output.")
def dump_jited(selector: tuple[str, str], opcodes: bool, linum: bool, as_json: bool) -> None:
    """The JIT's machine code, disassembled (capstone, else llvm-objdump)."""
    from ..inspect import jited

    fd, _ = _open_prog(selector)
    with fd:
        lines = jited.disassemble(jited.fetch(fd))
        sources = jited.source_lines(fd)
    if as_json:
        click.echo(json.dumps(jited.as_json(lines, opcodes=opcodes)))
    else:
        click.echo(jited.plain(lines, opcodes=opcodes, sources=sources, linum=linum))


@prog.command(name="pin", epilog=_SELECTOR_HELP)
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "-j", "as_json", is_flag=True, help="JSON output.")
def pin(words: tuple[str, ...], as_json: bool) -> None:
    """Pin PROG at FILE in bpffs: ``prog pin PROG FILE``."""
    from ..inspect import progload

    fd, rest = _open_prog(words)
    if len(rest) != 1:
        raise click.UsageError("expected: prog pin PROG FILE")
    with fd:
        progload.pin(fd, rest[0])
    if as_json:
        click.echo("null")


@prog.command(name="load")
@click.argument("obj", type=click.Path(exists=True, dir_okay=False))
@click.argument("pindir")
@click.option("--autoattach", is_flag=True, help="Attach tracepoint programs too and pin their links.")
@click.option("--json", "-j", "as_json", is_flag=True, help="JSON output.")
def load(obj: str, pindir: str, autoattach: bool, as_json: bool) -> None:
    """Load every program of OBJ and pin each one under PINDIR."""
    from ..inspect import progload

    done = progload.load_and_pin(obj, pindir, autoattach=autoattach)
    if as_json:
        click.echo(json.dumps([d.__dict__ for d in done]))
    else:
        for d in done:
            extra = f"  link {d.link_pinned}" if d.link_pinned else ""
            click.echo(f"{d.prog_id}: {d.name}  pinned {d.pinned}{extra}")


@prog.command(name="run", epilog=_SELECTOR_HELP)
@click.argument("selector", nargs=2)
@click.option("--data-in", "data_in", required=True, help="File with the input packet ('-' for stdin).")
@click.option("--data-out", "data_out", type=click.Path(dir_okay=False), help="Write the output packet here.")
@click.option("--ctx-in", "ctx_in", help="File with the input context.")
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "-j", "as_json", is_flag=True, help="bpftool's JSON output.")
def run(
    selector: tuple[str, str],
    data_in: str,
    data_out: str | None,
    ctx_in: str | None,
    repeat: int,
    as_json: bool,
) -> None:
    """Run a program on test input (BPF_PROG_TEST_RUN)."""
    from pathlib import Path

    from ..inspect import progload

    data = progload.read_input(data_in)
    ctx = progload.read_input(ctx_in) if ctx_in else None
    fd, _ = _open_prog(selector)
    with fd:
        result = progload.run(fd, data, repeat=repeat, ctx=ctx)
    if data_out:
        Path(data_out).write_bytes(result["data_out"])
    if as_json:
        click.echo(json.dumps({"retval": result["retval"], "duration": result["duration"]}))
    else:
        click.echo(
            f"Return value: {result['retval']}, duration{' (average)' if repeat > 1 else ''}: {result['duration']}ns"
        )


@prog.command(name="tracelog")
@click.option("--timeout", type=float, default=None, help="Stop after this many seconds.")
def tracelog(timeout: float | None) -> None:
    """Stream the kernel trace pipe (bpf_printk output) until interrupted."""
    from ..inspect import progload

    for line in progload.tracelog(timeout):
        click.echo(line)
