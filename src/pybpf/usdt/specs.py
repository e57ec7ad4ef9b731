"""The spec table shared with ``usdt.bpf.h``: byte layouts of ``struct pybpf_usdt_spec``.

The BPF side evaluates arguments from these records, so the layout here and the C structs in
``bpf/usdt.bpf.h`` must agree byte for byte (the tests compile the header and compare sizes).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from .args import MAX_ARGS, UsdtArg, UsdtArgError

# struct pybpf_usdt_arg_spec: u64 val_off, u32 kind, s16 reg_off, u8 is_signed, u8 shift.
ARG_SPEC = struct.Struct("<QIhBB")
# struct pybpf_usdt_spec: args[MAX_ARGS], u64 cookie, s16 arg_cnt, padded to 8 bytes.
SPEC_TAIL = struct.Struct("<Qh6x")
SPEC_SIZE = ARG_SPEC.size * MAX_ARGS + SPEC_TAIL.size

SPEC_MAP_NAME = "pybpf_usdt_spec"
IP_MAP_NAME = "pybpf_usdt_ip"


def encode_arg(arg: UsdtArg) -> bytes:
    # Constants and displacements travel as the two's complement u64 the BPF side adds.
    return ARG_SPEC.pack(
        arg.value & 0xFFFFFFFFFFFFFFFF, int(arg.kind), arg.reg_offset, int(arg.signed), arg.shift
    )


def encode_spec(args: Sequence[UsdtArg], cookie: int = 0) -> bytes:
    """The map value for one probe site: its decoded arguments and the user's cookie."""
    if len(args) > MAX_ARGS:
        raise UsdtArgError(f"USDT probe has {len(args)} arguments; at most {MAX_ARGS} are supported")
    body = b"".join(encode_arg(arg) for arg in args)
    body += bytes(ARG_SPEC.size * (MAX_ARGS - len(args)))
    return body + SPEC_TAIL.pack(cookie & 0xFFFFFFFFFFFFFFFF, len(args))


__all__ = ["ARG_SPEC", "IP_MAP_NAME", "SPEC_MAP_NAME", "SPEC_SIZE", "encode_arg", "encode_spec"]
