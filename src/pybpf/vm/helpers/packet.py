"""Packet helpers of XDP and skb programs: head/tail/meta adjustment, load/store, checksums,
redirects.  Bounds and error codes follow net/core/filter.c."""

from __future__ import annotations

import errno as _errno
import struct

from ..context import ETH_HLEN, PacketState
from ..errors import VMFault
from ..host import Host
from ..interpreter import Machine
from ..maps import MapOpError
from .common import Helper, map_arg, neg, signed32

XDP_ABORTED, XDP_REDIRECT = 0, 4
TC_ACT_SHOT, TC_ACT_REDIRECT = 2, 7
F_INGRESS = 1
F_RECOMPUTE_CSUM, F_INVALIDATE_HASH = 1, 2
F_HDR_FIELD_MASK, F_PSEUDO_HDR, F_MARK_MANGLED_0, F_MARK_ENFORCE, F_IPV6 = 0xF, 0x10, 0x20, 0x40, 0x80
F_ACTION_MASK, F_REDIR_MASK = 0x3, 0x18
#: sizeof(struct xdp_frame): the part of the headroom adjust_head/meta may never reach
XDP_FRAME_SIZE = 40
XDP_META_MAX = 32
M32 = 0xFFFFFFFF
MAX_DIFF = 512


def add32(a: int, b: int) -> int:
    """Ones' complement 32-bit addition (``csum_add``)."""
    total = (a & M32) + (b & M32)
    return (total & M32) + (total >> 32)


def fold(value: int) -> int:
    """``csum_fold``: 32-bit partial sum to the final 16-bit checksum (complemented)."""
    value = (value & 0xFFFF) + (value >> 16)
    value = (value & 0xFFFF) + (value >> 16)
    return ~value & 0xFFFF


def replace(check: int, old: int, new: int) -> int:
    """``csum_replace4``: the checksum ``check`` after a field went from ``old`` to ``new``."""
    return fold(add32(add32(~check & 0xFFFF, ~old & M32), new))


def by_diff(check: int, diff: int) -> int:
    return fold(add32(diff, ~check & 0xFFFF))


def field_replaced(check: int, old: int, new: int, size: int) -> int | None:
    """``check`` after a field of ``size`` bytes (2 or 4) changed from ``old`` to ``new``.

    Size 0 means ``new`` already is the checksum difference (from ``bpf_csum_diff``), as the
    l3/l4 replace helpers take it; any other size is invalid (None).
    """
    if size == 0:
        return by_diff(check, new)
    if size in (2, 4):
        mask = 0xFFFF if size == 2 else M32
        return replace(check, old & mask, new & mask)
    return None


def csum_partial(data: bytes, seed: int) -> int:
    total = seed & M32
    for (word,) in struct.iter_unpack("<I", data):
        total = add32(total, word)
    return total


