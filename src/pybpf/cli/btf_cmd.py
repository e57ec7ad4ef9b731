"""``pybpf btf``: dump BTF from a raw BTF file (``/sys/kernel/btf/*``) or a BPF object's ``.BTF``.

``dump --format raw`` and ``--format json`` print what ``bpftool btf dump file F`` prints, so the
two can be diffed; ``--format c`` writes a ``vmlinux.h``-style header.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import click

from ..btf import BTF, BTFError, TypeNotFound
from .lazygroup import LazyCommands
from .listing import JSONErrorGroup

KERNEL_BTF_DIR = Path("/sys/kernel/btf")


def read_btf_bytes(path: Path) -> bytes:
    """The BTF blob in ``path``: the file itself, or the ``.BTF`` section of an ELF object."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from exc
    if data[:4] != b"\x7fELF":
        return data
    from ..elf.container import read_header, read_sections, section_bytes
    from ..errors import ELFError

    try:
        sections = read_sections(data, read_header(data))
        section = next((s for s in sections if s.name == ".BTF"), None)
        blob = section_bytes(data, section) if section is not None else None
    except ELFError as exc:
        raise BTFError(f"cannot read ELF object {path}: {exc}") from exc
    if blob is None:
        raise BTFError(f"{path} has no .BTF section (compile with -g)")
    return bytes(blob)


def open_btf(path: Path, base: Path | None) -> BTF:
    """Parse ``path``; kernel module BTF next to vmlinux gets vmlinux as its base automatically."""
    base_btf = None
    if base is not None:
        base_btf = BTF.from_bytes(read_btf_bytes(base))
    elif path.parent == KERNEL_BTF_DIR and path.name != "vmlinux":
        base_btf = BTF.vmlinux(KERNEL_BTF_DIR / "vmlinux")
    data = read_btf_bytes(path)
    from ..btf.index import cached_open

    return cached_open(data, base=base_btf)


def select_ids(btf: BTF, wanted: tuple[str, ...]) -> list[int] | None:
    """Type ids for ``--type`` values (numbers are ids, anything else a name); None means all."""
    if not wanted:
        return None
    ids: list[int] = []
    for item in wanted:
        if item.isdigit():
            type_id = int(item)
            if type_id not in btf or type_id == 0:
                raise TypeNotFound(f"no type id {type_id} (valid: 1..{len(btf) - 1})")
            ids.append(type_id)
        else:
            found = btf.find_ids(item)
            if not found:
                raise TypeNotFound(f"no type named {item!r}")
            ids.extend(found)
    return ids


class _BTFGroup(LazyCommands, JSONErrorGroup):
    """``btf list`` and ``btf show`` read the kernel's loaded BTF objects (``pybpf.inspect``):
    their modules are imported only when they run, so ``btf dump`` of a file does not pay for them."""

    lazy_commands: ClassVar[Mapping[str, tuple[str, str]]] = {
        "show": ("btf_inspect_cmd", "show"),
        "list": ("btf_inspect_cmd", "list_"),
    }


@click.group(name="btf", cls=_BTFGroup)
def btf() -> None:
    """Inspect and dump BTF type information."""


_SOURCES = ("id", "prog", "map", "file")
_FORMATS = ("raw", "json", "c")


def split_dump_words(words: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The source words and a trailing bpftool-style ``format raw|c|json``, if any."""
    items = list(words)
    if len(items) >= 2 and items[-2] == "format":
        if items[-1] not in _FORMATS:
            raise click.UsageError(f"format must be one of {', '.join(_FORMATS)}, not {items[-1]!r}")
        return items[:-2], items[-1]
    return items, None


def open_source(words: list[str], base: Path | None) -> BTF:
    """The BTF named by ``words``: ``file F``, a bare FILE, ``id N``, ``prog PROG`` or ``map MAP``."""
    if not words:
        raise click.UsageError("expected: btf dump (id N | prog PROG | map MAP | file FILE | FILE)")
    if words[0] == "file" or words[0] not in _SOURCES:
        path_words = words[1:] if words[0] == "file" else words
        if len(path_words) != 1:
            raise click.UsageError("expected one FILE")
        path = Path(path_words[0])
        if not path.is_file():
            raise click.FileError(str(path), hint="no such file")
        return open_btf(path, base)
    from ..inspect import btfsource

    found, rest = btfsource.resolve(words)
    if rest:
        raise click.UsageError(f"unexpected arguments: {' '.join(rest)}")
    base_btf = None
    if base is not None:
        base_btf = BTF.from_bytes(read_btf_bytes(base))
    elif found.split:
        base_btf = BTF.vmlinux(KERNEL_BTF_DIR / "vmlinux")
    from ..btf.index import cached_open

    return cached_open(found.data, base=base_btf)


@btf.command(
    "dump",
    epilog="SOURCE: id N | prog (id N|pinned P|name N|tag T) | map (id N|pinned P|name N) | file F | F",
)
@click.argument("source", nargs=-1, required=True)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(list(_FORMATS)),
    default=None,
    help="raw (default) and json match bpftool; c writes a header.  bpftool's trailing `format X` works too.",
)
@click.option(
    "--type",
    "-t",
    "types",
    multiple=True,
    metavar="ID|NAME",
    help="Only these types (repeatable); a name selects every type of that name.",
)
@click.option(
    "--base",
    "-B",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Base BTF for split BTF (default for kernel module BTF: vmlinux).",
)
@click.option("--json", "-j", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--pretty", "-p", is_flag=True, help="Indent the JSON output.")
def dump(
    source: tuple[str, ...],
    fmt: str | None,
    types: tuple[str, ...],
    base: Path | None,
    as_json: bool,
    pretty: bool,
) -> None:
    """Dump BTF from a file (raw BTF or a BPF object's .BTF) or from a kernel BTF object."""
    words, trailing = split_dump_words(source)
    fmt = trailing or fmt or ("json" if as_json else "raw")
    blob = open_source(words, base)
    ids = select_ids(blob, types)
    if fmt == "raw":
        from ..btf.rawdump import dump_raw

        text = dump_raw(blob, ids)
    elif fmt == "json":
        from ..btf.rawdump import dump_json

        text = dump_json(blob, ids, pretty=pretty)
    else:
        from ..btf.cdump import dump_c

        text = dump_c(blob, type_ids=ids)
        if not text.endswith("\n"):
            text += "\n"
    click.echo(text, nl=False)


__all__ = ["btf", "open_btf", "open_source", "read_btf_bytes", "select_ids", "split_dump_words"]
