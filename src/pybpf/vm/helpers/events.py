"""Ring buffer and perf event output helpers."""

from __future__ import annotations

import errno as _errno

from ..errors import VMFault
from ..host import Host
from ..interpreter import Machine
from ..maps import MapOpError, PerfEventArrayStorage, RingBufStorage
from .common import Helper, map_arg, neg


def helpers(host: Host) -> dict[str, Helper]:
    def ring(handle: int, name: str) -> RingBufStorage:
        storage = map_arg(host, handle, name)
        if not isinstance(storage, RingBufStorage):
            raise VMFault(f"{name}: map {storage.name!r} is not a ring buffer")
        return storage

    def output(vm: Machine, m: int, data: int, size: int, flags: int, r5: int) -> int:
        storage = ring(m, "bpf_ringbuf_output")
        try:
            storage.output(vm.memory.read_bytes(data, size), flags)
        except MapOpError as exc:
            return neg(exc.errno)
        return 0

    def reserve(vm: Machine, m: int, size: int, flags: int, r4: int, r5: int) -> int:
        if flags:
            return 0
        return ring(m, "bpf_ringbuf_reserve").reserve(size & 0xFFFFFFFF)

    def committer(name: str, discard: bool) -> Helper:
        def commit(vm: Machine, record: int, flags: int, r3: int, r4: int, r5: int) -> int:
            for storage in host.maps.values():
                if isinstance(storage, RingBufStorage) and record in storage.by_address:
                    storage.commit(record, flags, discard=discard)
                    return 0
            raise VMFault(f"{name}: {record:#x} is not a reserved ring buffer record")

        return commit

    def query(vm: Machine, m: int, what: int, r3: int, r4: int, r5: int) -> int:
        return ring(m, "bpf_ringbuf_query").query(what)

    def perf_output(vm: Machine, ctx: int, m: int, flags: int, data: int, size: int) -> int:
        storage = map_arg(host, m, "bpf_perf_event_output")
        if not isinstance(storage, PerfEventArrayStorage):
            return neg(_errno.EINVAL)
        try:
            storage.output(vm.memory.read_bytes(data, size), flags)
        except MapOpError as exc:
            return neg(exc.errno)
        return 0

    return {
        "ringbuf_output": output,
        "ringbuf_reserve": reserve,
        "ringbuf_submit": committer("bpf_ringbuf_submit", False),
        "ringbuf_discard": committer("bpf_ringbuf_discard", True),
        "ringbuf_query": query,
        "perf_event_output": perf_output,
    }


__all__ = ["helpers"]
