"""Errors of the userspace VM.

Two moments can go wrong: *preparation* (the program is malformed or asks for something the VM
was not given, such as an unknown helper) and *execution* (the program touched memory it does not
own or ran too long).  They are different classes because a caller loading a program wants to
tell a bad program from a bad run, exactly as with the kernel's verifier versus a runtime fault.
"""

from __future__ import annotations

from ..errors import Error


class VMError(Error):
    """Root of the errors raised by :mod:`pybpf.vm`."""


class ProgramRejected(VMError):
    """The program cannot be prepared; ``index`` is the offending instruction slot, if any."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        text = f"instruction {index}: {message}" if index is not None else message
        super().__init__(text)
        self.reason = message
        self.index = index


class VMFault(VMError):
    """The program stopped with a fault while running.

    ``index`` is the instruction slot that faulted; for memory faults ``address`` and ``size``
    say what was accessed and ``region`` names the nearest memory region, because "address
    0x100000010 out of bounds" means nothing until you know it is 16 bytes past the stack.
    ``source`` is the C line of that instruction (``file:line: text``) when the program came
    with line info, since the line is what the author of a compiled program recognises.
    """

    def __init__(
        self,
        message: str,
        *,
        index: int | None = None,
        address: int | None = None,
        size: int | None = None,
        region: str | None = None,
        source: str | None = None,
    ) -> None:
        where = f"instruction {index}" if index is not None else ""
        if source:
            where = f"{where} ({source})" if where else source
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message
        self.index = index
        self.address = address
        self.size = size
        self.region = region
        self.source = source

    def with_source(self, source: str | None) -> VMFault:
        """The same fault naming ``source`` as its line (``self`` when there is none)."""
        if not source or self.source:
            return self
        return VMFault(
            self.reason,
            index=self.index,
            address=self.address,
            size=self.size,
            region=self.region,
            source=source,
        )


class ExitProgram(Exception):
    """Raised by a helper (or the VM itself) to end the whole program at once with ``r0``.

    The kernel ends a program this way when a legacy packet load is out of bounds; uBPF-style
    "unwind" helpers do the same.  It is deliberately not a :class:`pybpf.Error`.
    """

    def __init__(self, r0: int = 0) -> None:
        super().__init__(r0)
        self.r0 = r0


__all__ = ["ExitProgram", "ProgramRejected", "VMError", "VMFault"]
