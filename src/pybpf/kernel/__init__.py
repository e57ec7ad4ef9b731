"""The ``bpf()`` syscall layer: typed, fd-owning wrappers around each command.

Everything above this package (maps and programs of a loaded object, the CLI) talks to the kernel
through these functions only; they take and return bytes, ints and :class:`FD` owners, and raise
the typed errors of :mod:`pybpf.kernel.errors`.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# Imported eagerly: the function shares its module's name, and a lazy binding would lose to the
# submodule attribute the import system sets on this package.
from .btf_load import BTFLoadError, btf_load

# Each name is imported from its module on first use: loading an object needs a few commands,
# and links, info records and object ids would cost their import time to every program.
_LAZY = {
    "BPF_FS_MAGIC": "bpffs",
    "BPFFSError": "bpffs",
    "ensure_bpffs": "bpffs",
    "is_bpffs": "bpffs",
    "Busy": "errors",
    "InvalidArgument": "errors",
    "KernelError": "errors",
    "KeyExists": "errors",
    "KeyNotFound": "errors",
    "MapFull": "errors",
    "NotSupportedByKernel": "errors",
    "ObjectNotFound": "errors",
    "PermissionDenied": "errors",
    "VerifierError": "errors",
    "FD": "fd",
    "ClosedFD": "fd",
    "BTFInfo": "info",
    "LinkInfo": "info",
    "MapInfo": "info",
    "ProgInfo": "info",
    "btf_info": "info",
    "link_info": "info",
    "map_info": "info",
    "obj_get_info_by_fd": "info",
    "prog_info": "info",
    "AttachFlags": "links",
    "FDType": "links",
    "QueryResult": "links",
    "StatsType": "links",
    "TaskFDInfo": "links",
    "enable_stats": "links",
    "iter_create": "links",
    "link_create": "links",
    "link_detach": "links",
    "link_update": "links",
    "prog_attach": "links",
    "prog_detach": "links",
    "prog_query": "links",
    "raw_tracepoint_open": "links",
    "task_fd_query": "links",
    "BatchResult": "maps",
    "UpdateFlags": "maps",
    "map_contains_value": "maps",
    "map_create": "maps",
    "map_delete": "maps",
    "map_delete_batch": "maps",
    "map_freeze": "maps",
    "map_get_next_key": "maps",
    "map_items_batched": "maps",
    "map_keys": "maps",
    "map_lookup": "maps",
    "map_lookup_and_delete": "maps",
    "map_lookup_and_delete_batch": "maps",
    "map_lookup_batch": "maps",
    "map_update": "maps",
    "map_update_batch": "maps",
    "percpu_value_size": "maps",
    "possible_cpus": "maps",
    "split_percpu": "maps",
    "ObjectKind": "objects",
    "OpenFlags": "objects",
    "btf_get_fd_by_id": "objects",
    "btf_get_next_id": "objects",
    "get_fd_by_id": "objects",
    "get_next_id": "objects",
    "ids": "objects",
    "link_get_fd_by_id": "objects",
    "link_get_next_id": "objects",
    "map_get_fd_by_id": "objects",
    "map_get_next_id": "objects",
    "obj_get": "objects",
    "obj_pin": "objects",
    "prog_get_fd_by_id": "objects",
    "prog_get_next_id": "objects",
    "LoadOptions": "progs",
    "LogLevel": "progs",
    "TestRunFlags": "progs",
    "TestRunResult": "progs",
    "prog_bind_map": "progs",
    "prog_load": "progs",
    "prog_load_with_log": "progs",
    "prog_test_run": "progs",
    "Cmd": "syscall",
    "bpf": "syscall",
}

# The kernel layer's historical names for flag sets whose one definition is in pybpf.enums.
_ENUM_ALIASES = {"MapCreateFlags": "MapFlags", "ProgFlags": "ProgramFlags"}

if TYPE_CHECKING:
    from ..enums import MapFlags as MapCreateFlags
    from ..enums import ProgramFlags as ProgFlags
    from .bpffs import BPF_FS_MAGIC, BPFFSError, ensure_bpffs, is_bpffs
    from .errors import (
        Busy,
        InvalidArgument,
        KernelError,
        KeyExists,
        KeyNotFound,
        MapFull,
        NotSupportedByKernel,
        ObjectNotFound,
        PermissionDenied,
        VerifierError,
    )
    from .fd import FD, ClosedFD
    from .info import (
        BTFInfo,
        LinkInfo,
        MapInfo,
        ProgInfo,
        btf_info,
        link_info,
        map_info,
        obj_get_info_by_fd,
        prog_info,
    )
    from .links import (
        AttachFlags,
        FDType,
        QueryResult,
        StatsType,
        TaskFDInfo,
        enable_stats,
        iter_create,
        link_create,
        link_detach,
        link_update,
        prog_attach,
        prog_detach,
        prog_query,
        raw_tracepoint_open,
        task_fd_query,
    )
    from .maps import (
        BatchResult,
        UpdateFlags,
        map_contains_value,
        map_create,
        map_delete,
        map_delete_batch,
        map_freeze,
        map_get_next_key,
        map_items_batched,
        map_keys,
        map_lookup,
        map_lookup_and_delete,
        map_lookup_and_delete_batch,
        map_lookup_batch,
        map_update,
        map_update_batch,
        percpu_value_size,
        possible_cpus,
        split_percpu,
    )
    from .objects import (
        ObjectKind,
        OpenFlags,
        btf_get_fd_by_id,
        btf_get_next_id,
        get_fd_by_id,
        get_next_id,
        ids,
        link_get_fd_by_id,
        link_get_next_id,
        map_get_fd_by_id,
        map_get_next_id,
        obj_get,
        obj_pin,
        prog_get_fd_by_id,
        prog_get_next_id,
    )
    from .progs import (
        LoadOptions,
        LogLevel,
        TestRunFlags,
        TestRunResult,
        prog_bind_map,
        prog_load,
        prog_load_with_log,
        prog_test_run,
    )
    from .syscall import Cmd, bpf


def __getattr__(name: str) -> Any:
    import importlib

    alias = _ENUM_ALIASES.get(name)
    module = _LAZY.get(name)
    if alias is not None:
        value = getattr(importlib.import_module("pybpf.enums"), alias)
    elif module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "BPF_FS_MAGIC",
    "FD",
    "AttachFlags",
    "BPFFSError",
    "BTFInfo",
    "BTFLoadError",
    "BatchResult",
    "Busy",
    "ClosedFD",
    "Cmd",
    "FDType",
    "InvalidArgument",
    "KernelError",
    "KeyExists",
    "KeyNotFound",
    "LinkInfo",
    "LoadOptions",
    "LogLevel",
    "MapCreateFlags",
    "MapFull",
    "MapInfo",
    "NotSupportedByKernel",
    "ObjectKind",
    "ObjectNotFound",
    "OpenFlags",
    "PermissionDenied",
    "ProgFlags",
    "ProgInfo",
    "QueryResult",
    "StatsType",
    "TaskFDInfo",
    "TestRunFlags",
    "TestRunResult",
    "UpdateFlags",
    "VerifierError",
    "bpf",
    "btf_get_fd_by_id",
    "btf_get_next_id",
    "btf_info",
    "btf_load",
    "enable_stats",
    "ensure_bpffs",
    "get_fd_by_id",
    "get_next_id",
    "ids",
    "is_bpffs",
    "iter_create",
    "link_create",
    "link_detach",
    "link_get_fd_by_id",
    "link_get_next_id",
    "link_info",
    "link_update",
    "map_contains_value",
    "map_create",
    "map_delete",
    "map_delete_batch",
    "map_freeze",
    "map_get_fd_by_id",
    "map_get_next_id",
    "map_get_next_key",
    "map_info",
    "map_items_batched",
    "map_keys",
    "map_lookup",
    "map_lookup_and_delete",
    "map_lookup_and_delete_batch",
    "map_lookup_batch",
    "map_update",
    "map_update_batch",
    "obj_get",
    "obj_get_info_by_fd",
    "obj_pin",
    "percpu_value_size",
    "possible_cpus",
    "prog_attach",
    "prog_bind_map",
    "prog_detach",
    "prog_get_fd_by_id",
    "prog_get_next_id",
    "prog_info",
    "prog_load",
    "prog_load_with_log",
    "prog_query",
    "prog_test_run",
    "raw_tracepoint_open",
    "split_percpu",
    "task_fd_query",
]
