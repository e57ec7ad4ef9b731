"""``prog load``, ``prog pin``, ``prog run`` and ``prog tracelog``: acting on programs.

``load`` goes through the loader (``pybpf.runtime.load``) and pins every program so it outlives
the command, as ``bpftool prog loadall`` does; with ``autoattach`` the links are pinned too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pybpf._dataclasses import dataclass
from pybpf.kernel import FD, prog_info, prog_test_run

from .errors import InspectError
from .pinning import check_pin_path, nearest_existing, pin_object


@dataclass(frozen=True)
class Loaded:
    """A program pinned by ``prog load``: its name, id and pin path (and link pin, if attached)."""

    name: str
    prog_id: int
    pinned: str
    link_pinned: str | None = None


def _attach(program: Any) -> Any:
    """Attach by section name where that needs no further argument (tracepoints, raw tracepoints)."""
    from pybpf import attach

    section: str = program.section
    kind, _, rest = section.partition("/")
    if kind in ("tracepoint", "tp") and rest.count("/") == 1:
        category, name = rest.split("/")
        return attach.attach_tracepoint(program, category, name)
    if kind in ("raw_tracepoint", "raw_tp") and rest:
        return attach.attach_raw_tracepoint(program, rest)
    if kind == "tp_btf":
        return attach.attach_tp_btf(program, rest)
    raise InspectError(f"cannot attach program {program.name!r} automatically (section {section!r})")


def load_and_pin(
    obj_path: str | os.PathLike[str], pin_dir: str | os.PathLike[str], *, autoattach: bool = False
) -> list[Loaded]:
    """Load ``obj_path``, pin each program at ``pin_dir/NAME``; returns what was pinned."""

    directory = Path(pin_dir)
    check_pin_path(directory)
    # Everything this call creates (directories, pins) is removed again if any step fails, so a
    # failed load leaves bpffs as it found it.
    created = _missing_dirs(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InspectError(f"cannot create {directory}: {exc.strerror}") from None
    pinned: list[Path] = []
    try:
        return _load_into(obj_path, directory, autoattach, pinned)
    except BaseException:
        _undo(pinned, created)
        raise


def _missing_dirs(directory: Path) -> list[Path]:
    """The directories ``mkdir(parents=True)`` will create for ``directory``, deepest first."""
    top = nearest_existing(directory)
    missing: list[Path] = []
    current = directory.absolute()
    while current != top and current != current.parent:
        missing.append(current)
        current = current.parent
    return missing


def _undo(pinned: list[Path], created: list[Path]) -> None:
    for path in reversed(pinned):
        try:
            path.unlink()
        except OSError:
            pass
    for path in created:
        try:
            path.rmdir()
        except OSError:
            break


def _load_into(
    obj_path: str | os.PathLike[str], directory: Path, autoattach: bool, pinned: list[Path]
) -> list[Loaded]:
    from pybpf.runtime import load

    done: list[Loaded] = []
    with load(obj_path) as obj:
        for name, program in obj.programs.items():
            path = directory / name
            program.pin(path)
            pinned.append(path)
            link_path: str | None = None
            if autoattach:
                link = _attach(program)
                with link:
                    lpath = directory / f"link_{name}"
                    link.pin(lpath)
                    pinned.append(lpath)
                    link_path = str(lpath)
            done.append(Loaded(name, program.id, str(path), link_path))
    return done


def pin(fd: FD, path: str) -> None:
    pin_object(fd, path)


def read_input(path: str) -> bytes:
    if path == "-":
        import sys

        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InspectError(f"cannot read {path}: {exc.strerror}") from None


def run(fd: FD, data: bytes, *, repeat: int = 1, ctx: bytes | None = None) -> dict[str, Any]:
    """BPF_PROG_TEST_RUN once (or ``repeat`` times); bpftool's result fields."""
    result = prog_test_run(fd, data, ctx_in=ctx, repeat=repeat)
    return {"retval": result.retval, "duration": result.duration_ns, "data_out": result.data_out}


def tracelog(timeout: float | None = None) -> Iterator[str]:
    """Lines of the kernel trace pipe (``bpf_printk`` output) as they come, for ``timeout`` seconds."""
    from pybpf import tracefs

    for event in tracefs.trace_pipe(timeout):
        yield event.line


def prog_id(fd: FD) -> int:
    return prog_info(fd).id


__all__ = ["Loaded", "load_and_pin", "pin", "prog_id", "read_input", "run", "tracelog"]
