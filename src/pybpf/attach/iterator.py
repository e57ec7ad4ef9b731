"""BPF iterators: a link to an iterator target, and instances that run the program when read.

Each ``iter_create`` gives a fresh seq file; reading it to the end runs the program over every
object of the target (tasks, maps, map elements...) and yields what it wrote with seq_printf.
"""

from __future__ import annotations

import os
import struct

from pybpf.enums import AttachType
from pybpf.kernel.fd import FD
from pybpf.kernel.links import iter_create, link_create

from .link import FdSource, Link, fd_of


class IterLink(Link):
    """A link of an iterator program; :meth:`read` runs one pass and returns its output."""

    def open(self) -> FD:
        """A new iterator instance: read the fd to run the program."""
        return iter_create(self.fd)

    def read(self, chunk: int = 65536) -> bytes:
        """Run the iterator once, to the end, and return everything it printed."""
        with self.open() as instance:
            parts: list[bytes] = []
            while True:
                data = os.read(instance.raw, chunk)
                if not data:
                    return b"".join(parts)
                parts.append(data)


def attach_iter(prog: FdSource, *, map_fd: FdSource | None = None, target: str = "") -> IterLink:
    """Attach an iterator program (loaded with the ``bpf_iter_<target>`` attach_btf_id).

    ``map_fd`` selects the map for map-element iterators (``iter/bpf_map_elem``).
    """
    info = struct.pack("=I", fd_of(map_fd)) if map_fd is not None else None
    fd = link_create(fd_of(prog), 0, AttachType.TRACE_ITER, iter_info=info)
    return IterLink(f"iter {target}".strip(), bpf_links=[fd])


__all__ = ["IterLink", "attach_iter"]
