"""The generated ``vmlinux.h`` of the running kernel, cached on disk.

Dumping vmlinux BTF as C takes long enough (and the result is big enough) that it must not happen
per build, yet a cached header for another kernel would silently compile wrong offsets.  So the
cache is keyed by a hash of the BTF bytes themselves, not by a kernel version string: a rebuilt
kernel with the same ``uname -r`` still gets a fresh header.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import tempfile
from pathlib import Path

from ..errors import Error

DEFAULT_BTF = Path("/sys/kernel/btf/vmlinux")
CACHE_ENV = "PYBPF_CACHE_DIR"
HEADER_NAME = "vmlinux.h"

def cache_dir() -> Path:
    """``$PYBPF_CACHE_DIR``, else ``$XDG_CACHE_HOME/pybpf``, else ``~/.cache/pybpf``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pybpf"


def btf_key(data: bytes) -> str:
    """Cache key for one BTF blob: which bytes, and which version of the dumper turned them into C.

    The dumper's own source is part of the key, so a changed ``pybpf.btf.cdump`` never reuses a
    header an older one wrote.
    """
    digest = hashlib.sha256()
    digest.update(b"pybpf-vmlinux-h\0")
    digest.update(_dumper_fingerprint())
    digest.update(data)
    return digest.hexdigest()[:32]


def _dumper_fingerprint() -> bytes:
    spec = importlib.util.find_spec("pybpf.btf.cdump")
    origin = spec.origin if spec is not None else None
    if origin is None:
        return b"?"
    try:
        return hashlib.sha256(Path(origin).read_bytes()).digest()
    except OSError:
        return b"?"


def generate_header(btf_path: Path) -> str:
    """C text declaring every type of the BTF at ``btf_path`` (our ``pybpf.btf.cdump``)."""
    # Imported here: the BTF package is large and only needed when a header is missing.
    from ..btf import BTF
    from ..btf.cdump import dump_c

    return dump_c(BTF.from_file(btf_path))


def _atomic_write(path: Path, text: str) -> None:
    """Write so that a concurrent build sees either no file or the whole file, never a prefix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def vmlinux_header(btf_path: Path | str | None = None) -> Path:
    """Path of a ``vmlinux.h`` for ``btf_path`` (default: the running kernel), generating it once.

    The header sits alone in a directory named by its key, so that directory can be passed to the
    compiler with ``-I`` and ``#include "vmlinux.h"`` finds exactly this kernel's types.
    """
    source = Path(btf_path) if btf_path is not None else DEFAULT_BTF
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise Error(f"cannot read BTF from {source}: {exc.strerror or exc}") from None
    target = cache_dir() / "vmlinux" / btf_key(data) / HEADER_NAME
    if target.is_file():
        return target
    try:
        text = generate_header(source)
    except Error as exc:
        raise Error(f"cannot generate vmlinux.h from {source}: {exc}", errno=exc.errno) from exc
    _atomic_write(target, text)
    return target
