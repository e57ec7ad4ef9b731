"""The single exception hierarchy of pybpf.

Every error the library raises on purpose derives from :class:`Error`, so callers can catch one
type.  Parsers add *where* the input was bad (section and byte offset) because a user staring at a
broken object needs to know which part to look at, not just that something failed.
"""

from __future__ import annotations


class Error(Exception):
    """Root of every pybpf error.  ``errno`` is kept when the error came from the kernel."""

    errno: int | None = None

    def __init__(self, message: str, *, errno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if errno is not None:
            self.errno = errno


class ParseError(Error):
    """Malformed input: names the section (or structure) and the byte offset where it went wrong."""

    def __init__(self, message: str, *, section: str | None = None, offset: int | None = None) -> None:
        where = []
        if section is not None:
            where.append(f"section {section!r}")
        if offset is not None:
            where.append(f"offset {offset:#x}")
        text = f"{', '.join(where)}: {message}" if where else message
        super().__init__(text)
        self.reason = message
        self.section = section
        self.offset = offset


class ELFError(ParseError):
    """The ELF object is malformed or uses something a BPF object may not."""


class BTFError(ParseError):
    """The BTF or BTF.ext data is malformed or refers to types that do not exist."""


class InvalidInstruction(ParseError):
    """Bytes that do not decode to a valid eBPF instruction."""


class AssemblerError(Error):
    """Assembly text that does not parse; carries the 1-based line number."""

    def __init__(self, message: str, *, line: int | None = None, text: str | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        shown = f" in {text.strip()!r}" if text else ""
        super().__init__(f"{where}{message}{shown}")
        self.line = line
        self.text = text


class ToolNotFound(Error):
    """A needed external program (compiler, disassembler) is not available."""


class CompileError(Error):
    """The C compiler rejected a BPF source file; ``output`` is what the compiler printed."""

    def __init__(self, message: str, *, output: str = "", command: list[str] | None = None) -> None:
        super().__init__(f"{message}\n{output}".rstrip())
        self.output = output
        self.command = command or []


class NotSupported(Error):
    """A feature this build, runtime or kernel does not offer; the message says what is missing."""


__all__ = [
    "AssemblerError",
    "BTFError",
    "CompileError",
    "ELFError",
    "Error",
    "InvalidInstruction",
    "NotSupported",
    "ParseError",
    "ToolNotFound",
]
