"""A bpf_conformance plugin: ``python -m pybpf.vm.plugin [MEMORY_HEX] [--program HEX]``.

The upstream runner starts the plugin once per test, passes the initial memory as hex in the
first argument (and its own plugin options after it), writes the program as hex bytes on stdin,
and reads r0 in hex from stdout; a non-zero exit status means the program was refused or
faulted, with the reason on stderr.  The suite's helper table (helper 5, "unwind") is provided.
``--engine interpreter|jit|auto`` (as a plugin option) picks the engine; the interpreter is the
default, as it needs nothing beyond Python.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import Error
from .conformance import conformance_helpers
from .interpreter import DEFAULT_BUDGET, run


def parse_hex(text: str) -> bytes:
    """Bytes from hex text that may be split by spaces or newlines (``"b7 00  01"``)."""
    cleaned = "".join(text.split())
    if cleaned.startswith(("0x", "0X")):
        cleaned = cleaned[2:]
    try:
        return bytes.fromhex(cleaned)
    except ValueError as exc:
        raise Error(f"invalid hex input: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pybpf.vm.plugin", description=__doc__)
    parser.add_argument("memory", nargs="?", default="", help="initial memory as hex")
    parser.add_argument("options", nargs="*", help="plugin options passed by the runner (ignored)")
    parser.add_argument("--program", help="program as hex (default: read from stdin)")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="instruction budget")
    parser.add_argument(
        "--engine",
        choices=["interpreter", "jit", "auto"],
        default="interpreter",
        help="execution engine (default: interpreter; jit needs llvmlite)",
    )
    args, _unknown = parser.parse_known_args(argv)
    try:
        program = parse_hex(args.program if args.program is not None else sys.stdin.read())
        memory = parse_hex(args.memory)
        if args.engine == "interpreter":
            result = run(program, memory=memory, helpers=conformance_helpers(), budget=args.budget)
        else:
            from .jit.select import run as run_on

            result = run_on(
                program, engine=args.engine, memory=memory, helpers=conformance_helpers(), budget=args.budget
            )
    except Error as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{result.r0:x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
