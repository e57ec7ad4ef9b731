"""``bpf_tail_call``: the current program ends and the one in the prog array slot takes over.

The helper only records which program comes next and stops the run; the runtime starts that
program on the same context (up to the kernel's limit of 33 tail calls per run).  An empty slot
makes the helper return and the program continue, as in the kernel.
"""

from __future__ import annotations

import errno as _errno

from ..errors import ExitProgram, VMFault
from ..host import Host
from ..interpreter import Machine
from ..maps import SlotStorage
from .common import Helper, map_arg, neg

MAX_TAIL_CALLS = 33


def helpers(host: Host) -> dict[str, Helper]:
    def tail_call(vm: Machine, ctx: int, m: int, index: int, r4: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_tail_call")
        if not isinstance(storage, SlotStorage):
            raise VMFault(f"bpf_tail_call: map {storage.name!r} is not a prog array")
        ident = storage.get((index & 0xFFFFFFFF).to_bytes(storage.key_size, "little"))
        if not ident or ident not in host.programs or host.tail_calls >= MAX_TAIL_CALLS:
            return neg(_errno.ENOENT)
        host.tail_call = ident
        host.tail_calls += 1
        raise ExitProgram(0)

    return {"tail_call": tail_call}


__all__ = ["MAX_TAIL_CALLS", "helpers"]
