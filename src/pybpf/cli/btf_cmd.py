"""``pybpf btf``: dump BTF from a raw BTF file (``/sys/kernel/btf/*``) or a BPF object's ``.BTF``.

``dump --format raw`` and ``--format json`` print what ``bpftool btf dump file F`` prints, so the
two can be diffed; ``--format c`` writes a ``vmlinux.h``-style header.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..btf import BTF, BTFError, TypeNotFound

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


@click.group("btf")
def btf() -> None:
    """Inspect and dump BTF type information."""


@btf.command("dump")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["raw", "json", "c"]),
    default="raw",
    show_default=True,
    help="raw and json match bpftool; c writes a header.",
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
    help="Base BTF for split BTF (default for /sys/kernel/btf/<module>: vmlinux).",
)
@click.option("--pretty", "-p", is_flag=True, help="Indent the JSON output.")
def dump(file: Path, fmt: str, types: tuple[str, ...], base: Path | None, pretty: bool) -> None:
    """Dump the BTF of FILE (raw BTF, or a BPF object's .BTF section)."""
    blob = open_btf(file, base)
    ids = select_ids(blob, types)
    if fmt == "raw":
        from ..btf.rawdump import dump_raw

        text = dump_raw(blob, ids)
    elif fmt == "json":
        from ..btf.rawdump import dump_json

        text = dump_json(blob, ids, pretty=pretty)
    else:
        try:
            from ..btf.cdump import dump_c
        except ImportError as exc:
            raise click.ClickException(f"the C header dump is not available in this build ({exc})") from exc
        text = dump_c(blob, type_ids=ids)
        if not text.endswith("\n"):
            text += "\n"
    click.echo(text, nl=False)


__all__ = ["btf", "open_btf", "read_btf_bytes", "select_ids"]


def _add_inspect_commands() -> None:
    """`btf list` and `btf show` inspect the kernel's loaded BTF objects (pybpf.inspect)."""
    from .btf_inspect_cmd import list_, show

    btf.add_command(show)
    btf.add_command(list_)


_add_inspect_commands()
