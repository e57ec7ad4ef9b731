"""Map helpers: lookup/update/delete, queue and stack access, iteration callbacks."""

from __future__ import annotations

import errno as _errno

from ..host import Host
from ..interpreter import Machine
from ..maps import MapOpError
from ..memory import RegionKind
from .common import Helper, map_arg, neg

#: bpf_loop refuses more iterations than this (kernel BPF_MAX_LOOPS).
MAX_LOOPS = 1 << 23


def helpers(host: Host) -> dict[str, Helper]:
    def lookup(vm: Machine, m: int, key: int, r3: int, r4: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_map_lookup_elem")
        if storage.keyless:
            return 0
        return storage.lookup(vm.memory.read_bytes(key, storage.key_size))

    def lookup_percpu(vm: Machine, m: int, key: int, cpu: int, r4: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_map_lookup_percpu_elem")
        if not storage.percpu or cpu >= host.cpus:
            return 0
        saved, host.cpu = host.cpu, cpu
        try:
            return storage.lookup(vm.memory.read_bytes(key, storage.key_size))
        finally:
            host.cpu = saved

    def update(vm: Machine, m: int, key: int, value: int, flags: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_map_update_elem")
        raw_key = vm.memory.read_bytes(key, storage.key_size) if not storage.keyless else b""
        try:
            storage.update(raw_key, vm.memory.read_bytes(value, storage.value_size), flags, from_program=True)
        except MapOpError as exc:
            return neg(exc.errno)
        return 0

    def delete(vm: Machine, m: int, key: int, r3: int, r4: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_map_delete_elem")
        try:
            storage.delete(vm.memory.read_bytes(key, storage.key_size))
        except MapOpError as exc:
            return neg(exc.errno)
        return 0

    def push(vm: Machine, m: int, value: int, flags: int, r4: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_map_push_elem")
        try:
            storage.push(vm.memory.read_bytes(value, storage.value_size), flags)
        except MapOpError as exc:
            return neg(exc.errno)
        return 0

    def taker(name: str, remove: bool) -> Helper:
        def take(vm: Machine, m: int, value: int, r3: int, r4: int, r5: int) -> int:
            storage = map_arg(host, m, name)
            try:
                data = storage.pop() if remove else storage.peek()
            except MapOpError as exc:
                return neg(exc.errno)
            vm.memory.write_bytes(value, data)
            return 0

        return take

    def for_each(vm: Machine, m: int, callback: int, ctx: int, flags: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_for_each_map_elem")
        if flags:
            return neg(_errno.EINVAL)
        visited = 0
        for key in list(storage.keys()):
            value = storage.lookup(key)
            if not value:
                continue
            key_region = vm.memory.add("for_each key", RegionKind.MAP_VALUE, key, writable=False)
            try:
                visited += 1
                if vm.call(callback, m, key_region.base, value, ctx):
                    break
            finally:
                vm.memory.remove(key_region)
        return visited

    def loop(vm: Machine, count: int, callback: int, ctx: int, flags: int, r5: int) -> int:
        if flags:
            return neg(_errno.EINVAL)
        count &= 0xFFFFFFFF
        if count > MAX_LOOPS:
            return neg(_errno.E2BIG)
        for index in range(count):
            if vm.call(callback, index, ctx):
                return index + 1
        return count

    return {
        "map_lookup_elem": lookup,
        "map_lookup_percpu_elem": lookup_percpu,
        "map_update_elem": update,
        "map_delete_elem": delete,
        "map_push_elem": push,
        "map_pop_elem": taker("bpf_map_pop_elem", True),
        "map_peek_elem": taker("bpf_map_peek_elem", False),
        "for_each_map_elem": for_each,
        "loop": loop,
    }


__all__ = ["MAX_LOOPS", "helpers"]
