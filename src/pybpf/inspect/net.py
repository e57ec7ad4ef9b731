"""``net list``: XDP, tc and tcx programs of the interfaces in this network namespace.

XDP and classic tc filters come from rtnetlink (:mod:`.rtnetlink`); tcx attachments have no
netlink form and are found with BPF_PROG_QUERY on each interface; the flow dissector with a
query on the namespace itself.
"""

from __future__ import annotations

import os
from typing import Any

from pybpf._dataclasses import dataclass, field
from pybpf.enums import AttachType
from pybpf.kernel import KernelError, prog_get_fd_by_id, prog_info

from .errors import InspectError
from .query import prog_query
from .rtnetlink import RtNetlink, interfaces, tc_filters


def _prog_name(prog_id: int) -> str:
    try:
        with prog_get_fd_by_id(prog_id) as fd:
            return prog_info(fd).name
    except KernelError:
        return ""


@dataclass
class NetView:
    """bpftool's three sections: ``xdp``, ``tc`` and ``flow_dissector``."""

    xdp: list[dict[str, Any]] = field(default_factory=list)
    tc: list[dict[str, Any]] = field(default_factory=list)
    flow_dissector: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> list[dict[str, Any]]:
        return [{"xdp": self.xdp, "tc": self.tc, "flow_dissector": self.flow_dissector}]

    def plain(self) -> str:
        lines = ["xdp:"]
        lines += [f"{e['devname']}({e['ifindex']}) {e['mode']} id {e['id']}" for e in self.xdp]
        lines += ["", "tc:"]
        for e in self.tc:
            name = f" {e['name']}" if e.get("name") else ""
            extra = "".join(f" {k}" for k in ("direct-action",) if e.get("direct_action"))
            lines.append(f"{e['devname']}({e['ifindex']}) {e['kind']}{name} id {e['id']}{extra}")
        lines += ["", "flow_dissector:"]
        lines += [f"id {e['id']}" for e in self.flow_dissector]
        return "\n".join(lines) + "\n"


def _tcx(ifindex: int) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for hook, attach in (("ingress", AttachType.TCX_INGRESS), ("egress", AttachType.TCX_EGRESS)):
        try:
            result = prog_query(ifindex, attach)
        except KernelError:
            continue
        found.extend((hook, prog) for prog in result.prog_ids)
    return found


def _flow_dissector() -> list[dict[str, Any]]:
    try:
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    except OSError:
        return []
    try:
        return [{"id": p} for p in prog_query(fd, AttachType.FLOW_DISSECTOR).prog_ids]
    except KernelError:
        return []
    finally:
        os.close(fd)


def gather(dev: str | None = None) -> NetView:
    """Everything attached in this namespace, or to interface ``dev`` only."""
    view = NetView()
    with RtNetlink() as nl:
        links = interfaces(nl)
        if dev is not None:
            links = [i for i in links if i.name == dev]
            if not links:
                raise InspectError(f"no network interface named {dev!r}")
        for iface in links:
            for mode, prog in iface.xdp:
                view.xdp.append({"devname": iface.name, "ifindex": iface.ifindex, "mode": mode, "id": prog})
            for f in tc_filters(nl, iface.ifindex):
                entry: dict[str, Any] = {
                    "devname": iface.name,
                    "ifindex": iface.ifindex,
                    "kind": f"clsact/{f.hook}",
                }
                if f.name:
                    entry["name"] = f.name
                entry["id"] = f.prog_id
                view.tc.append(entry)
            for hook, prog in _tcx(iface.ifindex):
                view.tc.append(
                    {
                        "devname": iface.name,
                        "ifindex": iface.ifindex,
                        "kind": f"tcx/{hook}",
                        "name": _prog_name(prog),
                        "id": prog,
                    }
                )
    if dev is None:
        view.flow_dissector = _flow_dissector()
    return view


__all__ = ["NetView", "gather"]
