"""The bpf_conformance suite's test files and helper table, for our runner and plugin.

A test file has ``-- asm``, ``-- mem``, ``-- result``, ``-- raw`` and ``-- error`` sections (plus
notes such as ``-- c`` and ``-- no register offset`` that carry no data).  Parsing follows the
upstream runner's reading of the format so a file means the same thing here as there.  The suite
runs programs with r1 = memory and r2 = its length, and a few files call helper 5, the uBPF-style
"unwind" helper that ends the program when its argument is zero.
"""

from __future__ import annotations

from pathlib import Path

from pybpf._dataclasses import dataclass

from ..errors import Error
from .errors import ExitProgram
from .interpreter import DEFAULT_BUDGET, Helper, Machine, run

#: Helper id of the suite's "unwind" helper.
UNWIND_HELPER = 5


@dataclass(frozen=True, slots=True)
class ConformanceCase:
    name: str
    asm: str
    raw: bytes | None
    memory: bytes
    result: int | None
    error: str | None


def _section(header: str) -> str:
    """Which section a ``--`` line opens; unknown headers are ignored like upstream notes."""
    text = header.lstrip("-").strip()
    for key in ("asm", "result", "mem", "raw", "error"):
        if text.startswith(key):
            return key
    return "ignore"


def parse_case(text: str, name: str = "") -> ConformanceCase:
    """Parse one test file's text; raises :class:`pybpf.Error` on malformed data sections."""
    sections: dict[str, list[str]] = {}
    state = "ignore"
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("--"):
            state = _section(line)
            sections.setdefault(state, [])
            continue
        if not line.strip():
            continue
        if state == "asm":
            line = line.split("#", 1)[0]
        sections.setdefault(state, []).append(line)
    try:
        memory = bytes(int(tok, 16) for line in sections.get("mem", []) for tok in line.split())
        raw = None
        if sections.get("raw"):
            raw = b"".join(
                (int(tok, 0) & ((1 << 64) - 1)).to_bytes(8, "little")
                for line in sections["raw"]
                for tok in line.split()
            )
        results = sections.get("result", [])
        result = int(results[-1].strip(), 0) if results else None
    except ValueError as exc:
        raise Error(f"{name or 'conformance test'}: malformed data section: {exc}") from exc
    errors = sections.get("error", [])
    return ConformanceCase(
        name,
        "\n".join(sections.get("asm", [])) + "\n",
        raw,
        memory,
        result,
        errors[-1].strip() if errors else None,
    )


def load_case(path: str | Path) -> ConformanceCase:
    path = Path(path)
    return parse_case(path.read_text(encoding="utf-8", errors="replace"), path.name)


def _unwind(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
    """Return r1; when it is zero the whole program ends with r0 = 0."""
    if r1 == 0:
        raise ExitProgram(0)
    return r1


def conformance_helpers() -> dict[int, Helper]:
    """The helper table the suite's programs expect."""
    return {UNWIND_HELPER: _unwind}


def assemble_case(case: ConformanceCase) -> bytes:
    """The program bytes of a case: its ``-- raw`` section, else its assembled ``-- asm``."""
    if case.raw is not None:
        return case.raw
    from ..isa import assemble, encode

    return bytes(encode(assemble(case.asm, dialect="conformance")))


def run_case(case: ConformanceCase, *, budget: int | None = None) -> int:
    """Assemble and run a case, returning r0; raises the VM's errors unchanged."""
    program = assemble_case(case)
    return run(
        program,
        memory=case.memory,
        helpers=conformance_helpers(),
        budget=budget if budget is not None else DEFAULT_BUDGET,
    ).r0


__all__ = [
    "UNWIND_HELPER",
    "ConformanceCase",
    "assemble_case",
    "conformance_helpers",
    "load_case",
    "parse_case",
    "run_case",
]