def helpers(host: Host) -> dict[str, Helper]:
    def state(name: str, kind: str | None = None) -> PacketState:
        packet = host.packet
        if packet is None or packet.region is None or (kind is not None and packet.kind != kind):
            raise VMFault(f"{name} needs a{'n ' + kind if kind else ''} packet program context")
        return packet

    def adjust_head(vm: Machine, ctx: int, delta: int, r3: int, r4: int, r5: int) -> int:
        p = state("bpf_xdp_adjust_head", "xdp")
        assert p.region is not None
        delta = signed32(delta)
        data = p.data + delta
        if data < XDP_FRAME_SIZE or data > p.end - ETH_HLEN:
            return neg(_errno.EINVAL)
        meta_len = p.data - p.meta
        if meta_len:
            buf = p.region.buf
            buf[p.meta + delta : p.meta + delta + meta_len] = buf[p.meta : p.data]
        p.meta += delta
        p.data = data
        p.sync()
        return 0

    def adjust_meta(vm: Machine, ctx: int, delta: int, r3: int, r4: int, r5: int) -> int:
        p = state("bpf_xdp_adjust_meta", "xdp")
        meta = p.meta + signed32(delta)
        length = p.data - meta
        if meta < XDP_FRAME_SIZE or meta > p.data or length % 4 or length > XDP_META_MAX:
            return neg(_errno.EINVAL)
        p.meta = meta
        p.sync()
        return 0

    def adjust_tail(vm: Machine, ctx: int, delta: int, r3: int, r4: int, r5: int) -> int:
        p = state("bpf_xdp_adjust_tail", "xdp")
        assert p.region is not None
        end = p.end + signed32(delta)
        if end > p.limit or end < p.data + ETH_HLEN:
            return neg(_errno.EINVAL)
        if end > p.end:
            p.region.buf[p.end : end] = bytes(end - p.end)
        p.end = end
        p.sync()
        return 0

    def buff_len(vm: Machine, ctx: int, r2: int, r3: int, r4: int, r5: int) -> int:
        p = state("bpf_xdp_get_buff_len", "xdp")
        return p.end - p.data

    def load_bytes(vm: Machine, ctx: int, offset: int, to: int, length: int, r5: int) -> int:
        p = state("bpf_skb_load_bytes")
        assert p.region is not None
        offset, length = offset & M32, length & M32
        if offset + length > p.end - p.data:
            vm.memory.write_bytes(to, bytes(length))
            return neg(_errno.EFAULT)
        vm.memory.write_bytes(to, bytes(p.region.buf[p.data + offset : p.data + offset + length]))
        return 0

    def store_bytes(vm: Machine, ctx: int, offset: int, source: int, length: int, flags: int) -> int:
        p = state("bpf_skb_store_bytes", "skb")
        assert p.region is not None
        if flags & ~(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH):
            return neg(_errno.EINVAL)
        offset, length = offset & M32, length & M32
        if offset + length > p.end - p.data:
            return neg(_errno.EFAULT)
        p.region.buf[p.data + offset : p.data + offset + length] = vm.memory.read_bytes(source, length)
        return 0

    def field(p: PacketState, offset: int) -> int | None:
        offset &= M32
        if offset + 2 > p.end - p.data:
            return None
        return p.data + offset

    def l3_replace(vm: Machine, ctx: int, offset: int, old: int, new: int, flags: int) -> int:
        p = state("bpf_l3_csum_replace", "skb")
        assert p.region is not None
        if flags & ~F_HDR_FIELD_MASK:
            return neg(_errno.EINVAL)
        at = field(p, offset)
        if at is None:
            return neg(_errno.EFAULT)
        check = int.from_bytes(p.region.buf[at : at + 2], "little")
        updated = field_replaced(check, old, new, flags & F_HDR_FIELD_MASK)
        if updated is None:
            return neg(_errno.EINVAL)
        p.region.buf[at : at + 2] = updated.to_bytes(2, "little")
        return 0

    def l4_replace(vm: Machine, ctx: int, offset: int, old: int, new: int, flags: int) -> int:
        p = state("bpf_l4_csum_replace", "skb")
        assert p.region is not None
        if flags & ~(F_HDR_FIELD_MASK | F_PSEUDO_HDR | F_MARK_MANGLED_0 | F_MARK_ENFORCE | F_IPV6):
            return neg(_errno.EINVAL)
        at = field(p, offset)
        if at is None:
            return neg(_errno.EFAULT)
        check = int.from_bytes(p.region.buf[at : at + 2], "little")
        mangled = bool(flags & (F_MARK_MANGLED_0 | F_MARK_ENFORCE))
        if flags & F_MARK_MANGLED_0 and not check:
            return 0
        updated = field_replaced(check, old, new, flags & F_HDR_FIELD_MASK)
        if updated is None:
            return neg(_errno.EINVAL)
        check = updated
        if mangled and not check:
            check = 0xFFFF
        p.region.buf[at : at + 2] = check.to_bytes(2, "little")
        return 0

    def csum_diff(vm: Machine, old: int, old_size: int, new: int, new_size: int, seed: int) -> int:
        old_size, new_size = old_size & M32, new_size & M32
        if (old_size | new_size) & 3 or old_size + new_size > MAX_DIFF:
            return neg(_errno.EINVAL)
        removed = vm.memory.read_bytes(old, old_size) if old_size else b""
        added = vm.memory.read_bytes(new, new_size) if new_size else b""
        inverted = bytes(~b & 0xFF for b in removed)
        return csum_partial(inverted + added, seed)

    def redirect(vm: Machine, ifindex: int, flags: int, r3: int, r4: int, r5: int) -> int:
        p = state("bpf_redirect")
        if p.kind == "xdp":
            if flags:
                return XDP_ABORTED
            host.redirect = (ifindex & M32, flags)
            return XDP_REDIRECT
        if flags & ~F_INGRESS:
            return TC_ACT_SHOT
        host.redirect = (ifindex & M32, flags)
        return TC_ACT_REDIRECT

    def redirect_map(vm: Machine, m: int, key: int, flags: int, r4: int, r5: int) -> int:
        storage = map_arg(host, m, "bpf_redirect_map")
        if flags & ~(F_ACTION_MASK | F_REDIR_MASK):
            return XDP_ABORTED
        try:
            value = storage.read((key & M32).to_bytes(storage.key_size, "little"))
        except MapOpError:
            return flags & F_ACTION_MASK
        if not any(value):
            return flags & F_ACTION_MASK
        host.redirect = (int.from_bytes(value[:4], "little"), flags)
        return XDP_REDIRECT

    return {
        "xdp_adjust_head": adjust_head,
        "xdp_adjust_meta": adjust_meta,
        "xdp_adjust_tail": adjust_tail,
        "xdp_get_buff_len": buff_len,
        "skb_load_bytes": load_bytes,
        "skb_store_bytes": store_bytes,
        "l3_csum_replace": l3_replace,
        "l4_csum_replace": l4_replace,
        "csum_diff": csum_diff,
        "redirect": redirect,
        "redirect_map": redirect_map,
    }


__all__ = ["add32", "by_diff", "csum_partial", "fold", "helpers", "replace"]
