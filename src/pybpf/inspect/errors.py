"""Errors of the inspection commands, derived from the one pybpf hierarchy."""

from __future__ import annotations

from pybpf.errors import Error


class InspectError(Error):
    """An inspection request that cannot be carried out (bad arguments, missing object)."""


class SelectorError(InspectError):
    """A ``PROG``/``MAP`` selector (``id N``, ``pinned P``, ``name N``, ``tag T``) that is malformed
    or matches nothing."""


class ValueFormatError(InspectError):
    """Key or value bytes given on the command line that do not fit the map."""


__all__ = ["InspectError", "SelectorError", "ValueFormatError"]
