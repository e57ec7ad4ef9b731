"""``attach_usdt``: one uprobe per probe site, plus the spec entries the BPF side reads.

A probe may appear at several sites (inlined, or in a loop unrolled by the compiler), each with
its own argument locations, so every site gets its own spec id.  The id travels as the BPF
cookie of the site's attachment; the ip map (keyed by the site's address in one process) is
also filled when a pid is known, for kernels whose links cannot carry a cookie.  Probes with a
semaphore get the kernel to count attached uprobes in it (``ref_ctr_offset``), which is what
makes ``if (PROBE_ENABLED())`` guards in the traced program true.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable

from pybpf.attach.link import AttachError, FdSource, Link, fd_of
from pybpf.attach.tracing import bind_perf_event
from pybpf.attach.uprobe import SymbolNotFound, find_library, open_uprobe_event
from pybpf.kernel.fd import FD
from pybpf.kernel.info import map_info, prog_info
from pybpf.kernel.maps import map_delete, map_update
from pybpf.kernel.objects import map_get_fd_by_id
from pybpf.symbols.procmaps import ProcessMaps

from .notes import find_probes
from .specs import IP_MAP_NAME, SITE_SIZE, SPEC_MAP_NAME, encode_site

MAX_SPECS = 256


class UsdtNotFound(SymbolNotFound):
    """The binary has no USDT probe of that provider and name."""


class _SpecIds:
    """Free spec ids per spec map (keyed by map id), shared by every link of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[int, set[int]] = {}

    def take(self, map_id: int, count: int, capacity: int) -> list[int]:
        with self._lock:
            used = self._used.setdefault(map_id, set())
            free = [i for i in range(capacity) if i not in used][:count]
            if len(free) < count:
                raise AttachError(
                    f"USDT spec map is full: {count} sites need ids, {len(free)} left of {capacity}"
                )
            used.update(free)
            return free

    def give_back(self, map_id: int, ids: list[int]) -> None:
        with self._lock:
            self._used.get(map_id, set()).difference_update(ids)


_SPEC_IDS = _SpecIds()


def _usdt_maps(prog: FdSource) -> tuple[FD, int, int, FD | None]:
    """The program's spec map (fd, id, capacity) and ip map, found among the maps it uses."""
    spec: tuple[FD, int, int] | None = None
    ip_map: FD | None = None
    for map_id in prog_info(fd_of(prog)).map_ids:
        fd = map_get_fd_by_id(map_id)
        info = map_info(fd)
        if info.name == SPEC_MAP_NAME and spec is None:
            spec = (fd, map_id, info.max_entries)
        elif info.name == IP_MAP_NAME and ip_map is None:
            ip_map = fd
        else:
            fd.close()
    if spec is None:
        if ip_map is not None:
            ip_map.close()
        raise AttachError(
            f"the program uses no {SPEC_MAP_NAME} map: USDT programs must include <bpf/usdt.bpf.h> "
            "and read their arguments with bpf_usdt_arg() or BPF_USDT()"
        )
    return spec[0], spec[1], spec[2], ip_map


def resolve_binary(binary: str | os.PathLike[str], pid: int | None = None) -> str:
    """An absolute path for ``binary``: a path, a library name (``libc.so.6``) or a command."""
    name = os.fspath(binary)
    if os.sep not in name:
        import shutil

        found = shutil.which(name)
        if found:
            return os.path.realpath(found)
        return find_library(name)
    if pid is not None and not os.path.exists(name):
        name = f"/proc/{pid}/root{name}"
    return os.path.realpath(name)


def attach_usdt(
    prog: FdSource,
    binary: str | os.PathLike[str],
    provider: str,
    name: str,
    pid: int | None = None,
    *,
    cookie: int = 0,
) -> Link:
    """Attach ``prog`` to every site of USDT probe ``provider:name`` in ``binary``.

    ``pid`` limits it to one process (default: every process running the file).  ``cookie``
    is what ``bpf_usdt_cookie()`` returns.  Closing the link detaches every site and removes
    its spec entries.
    """
    path = resolve_binary(binary, pid)
    probes = find_probes(path, provider, name)
    if not probes:
        raise UsdtNotFound(f"{path} has no USDT probe {provider}:{name}")
    spec_fd, spec_map_id, capacity, ip_fd = _usdt_maps(prog)
    owned = [spec_fd] + ([ip_fd] if ip_fd is not None else [])
    ids = _SPEC_IDS.take(spec_map_id, len(probes), capacity)
    ip_keys: list[bytes] = []
    children: list[Link] = []
    undo = _undo(children, spec_fd, ip_fd, ip_keys, spec_map_id, ids)
    try:
        maps = ProcessMaps.of(pid) if pid is not None and ip_fd is not None else None
        for spec_id, probe in zip(ids, probes, strict=True):
            map_update(spec_fd, struct.pack("=I", spec_id), encode_site(probe.args, cookie))
            if maps is not None and ip_fd is not None:
                for address in maps.addresses_of(path, probe.offset):
                    key = struct.pack("=q", _signed64(address))
                    map_update(ip_fd, key, struct.pack("=I", spec_id))
                    ip_keys.append(key)
            perf_fd = open_uprobe_event(
                path, probe.offset, pid=-1 if pid is None else pid, ref_ctr_offset=probe.semaphore_offset
            )
            link_fd = bind_perf_event(prog, perf_fd, spec_id)
            site = f"usdt {path}:{provider}:{name} @{probe.offset:#x}"
            children.append(Link(site, bpf_links=[link_fd] if link_fd is not None else [], fds=[perf_fd]))
    except BaseException:
        undo()
        for fd in owned:
            fd.close()
        raise
    description = f"usdt {path}:{provider}:{name} ({len(probes)} site{'s' if len(probes) != 1 else ''})"
    return UsdtLink(description, children, owned, undo)


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _undo(
    children: list[Link], spec_fd: FD, ip_fd: FD | None, ip_keys: list[bytes], map_id: int, ids: list[int]
) -> Callable[[], None]:
    def undo() -> None:
        # Sites detach first, so no probe hit can find its spec removed under it.
        for child in children:
            child.close()
        for spec_id in ids:
            try:  # array entries cannot be deleted: clearing one makes its nargs 0 again
                map_update(spec_fd, struct.pack("=I", spec_id), bytes(SITE_SIZE))
            except Exception:  # closing must not raise; the id is reused by the next attach
                pass
        for key in ip_keys:
            try:
                if ip_fd is not None:
                    map_delete(ip_fd, key)
            except Exception:
                pass
        _SPEC_IDS.give_back(map_id, ids)

    return undo


class UsdtLink(Link):
    """Every uprobe of one USDT probe; ``sites`` are the per-site links."""

    def __init__(self, description: str, sites: list[Link], fds: list[FD], undo: Callable[[], None]) -> None:
        super().__init__(description, fds=fds, undo=undo)
        self.sites = sites

    @property
    def fd(self) -> FD:
        """The first site's BPF link fd (or its perf event fd on kernels without perf links)."""
        self._check()
        return self.sites[0].fd

    @property
    def bpf_links(self) -> list[FD]:
        return [fd for site in self.sites for fd in site.bpf_links]

    def ids(self) -> list[int]:
        return [link_id for site in self.sites for link_id in site.ids()]


__all__ = ["UsdtLink", "UsdtNotFound", "attach_usdt", "resolve_binary"]
