"""A small rtnetlink client over ``AF_NETLINK`` (stdlib sockets only).

Classic tc attachment needs requests that change state (add a qdisc, add and delete filters),
and ``pybpf net list`` needs dumps of the same messages; both use this one client.  A socket
belongs to the network namespace it was opened in, so a link that holds one can undo its
change from any namespace later.  Replies are parsed defensively: a truncated or odd attribute
ends the parse instead of raising IndexError or struct.error.
"""

from __future__ import annotations

import errno as _errno
import os
import socket
import struct
from collections.abc import Iterator
from typing import Self

from pybpf.errors import Error

from .link import AttachError

NETLINK_ROUTE = 0
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP = 0x300
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000

_NLMSG = struct.Struct("=IHHII")
_RTA = struct.Struct("=HH")


class NetlinkError(AttachError):
    """A netlink request the kernel answered with an error (``errno`` set)."""


def align(n: int) -> int:
    """Netlink pads every message and attribute to four bytes."""
    return (n + 3) & ~3


def attributes(data: bytes, offset: int = 0) -> dict[int, bytes]:
    """Netlink attributes from ``offset`` on: type (nesting flags masked) -> payload (first wins)."""
    out: dict[int, bytes] = {}
    while offset + _RTA.size <= len(data):
        length, kind = _RTA.unpack_from(data, offset)
        if length < _RTA.size or offset + length > len(data):
            break
        out.setdefault(kind & 0x3FFF, data[offset + _RTA.size : offset + length])
        offset += align(length)
    return out


def attribute(kind: int, payload: bytes) -> bytes:
    """One encoded attribute, padded."""
    length = _RTA.size + len(payload)
    return _RTA.pack(length, kind) + payload + bytes(align(length) - length)


def u32_attribute(kind: int, value: int) -> bytes:
    return attribute(kind, struct.pack("=I", value))


def string_attribute(kind: int, text: str) -> bytes:
    return attribute(kind, text.encode() + b"\0")


def u32_of(attrs: dict[int, bytes], kind: int) -> int | None:
    raw = attrs.get(kind)
    return int(struct.unpack_from("=I", raw)[0]) if raw is not None and len(raw) >= 4 else None


def string_of(raw: bytes | None) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace") if raw else ""


def messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, sequence number, payload) of each well-formed message in one datagram."""
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, kind, _flags, seq, _pid = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size or offset + length > len(data):
            return
        yield kind, seq, data[offset + _NLMSG.size : offset + length]
        offset += align(length)


def error_code(payload: bytes) -> int:
    """The positive errno of an ``NLMSG_ERROR`` payload (0: an acknowledgement)."""
    return -int(struct.unpack_from("=i", payload)[0]) if len(payload) >= 4 else _errno.EIO


class RtNetlink:
    """One NETLINK_ROUTE socket in the caller's current network namespace.

    ``error_class`` is what failures raise, so a user of the client (``pybpf.inspect``) can keep
    its own error type without wrapping every call.
    """

    error_class: type[Error] = NetlinkError

    def __init__(self) -> None:
        try:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        except OSError as exc:
            raise self.error_class(f"cannot open a netlink socket: {exc.strerror}", errno=exc.errno) from None
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, msg_type: int, flags: int, body: bytes) -> int:
        self.seq += 1
        self.sock.send(_NLMSG.pack(_NLMSG.size + len(body), msg_type, flags, self.seq, 0) + body)
        return self.seq

    def _fail(self, code: int, what: str) -> Error:
        return self.error_class(f"netlink {what} failed: {os.strerror(code)}", errno=code)

    def dump(self, msg_type: int, body: bytes) -> Iterator[tuple[int, bytes]]:
        """(message type, payload) of every reply to a dump request of ``msg_type``."""
        seq = self._send(msg_type, NLM_F_REQUEST | NLM_F_DUMP, body)
        while True:
            data = self.sock.recv(1 << 16)
            if not data:
                return
            for kind, got, payload in messages(data):
                if got != seq:
                    continue
                if kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    code = error_code(payload)
                    if code:
                        raise self._fail(code, "request")
                    return
                yield kind, payload

    def request(
        self, msg_type: int, flags: int, body: bytes, what: str = "request"
    ) -> list[tuple[int, bytes]]:
        """Send one change request and wait for its acknowledgement; returns any echoed messages."""
        seq = self._send(msg_type, NLM_F_REQUEST | NLM_F_ACK | flags, body)
        echoed: list[tuple[int, bytes]] = []
        while True:
            data = self.sock.recv(1 << 16)
            if not data:
                raise self._fail(_errno.EIO, what)
            for kind, got, payload in messages(data):
                if got != seq:
                    continue
                if kind == NLMSG_ERROR:
                    code = error_code(payload)
                    if code:
                        raise self._fail(code, what)
                    return echoed
                echoed.append((kind, payload))


__all__ = [
    "NLM_F_CREATE",
    "NLM_F_ECHO",
    "NLM_F_EXCL",
    "NetlinkError",
    "RtNetlink",
    "attribute",
    "attributes",
    "messages",
    "string_attribute",
    "string_of",
    "u32_attribute",
    "u32_of",
]
