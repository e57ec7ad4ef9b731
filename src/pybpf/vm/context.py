"""Program contexts as ``BPF_PROG_TEST_RUN`` builds them: ``xdp_md``, ``__sk_buff``, raw bytes.

The kernel's verifier rewrites ``ctx->data`` (a ``u32`` field in the uapi struct) into a load of
the real 64-bit pointer; the VM does the same at run time: the context region gets a reader
that answers the pointer fields from the current :class:`PacketState`, so ``xdp_adjust_head``
moves what the next ``ctx->data`` load returns.  Field offsets are the uapi layouts.
"""

from __future__ import annotations

import errno as _errno
import struct
from collections.abc import Callable

from pybpf._dataclasses import dataclass, field

from ..enums import ProgramType
from ..kernel.errors import InvalidArgument
from .interpreter import Machine
from .memory import Region

XDP_PACKET_HEADROOM = 256
#: What a test-run XDP frame may grow to (one page, minus headroom and skb_shared_info).
XDP_FRAME_SIZE = 4096
SKB_SHARED_INFO = 320
ETH_HLEN = 14

XDP_MD = struct.Struct("<6I")  # data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
SK_BUFF_SIZE = 192
#: __sk_buff offsets (uapi linux/bpf.h)
SKB_LEN, SKB_PKT_TYPE, SKB_MARK, SKB_QUEUE_MAPPING, SKB_PROTOCOL = 0, 4, 8, 12, 16
SKB_PRIORITY, SKB_INGRESS_IFINDEX, SKB_IFINDEX, SKB_CB = 32, 36, 40, 48
SKB_DATA, SKB_DATA_END, SKB_DATA_META, SKB_WIRE_LEN = 76, 80, 140, 160
#: fields a test run may set in the input __sk_buff (all others must be zero, as in the kernel)
_SKB_SETTABLE = [
    (SKB_MARK, 4),
    (SKB_PRIORITY, 4),
    (SKB_INGRESS_IFINDEX, 4),
    (SKB_IFINDEX, 4),
    (SKB_CB, 20),
    (152, 8),
    (SKB_WIRE_LEN, 4),
    (164, 4),
    (176, 4),
    (184, 8),
]
LOOPBACK_IFINDEX = 1
_NETWORK_HEADER = {b"\x08\x00": 20, b"\x86\xdd": 40}

_READ_ONLY_CTX = frozenset(
    {
        ProgramType.KPROBE,
        ProgramType.TRACEPOINT,
        ProgramType.RAW_TRACEPOINT,
        ProgramType.RAW_TRACEPOINT_WRITABLE,
        ProgramType.PERF_EVENT,
        ProgramType.TRACING,
    }
)
L2_TYPES = frozenset({ProgramType.SCHED_CLS, ProgramType.SCHED_ACT})
SKB_TYPES = frozenset(
    {
        ProgramType.SOCKET_FILTER,
        ProgramType.SCHED_CLS,
        ProgramType.SCHED_ACT,
        ProgramType.CGROUP_SKB,
        ProgramType.LWT_IN,
        ProgramType.LWT_OUT,
        ProgramType.LWT_XMIT,
    }
)


@dataclass
class PacketState:
    """Where the packet's metadata, data and end are inside the packet region."""

    kind: str  # "xdp" or "skb"
    meta: int
    data: int
    end: int
    limit: int  # how far the tail may grow
    region: Region | None = None

    def sync(self) -> None:
        if self.region is not None:
            self.region.lo = self.meta
            self.region.hi = self.end

    def address(self, offset: int) -> int:
        assert self.region is not None
        return self.region.base + offset

    def data_bytes(self, *, with_meta: bool = False) -> bytes:
        assert self.region is not None
        start = self.meta if with_meta else self.data
        return bytes(self.region.buf[start : self.end])


