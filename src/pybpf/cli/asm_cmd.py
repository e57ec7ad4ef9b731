"""``pybpf asm``: assemble text (kernel, LLVM or bpf_conformance syntax) into raw instructions.

Raw bytes are what loaders, the VM and the conformance plugin protocol consume; ``--hex`` gives the
same bytes as text for pasting into tests.  A bpf_conformance ``.data`` file is accepted as is: its
``-- asm`` section is the program.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ..errors import AssemblerError
from ..isa import assemble, encode


def _program_text(source: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssemblerError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    section = re.search(r"^-- asm[ \t]*\n(.*?)(?=^-- |\Z)", text, re.S | re.M)
    return section.group(1) if section else text


@click.command("asm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the result here."
)
@click.option("--hex", "as_hex", is_flag=True, help="Hexadecimal text instead of raw bytes.")
@click.option(
    "--dialect",
    type=click.Choice(["kernel", "llvm", "conformance"]),
    help="Input syntax (default: detected).",
)
def asm(file: Path, output: Path | None, as_hex: bool, dialect: str | None) -> None:
    """Assemble FILE ('-' for stdin) into eBPF bytecode."""
    if str(file) == "-":
        data = sys.stdin.buffer.read()
    else:
        data = file.read_bytes()
    insns = assemble(_program_text(str(file), data), dialect=dialect)  # type: ignore[arg-type]
    code = encode(insns)
    payload = (code.hex() + "\n").encode() if as_hex else code
    if output is not None:
        output.write_bytes(payload)
        click.echo(f"wrote {len(insns)} instructions ({len(code)} bytes) to {output}", err=True)
        return
    if not as_hex and sys.stdout.isatty():
        raise AssemblerError("refusing to write raw bytes to a terminal; use -o FILE or --hex")
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()
