"""``bpf_spin_lock``: the verifier's lock rules, enforced at run time by the VM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faults_support import ENGINES, faults_object

from pybpf.vm import VMFault
from pybpf.vm.objects import Object

KEY = bytes(4)


@pytest.fixture(params=ENGINES)
def obj(request: pytest.FixtureRequest) -> Iterator[Object]:
    loaded = faults_object(request.param)
    yield loaded
    loaded.close()


def _run(obj: Object, program: str) -> int:
    return obj.programs[program].test_run(bytes(60)).retval


def _value(obj: Object) -> tuple[int, int]:
    raw = obj.maps["counters"].get_raw(KEY)
    return int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:8], "little")


def test_lock_word_reads_as_taken_inside_the_critical_section(obj: Object) -> None:
    assert _run(obj, "lock_and_count") == 1


def test_lock_word_is_released_and_the_update_kept_after_the_program(obj: Object) -> None:
    _run(obj, "lock_and_count")
    _run(obj, "lock_and_count")
    assert _value(obj) == (0, 2)


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("lock_twice", "bpf_spin_lock at 0x[0-9a-f]+ while holding the same lock"),
        ("unlock_unlocked", "bpf_spin_unlock of 0x[0-9a-f]+, but no lock is held"),
        ("exit_locked", "the program ended holding bpf_spin_lock"),
        ("helper_while_locked", "bpf_ktime_get_ns called while holding bpf_spin_lock"),
    ],
)
def test_lock_misuse_the_verifier_would_reject_faults(obj: Object, program: str, message: str) -> None:
    with pytest.raises(VMFault, match=message):
        _run(obj, program)


@pytest.mark.parametrize("program", ["lock_twice", "exit_locked", "helper_while_locked"])
def test_a_run_that_faulted_holding_the_lock_leaves_it_free(obj: Object, program: str) -> None:
    with pytest.raises(VMFault):
        _run(obj, program)
    assert _run(obj, "lock_and_count") == 1
    assert _value(obj)[0] == 0


def test_locking_memory_outside_a_map_value_faults() -> None:
    from pybpf.isa import constructors as c
    from pybpf.isa.opcodes import AluOp
    from pybpf.vm.helpers import helper_table
    from pybpf.vm.host import Host
    from pybpf.vm.interpreter import run

    program = [
        c.mov64_reg(1, 10),
        c.alu64_imm(AluOp.ADD, 1, -8),
        c.call_helper("bpf_spin_lock"),
        c.exit(),
    ]
    with pytest.raises(VMFault, match="is not in a map value"):
        run(program, helpers=helper_table(Host()))
