"""Errors of loading an object: each names the program or map it is about.

A bare ``EINVAL`` from deep inside a load of twenty maps and programs is useless; these carry the
name of the object part that failed so the message alone tells the user where to look.
"""

from __future__ import annotations

from ..errors import Error
from ..kernel.errors import VerifierError


class LoadError(Error):
    """Loading an :class:`~pybpf.spec.ObjectSpec` failed for a reason other than the verifier."""


class PinMismatch(LoadError):
    """A map pinned under the pin path differs from the object's definition of it."""

    def __init__(self, name: str, path: str, differences: list[str]) -> None:
        joined = "; ".join(differences)
        super().__init__(f"map {name!r} pinned at {path} is incompatible: {joined}")
        self.name = name
        self.path = path
        self.differences = differences


class ExternError(LoadError):
    """A ``__kconfig`` or ``__ksym`` extern the running kernel cannot provide."""


class ProgramVerifierError(VerifierError):
    """The verifier rejected one program of an object: says which one and the failing C line."""

    def __init__(self, program: str, section: str, *, errno: int, log: str, truncated: bool = False) -> None:
        super().__init__(
            f"the verifier rejected program {program!r} (section {section!r})",
            errno=errno,
            log=log,
            truncated=truncated,
        )
        self.program = program
        self.section = section
        #: Which CO-RE relocation left the failing instruction unresolved, when that is the cause.
        self.core_explanation: str | None = None


__all__ = ["ExternError", "LoadError", "PinMismatch", "ProgramVerifierError"]