@dataclass
class RunSetup:
    """Everything one test run needs: the regions' initial bytes and how to read results."""

    ctx: bytes | None
    packet: bytes | None
    state: PacketState | None = None
    finish: Callable[[Machine], tuple[bytes, bytes]] = field(default=lambda machine: (b"", b""))
    ctx_reader: Callable[[Region, PacketState], Callable[[int, int], int]] | None = None
    #: programs may store into the context (``__sk_buff`` fields, syscall arguments)
    ctx_writable: bool = True

    def on_start(self, machine: Machine) -> None:
        if self.state is None:
            return
        self.state.region = machine.regions["packet"]
        self.state.sync()
        ctx = machine.regions.get("ctx")
        if ctx is not None and self.ctx_reader is not None:
            ctx.reader = self.ctx_reader(ctx, self.state)


def _invalid(message: str) -> InvalidArgument:
    return InvalidArgument(message, errno=_errno.EINVAL, command="prog_test_run")


def _read_buf(region: Region, offset: int, size: int) -> int:
    return int.from_bytes(region.buf[offset : offset + size], "little")


def _xdp_reader(region: Region, state: PacketState) -> Callable[[int, int], int]:
    def read(offset: int, size: int) -> int:
        if offset == 0:
            return state.address(state.data)
        if offset == 4:
            return state.address(state.end)
        if offset == 8:
            return state.address(state.meta)
        if offset == 12:  # the frame arrived on the loopback device unless ctx names another
            return _read_buf(region, offset, size) or LOOPBACK_IFINDEX
        return _read_buf(region, offset, size)

    return read


def xdp_setup(data: bytes, ctx: bytes | None) -> RunSetup:
    """An XDP frame: 256 bytes of headroom, ``data``, room to grow to one page.

    Frames spread over fragments (a ``data_end`` shorter than the packet) are not modelled:
    the context must describe the whole packet.
    """
    if len(data) < ETH_HLEN:
        raise _invalid(f"an XDP test run needs at least {ETH_HLEN} bytes of packet")
    fields = (
        list(XDP_MD.unpack(ctx.ljust(XDP_MD.size, b"\0")[: XDP_MD.size]))
        if ctx
        else [0, len(data), 0, 0, 0, 0]
    )
    if ctx is not None and len(ctx) > XDP_MD.size and any(ctx[XDP_MD.size :]):
        raise _invalid("xdp_md carries non-zero bytes past its end")
    meta_len, data_end = fields[0], fields[1]
    if ctx is not None and (data_end != len(data) or meta_len > data_end or fields[5]):
        raise _invalid("xdp_md data/data_end must describe the packet and egress_ifindex must be 0")
    room = max(XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO, len(data))
    packet = bytes(XDP_PACKET_HEADROOM) + data + bytes(room - len(data))
    meta = XDP_PACKET_HEADROOM
    state = PacketState("xdp", meta, meta + meta_len, meta + len(data), XDP_PACKET_HEADROOM + room)
    md = XDP_MD.pack(0, 0, 0, fields[3], fields[4], 0)

    def finish(machine: Machine) -> tuple[bytes, bytes]:
        out_md = XDP_MD.pack(state.data - state.meta, state.end - state.meta, 0, fields[3], fields[4], 0)
        return state.data_bytes(with_meta=True), out_md

    return RunSetup(md, packet, state, finish, _xdp_reader, ctx_writable=False)


def _skb_reader(region: Region, state: PacketState) -> Callable[[int, int], int]:
    def read(offset: int, size: int) -> int:
        if offset == SKB_DATA:
            return state.address(state.data)
        if offset == SKB_DATA_END:
            return state.address(state.end)
        if offset == SKB_DATA_META:
            return state.address(state.meta)
        if offset == SKB_LEN and size == 4:
            return state.end - state.data
        return _read_buf(region, offset, size)

    return read


def _pkt_type(data: bytes) -> int:
    dst = data[:6]
    if dst == b"\xff" * 6:
        return 1  # PACKET_BROADCAST
    if dst[0] & 1:
        return 2  # PACKET_MULTICAST
    return 0 if dst == bytes(6) else 3  # the loopback device's address is all zeros


