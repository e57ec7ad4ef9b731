"""The probe-site table shared with ``usdt.bpf.h``: byte layouts of ``struct pybpf_usdt_site``.

The BPF side evaluates arguments from these records, so the layout here and the C structs in
``bpf/usdt.bpf.h`` must agree byte for byte (the tests compile the header and compare sizes).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from .args import MAX_ARGS, UsdtArg, UsdtArgError

# struct pybpf_usdt_arg: u64 addend, u16 pt_regs_off, u8 kind, u8 size, u8 is_signed, 3 reserved.
ARG = struct.Struct("<QHBBB3x")
# struct pybpf_usdt_site: u64 cookie, u32 nargs, u32 reserved, then args[MAX_ARGS].
SITE_HEAD = struct.Struct("<QI4x")
SITE_SIZE = SITE_HEAD.size + ARG.size * MAX_ARGS

SPEC_MAP_NAME = "pybpf_usdt_spec"
IP_MAP_NAME = "pybpf_usdt_ip"


def encode_arg(arg: UsdtArg) -> bytes:
    # Constants and displacements travel as the two's complement u64 the BPF side adds.
    return ARG.pack(arg.value & 0xFFFFFFFFFFFFFFFF, arg.reg_offset, int(arg.kind), arg.size, int(arg.signed))


def encode_site(args: Sequence[UsdtArg], cookie: int = 0) -> bytes:
    """The map value for one probe site: the user's cookie and the site's decoded arguments."""
    if len(args) > MAX_ARGS:
        raise UsdtArgError(f"USDT probe has {len(args)} arguments; at most {MAX_ARGS} are supported")
    head = SITE_HEAD.pack(cookie & 0xFFFFFFFFFFFFFFFF, len(args))
    body = b"".join(encode_arg(arg) for arg in args)
    return head + body + bytes(ARG.size * (MAX_ARGS - len(args)))


__all__ = ["ARG", "IP_MAP_NAME", "SITE_HEAD", "SITE_SIZE", "SPEC_MAP_NAME", "encode_arg", "encode_site"]
