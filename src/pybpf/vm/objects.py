"""``Object``: the programs and maps of a spec loaded into the VM (the kernel runtime's API)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from .host import Host, TracePipe
from .maps import Map
from .program import Program

if TYPE_CHECKING:
    from ..spec import ObjectSpec


class Object:
    """Programs and maps by name, plus the VM's own extras: ``host`` (clock, CPU, task) and
    ``trace_pipe`` (what ``bpf_printk`` wrote)."""

    def __init__(self, spec: ObjectSpec, host: Host) -> None:
        self.spec = spec
        self.host = host
        self.programs: dict[str, Program] = {}
        self.maps: dict[str, Map] = {}
        self.btf_fd = None
        self._closed = False

    @property
    def trace_pipe(self) -> TracePipe:
        return self.host.trace_pipe

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release programs and maps; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for prog in self.programs.values():
            prog.close()
        for m in self.maps.values():
            m.close()

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
        return (
            f"<VM Object {self.spec.path or '<bytes>'}: {len(self.programs)} programs, "
            f"{len(self.maps)} maps{state}>"
        )


__all__ = ["Object"]
