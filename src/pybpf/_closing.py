"""``Closing``: the ``with`` protocol for everything that owns a resource and has ``close()``.

Fds, links, readers, objects and maps all release something in ``close()``; this mixin is the one
place that says leaving a ``with`` block closes.  ``__enter__`` returns ``Self`` so that
``with Map.from_pin(p) as m:`` keeps ``m`` typed as the subclass.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self


class Closing:
    """Mixin: ``with x:`` closes ``x`` on the way out, whatever happened inside."""

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["Closing"]