def skb_setup(data: bytes, ctx: bytes | None, type: ProgramType) -> RunSetup:
    """An skb on the loopback device; tc programs see the Ethernet header, others start at
    the network header (as ``BPF_PROG_TEST_RUN`` pulls the MAC header for them)."""
    start = 0 if type in L2_TYPES else ETH_HLEN
    if len(data) < ETH_HLEN:
        raise _invalid(f"an skb test run needs at least {ETH_HLEN} bytes of packet")
    # The kernel pulls the network header of IPv4/IPv6 packets and refuses runts.
    needed = _NETWORK_HEADER.get(data[12:14], 0)
    if len(data) - ETH_HLEN < needed:
        raise _invalid(f"the packet is too short for its {needed}-byte network header")
    skb = bytearray(SK_BUFF_SIZE)
    if ctx is not None:
        given = bytes(ctx).ljust(SK_BUFF_SIZE, b"\0")
        allowed = bytearray(SK_BUFF_SIZE)
        for offset, size in _SKB_SETTABLE:
            allowed[offset : offset + size] = given[offset : offset + size]
        if given[:SK_BUFF_SIZE] != bytes(allowed) or any(given[SK_BUFF_SIZE:]):
            raise _invalid("__sk_buff sets fields a test run does not accept")
        skb[:] = allowed
    struct.pack_into("<I", skb, SKB_PKT_TYPE, _pkt_type(data))
    skb[SKB_PROTOCOL : SKB_PROTOCOL + 2] = data[12:14]
    if not int.from_bytes(skb[SKB_IFINDEX : SKB_IFINDEX + 4], "little"):
        struct.pack_into("<I", skb, SKB_IFINDEX, LOOPBACK_IFINDEX)
    if not int.from_bytes(skb[SKB_WIRE_LEN : SKB_WIRE_LEN + 4], "little"):
        struct.pack_into("<I", skb, SKB_WIRE_LEN, len(data) - start)
    struct.pack_into("<I", skb, SKB_LEN, len(data) - start)
    # LD_ABS offsets and bpf_skb_load_bytes count from skb->data: the region starts there.
    state = PacketState("skb", 0, 0, len(data) - start, len(data) - start)
    head = data[:start]

    def finish(machine: Machine) -> tuple[bytes, bytes]:
        # Only the fields a test run accepts come back; a pulled MAC header comes back zeroed.
        region = machine.regions["ctx"]
        out = bytearray(SK_BUFF_SIZE)
        for offset, size in _SKB_SETTABLE:
            out[offset : offset + size] = region.buf[offset : offset + size]
        assert state.region is not None
        return bytes(len(head)) + bytes(state.region.buf[: state.end]), bytes(out)

    return RunSetup(bytes(skb), data[start:], state, finish, _skb_reader)


def raw_setup(data: bytes, ctx: bytes | None, *, writable: bool = True) -> RunSetup:
    """Tracing, syscall and other programs: r1 points at ``ctx`` (or at ``data``) as given;
    only syscall programs may write to it (tracing contexts are read-only to the verifier)."""

    def finish(machine: Machine) -> tuple[bytes, bytes]:
        region = machine.regions.get("ctx")
        return data, bytes(region.buf) if region is not None else b""

    return RunSetup(ctx if ctx is not None else data, None, None, finish, ctx_writable=writable)


def setup_for(type: ProgramType, data: bytes, ctx: bytes | None) -> RunSetup:
    if type is ProgramType.XDP:
        return xdp_setup(data, ctx)
    if type in SKB_TYPES:
        return skb_setup(data, ctx, type)
    return raw_setup(data, ctx, writable=type not in _READ_ONLY_CTX)


__all__ = [
    "ETH_HLEN",
    "SKB_TYPES",
    "XDP_PACKET_HEADROOM",
    "PacketState",
    "RunSetup",
    "raw_setup",
    "setup_for",
    "skb_setup",
    "xdp_setup",
]
