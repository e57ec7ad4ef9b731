"""``Object``: the live programs and maps of one loaded spec, owning every fd."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from ..kernel import FD
from .maps import Map
from .programs import Program

if TYPE_CHECKING:
    from ..run.autoattach import AttachReport
    from ..spec import ObjectSpec


class Object:
    """Programs and maps by name.  ``close()`` (or leaving ``with``) releases them all.

    Pinned maps and programs survive ``close()``: the pin holds its own reference.
    """

    def __init__(
        self,
        spec: ObjectSpec,
        *,
        programs: dict[str, Program] | None = None,
        maps: dict[str, Map] | None = None,
        btf_fd: FD | None = None,
    ) -> None:
        self.spec = spec
        self.programs: dict[str, Program] = programs if programs is not None else {}
        self.maps: dict[str, Map] = maps if maps is not None else {}
        self.btf_fd = btf_fd
        self._attachments: list[AttachReport] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every fd; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for report in self._attachments:
            report.close()  # links first: they hold the programs
        for prog in self.programs.values():
            prog.close()
        for m in self.maps.values():
            m.close()
        if self.btf_fd is not None:
            self.btf_fd.close()

    def attach_all(self) -> AttachReport:
        """Attach every auto-attachable program by its ``SEC()`` name.

        What this kernel cannot attach (no kprobes, no fentry, a section that needs a target such
        as an interface) is listed in the report's ``skipped`` with the reason, not raised.  The
        links detach when the report or this object closes.
        """
        from ..run.autoattach import attach_all

        report = attach_all(self)
        self._attachments.append(report)
        return report

    def __enter__(self) -> Object:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Object {self.spec.path or '<bytes>'}: {len(self.programs)} programs, {len(self.maps)} maps{state}>"


__all__ = ["Object"]
