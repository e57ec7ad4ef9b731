"""``bpf_spin_lock``/``bpf_spin_unlock`` for a VM that runs one program at a time.

There is nothing to exclude, so the value of the helpers is in refusing what the kernel's
verifier refuses, caught here at run time instead of at load time:

* the lock must lie in a map value (``struct bpf_spin_lock`` is only valid there) and be
  4-byte aligned;
* one lock at a time: taking a lock while holding one is a fault (the kernel would deadlock
  on the same lock and the verifier rejects the second lock in any case);
* unlocking a lock that is not the one held is a fault;
* calling any other helper while holding the lock is a fault (the verifier allows only
  ``bpf_spin_unlock`` inside the critical section);
* ending the program (or tail-calling) with the lock held is a fault, raised by the VM
  program's run (:meth:`Host.check_unlocked`), and the lock is released so the next run
  starts clean.

Not checked: BPF-to-BPF calls inside the critical section and the verifier's rule that
the lock and unlock name the same map value *statically*.  While held, the lock word reads
as 1 (as a taken kernel spinlock is non-zero); it is 0 again after the unlock.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...isa.helpers import HELPER_NAMES
from ..errors import VMFault
from ..host import Host
from ..interpreter import Machine
from ..memory import OFFSET_MASK, RegionKind
from .common import Helper

SPIN_LOCK_SIZE = 4


def _lock_word(vm: Machine, lock: int, helper: str) -> None:
    region = vm.memory.region_of(lock)
    if region is None or region.kind is not RegionKind.MAP_VALUE:
        raise VMFault(f"{helper}: {lock:#x} is not in a map value", address=lock, size=SPIN_LOCK_SIZE)
    if (lock & OFFSET_MASK) % SPIN_LOCK_SIZE:
        raise VMFault(
            f"{helper}: lock at {lock:#x} is not 4-byte aligned",
            address=lock,
            size=SPIN_LOCK_SIZE,
            region=region.name,
        )


def helpers(host: Host) -> dict[str, Helper]:
    def spin_lock(vm: Machine, lock: int, r2: int, r3: int, r4: int, r5: int) -> int:
        _lock_word(vm, lock, "bpf_spin_lock")
        if host.held_lock is not None:
            again = "the same lock" if host.held_lock == lock else f"a lock at {host.held_lock:#x}"
            raise VMFault(f"bpf_spin_lock at {lock:#x} while holding {again}", address=lock)
        vm.memory.store(lock, SPIN_LOCK_SIZE, 1)
        host.held_lock = lock
        return 0

    def spin_unlock(vm: Machine, lock: int, r2: int, r3: int, r4: int, r5: int) -> int:
        _lock_word(vm, lock, "bpf_spin_unlock")
        if host.held_lock != lock:
            held = "no lock is held" if host.held_lock is None else f"the lock held is at {host.held_lock:#x}"
            raise VMFault(f"bpf_spin_unlock of {lock:#x}, but {held}", address=lock)
        vm.memory.store(lock, SPIN_LOCK_SIZE, 0)
        host.held_lock = None
        return 0

    return {"spin_lock": spin_lock, "spin_unlock": spin_unlock}


def guarded(host: Host, table: Mapping[int, Helper], exempt: frozenset[int]) -> dict[int, Helper]:
    """``table`` with every helper but ``exempt`` (the lock helpers, which say more precisely
    what is wrong) refusing to run while a lock is held."""

    def guard(helper: Helper, ident: int) -> Helper:
        name = HELPER_NAMES.get(ident, f"helper #{ident}")

        def call(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
            if host.held_lock is not None:
                raise VMFault(f"{name} called while holding bpf_spin_lock at {host.held_lock:#x}")
            return helper(vm, r1, r2, r3, r4, r5)

        return call

    return {ident: helper if ident in exempt else guard(helper, ident) for ident, helper in table.items()}


__all__ = ["SPIN_LOCK_SIZE", "guarded", "helpers"]
