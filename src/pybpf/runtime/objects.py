"""``Object``: the live programs and maps of one loaded spec, owning every fd."""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from ..kernel import FD, KernelError, map_delete
from .maps import Map
from .model import ObjectBase
from .programs import Program

if TYPE_CHECKING:
    from ..run.autoattach import AttachReport
    from ..spec import ObjectSpec


class Object(ObjectBase[Program, Map]):
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
        super().__init__(spec, programs=programs, maps=maps, btf_fd=btf_fd)
        self._attachments: list[AttachReport] = []
        self.registered_struct_ops: list[Map] = []

    def _release(self) -> None:
        for report in self._attachments:
            report.close()  # links first: they hold the programs
        for ops in self.registered_struct_ops:
            try:
                map_delete(ops.fd, bytes(4))  # unregister; gone already if a link did it
            except KernelError:
                pass
        super()._release()

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


__all__ = ["Object"]
