"""``Object``: the programs and maps of a spec loaded into the VM (the kernel runtime's API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from ..errors import NotSupported
from ..runtime.model import ObjectBase
from .host import Host, TracePipe
from .maps import Map
from .program import Program

if TYPE_CHECKING:
    from ..spec import ObjectSpec


class Object(ObjectBase[Program, Map]):
    """Programs and maps by name, plus the VM's own extras: ``host`` (clock, CPU, task) and
    ``trace_pipe`` (what ``bpf_printk`` wrote)."""

    _label = "VM Object"

    def __init__(self, spec: ObjectSpec, host: Host) -> None:
        super().__init__(spec)
        self.host = host

    @property
    def trace_pipe(self) -> TracePipe:
        return self.host.trace_pipe

    def attach_all(self) -> NoReturn:
        """Refused: attaching hooks programs into the kernel, and VM programs never reach it.

        Call ``test_run`` on the programs instead (or load with ``runtime="kernel"``).
        """
        raise NotSupported(
            "VM programs cannot be attached (attaching needs the kernel): "
            "run them with Program.test_run, or load with runtime='kernel'"
        )


__all__ = ["Object"]
