"""Shared by the VM runtime tests: compiled test objects and sample packets."""

from __future__ import annotations

import functools
import struct
import tempfile
from pathlib import Path

from pybpf.spec import ObjectSpec
from testlib import EXAMPLES, compile_bpf, require_ziglang

DATA = Path(__file__).resolve().parent / "data"
_BUILD = Path(tempfile.mkdtemp(prefix="pybpf-vm-runtime-"))


@functools.cache
def _compiled(source: Path) -> Path:
    return compile_bpf(source, _BUILD / (source.name.removesuffix(".c") + ".o"))


def compiled_spec(source: Path) -> ObjectSpec:
    """A fresh spec of ``source`` (compiled once per session); skips without a compiler."""
    require_ziglang()
    return ObjectSpec.from_file(_compiled(source))


def runtime_spec() -> ObjectSpec:
    return compiled_spec(DATA / "vm_runtime.bpf.c")


def example_spec(name: str) -> ObjectSpec:
    return compiled_spec(EXAMPLES / f"{name}.bpf.c")


def ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_packet(payload: bytes = b"", *, ttl: int = 64, proto: int = 17, ethertype: int = 0x0800) -> bytes:
    """Ethernet + IPv4 (valid checksum) + an 8-byte L4 header + ``payload``."""
    total = 20 + 8 + len(payload)
    header = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, ttl, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
        )
    )
    struct.pack_into("!H", header, 10, ipv4_checksum(bytes(header)))
    l4 = bytearray(struct.pack("!HHHH", 1234, 53, 8 + len(payload), 0))
    if proto == 17:  # a real UDP checksum, so checksum helpers have something to keep right
        pseudo = bytes(header[12:20]) + struct.pack("!BBH", 0, 17, 8 + len(payload))
        padded = pseudo + bytes(l4) + payload + b"\0" * (len(payload) % 2)
        struct.pack_into("!H", l4, 6, ipv4_checksum(padded) or 0xFFFF)
    eth = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]) + ethertype.to_bytes(2, "big")
    return eth + bytes(header) + bytes(l4) + payload
