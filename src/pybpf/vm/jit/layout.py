"""The contract between generated native code and the Python side of the JIT.

Native code and Python share two flat arrays of 64-bit words: the *environment* of one run
(counters, status, fault details, callback) and the *region table* (one row per address-space
slot: buffer address, accessible bounds, permission flags).  Both sides index them with the
constants below, so the layout is defined once; changing a number here changes both sides.
"""

from __future__ import annotations

from ..._enum import KernelIntEnum

# -- environment words -------------------------------------------------------------------------
ENV_TABLE = 0  #: address of the region table
ENV_SLOTS = 1  #: number of rows in the region table
ENV_COUNT = 2  #: instructions executed (up to date at calls, exits and faults)
ENV_MAY_GOTO = 3  #: may_goto iterations left
ENV_STATUS = 4  #: a :class:`Status`; non-zero unwinds every native frame
ENV_FAULT_SLOT = 5  #: instruction slot that stopped the run
ENV_FAULT_ADDRESS = 6
ENV_FAULT_SIZE = 7
ENV_FAULT_WRITE = 8  #: 1 when the refused access was a write
ENV_EXIT_R0 = 9  #: r0 of a program ended early (:class:`~pybpf.vm.ExitProgram`, LD_ABS)
ENV_PACKET = 10  #: address of the buffer LD_ABS/LD_IND read
ENV_PACKET_LEN = 11
ENV_CALLBACK = 12  #: address of the helper callback
ENV_FRAME0 = 13  #: region-table row of the depth-0 stack frame; deeper frames follow it
ENV_READER = 14  #: address of the callback computing loads of regions with a Python reader
ENV_SCRATCH = 15  #: where that callback leaves the 64-bit value it computed
ENV_WORDS = 16

# -- region table rows -------------------------------------------------------------------------
ROW_WORDS = 4
ROW_BASE = 0  #: address of the region's buffer (0 for an empty one)
ROW_LO = 1  #: first accessible offset
ROW_HI = 2  #: one past the last accessible offset (0 for an inactive stack frame)
ROW_FLAGS = 3

FLAG_WRITABLE = 1
FLAG_STRICT_ALIGNMENT = 2
FLAG_READER = 4  #: loads are computed in Python (:attr:`pybpf.vm.Region.reader`)


class Status(KernelIntEnum):
    """Why native code returned to Python; anything but OK means r0 is meaningless."""

    OK = 0
    MEMORY_FAULT = 1
    BUDGET = 2
    CALL_DEPTH = 3
    HELPER_ERROR = 4  #: the callback caught an exception; Python holds it
    EXIT = 5  #: the program ended early with ``ENV_EXIT_R0``


__all__ = [
    "ENV_CALLBACK",
    "ENV_COUNT",
    "ENV_EXIT_R0",
    "ENV_FAULT_ADDRESS",
    "ENV_FAULT_SIZE",
    "ENV_FAULT_SLOT",
    "ENV_FAULT_WRITE",
    "ENV_FRAME0",
    "ENV_MAY_GOTO",
    "ENV_PACKET",
    "ENV_PACKET_LEN",
    "ENV_READER",
    "ENV_SCRATCH",
    "ENV_SLOTS",
    "ENV_STATUS",
    "ENV_TABLE",
    "ENV_WORDS",
    "FLAG_READER",
    "FLAG_STRICT_ALIGNMENT",
    "FLAG_WRITABLE",
    "ROW_BASE",
    "ROW_FLAGS",
    "ROW_HI",
    "ROW_LO",
    "ROW_WORDS",
    "Status",
]
