"""Helpers shared by the loader tests (test modules cannot import conftest files)."""

from __future__ import annotations

import struct
from pathlib import Path

from testlib import EXAMPLES

__all__ = ["EXAMPLES"]

DATA = Path(__file__).resolve().parent / "data"

#: sizeof(struct __sk_buff) and the offsets test contexts use (uapi linux/bpf.h).
SKB_SIZE = 192
SKB_MARK = 8
SKB_CB0 = 48

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD


def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes = b"") -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(protocol: int, payload: bytes = b"") -> bytes:
    """A minimal IPv4 header (no options, checksum left 0) followed by ``payload``."""
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, protocol, 0, bytes(4), bytes(4)) + payload


def skb_ctx(*, cb0: int = 0, mark: int = 0) -> bytes:
    """A ``struct __sk_buff`` for test_run input with ``cb[0]`` and ``mark`` set."""
    ctx = bytearray(SKB_SIZE)
    struct.pack_into("<I", ctx, SKB_MARK, mark)
    struct.pack_into("<I", ctx, SKB_CB0, cb0)
    return bytes(ctx)
