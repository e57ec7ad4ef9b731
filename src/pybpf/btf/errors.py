"""Errors of the BTF package, all rooted in :class:`pybpf.errors.BTFError`."""

from __future__ import annotations

from ..errors import BTFError, Error


class TypeNotFound(BTFError, KeyError):
    """No type with that id or name.  Also a ``KeyError`` so ``btf[id]`` behaves like a mapping."""

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message; keep the readable text.
        return self.message




class CodecError(Error, ValueError):
    """A value that does not fit its BTF type (wrong size, out of range, unknown field)."""


__all__ = ["BTFError", "CodecError", "TypeNotFound"]
