"""Errors of the CO-RE engine.

A relocation that cannot be *computed* (malformed access string, instruction of the wrong shape,
candidates that disagree) fails the whole load, as in libbpf: patching anyway would hand the
verifier a program whose meaning nobody can vouch for.  A relocation that is merely
*unsatisfiable* on this target is not an error at all; it poisons its instruction instead.
"""

from __future__ import annotations

from ...errors import Error


class CoreError(Error):
    """A CO-RE relocation that cannot be applied; names the record and, when known, the program."""

    def __init__(self, message: str, *, relo_index: int | None = None, insn: int | None = None) -> None:
        where = []
        if relo_index is not None:
            where.append(f"relo #{relo_index}")
        if insn is not None:
            where.append(f"insn #{insn}")
        text = f"CO-RE {', '.join(where)}: {message}" if where else f"CO-RE: {message}"
        super().__init__(text)
        self.reason = message
        self.relo_index = relo_index
        self.insn = insn


class CoreAmbiguity(CoreError):
    """Several target types match the local one but give different answers."""


__all__ = ["CoreAmbiguity", "CoreError"]
