"""The BPF filesystem, where objects are pinned to outlive their process."""

from __future__ import annotations

import ctypes
import errno as _errno
import os

from pybpf.errors import Error

from .errors import PermissionDenied

DEFAULT_PATH = "/sys/fs/bpf"
BPF_FS_MAGIC = 0xCAFE4A11

_libc = ctypes.CDLL(None, use_errno=True)


class BPFFSError(Error):
    """bpffs is not mounted where needed and could not be mounted."""


def _fs_type(path: str) -> int | None:
    # struct statfs starts with f_type (a long on every Linux ABI); 256 bytes cover the rest.
    buf = ctypes.create_string_buffer(256)
    if _libc.statfs(os.fsencode(path), buf) != 0:
        return None
    return int(ctypes.c_ulong.from_buffer(buf).value) & 0xFFFFFFFF


def is_bpffs(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` lies on a BPF filesystem."""
    return _fs_type(os.fspath(path)) == BPF_FS_MAGIC


def ensure_bpffs(path: str | os.PathLike[str] = DEFAULT_PATH) -> str:
    """Make sure a bpffs is mounted at ``path`` (mounting it as root); returns the path."""
    target = os.fspath(path)
    if is_bpffs(target):
        return target
    if os.geteuid() != 0:
        raise PermissionDenied(
            f"no bpffs at {target} and mounting one needs root (CAP_SYS_ADMIN): "
            f"run `mount -t bpf bpf {target}`",
            errno=_errno.EPERM,
            command="mount",
            capability="CAP_SYS_ADMIN",
        )
    os.makedirs(target, exist_ok=True)
    _libc.mount.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_ulong,
        ctypes.c_void_p,
    ]
    if _libc.mount(b"bpf", os.fsencode(target), b"bpf", 0, None) != 0:
        err = ctypes.get_errno()
        raise BPFFSError(f"cannot mount bpffs at {target}: {os.strerror(err)}", errno=err)
    return target


__all__ = ["BPF_FS_MAGIC", "DEFAULT_PATH", "BPFFSError", "ensure_bpffs", "is_bpffs"]
