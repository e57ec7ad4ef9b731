"""The walk every ``list`` command shares: objects that vanish mid-walk are skipped, fds closed."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

import pytest

from pybpf.inspect import records
from pybpf.inspect.procfs import Owner
from pybpf.kernel import KernelError, ObjectKind


class _FakeFD:
    """Stands in for an FD: a context manager that remembers being closed."""

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.closed = False

    def __enter__(self) -> _FakeFD:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


@dataclass
class _Info:
    id: int


@dataclass
class _Record:
    info: _Info
    pinned: list[str] = field(default_factory=list)
    pids: list[Owner] = field(default_factory=list)


def _gone() -> KernelError:
    return KernelError("no such object", errno=errno.ENOENT)


def _read(fd: Any) -> _Record:
    if fd.ident == 2:
        raise _gone()
    return _Record(_Info(fd.ident))


def test_read_each_skips_objects_whose_info_fails_and_closes_every_fd() -> None:
    fds = [_FakeFD(1), _FakeFD(2), _FakeFD(3)]
    found = records.read_each(fds, _read)  # type: ignore[arg-type]
    assert [rec.info.id for rec in found] == [1, 3]
    assert all(fd.closed for fd in fds)


def test_object_fds_skips_ids_that_vanish_before_they_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def open_id(kind: ObjectKind, ident: int) -> _FakeFD:
        if ident == 5:
            raise _gone()
        return _FakeFD(ident)

    monkeypatch.setattr(records, "ids", lambda kind: iter([4, 5, 6]))
    monkeypatch.setattr(records, "get_fd_by_id", open_id)
    assert [fd.ident for fd in records.object_fds(ObjectKind.MAP)] == [4, 6]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("with_pinned", "with_pids", "pinned", "pids"),
    [
        (True, True, ["/sys/fs/bpf/a", "/sys/fs/bpf/b"], [Owner(1, "init")]),
        (False, True, [], [Owner(1, "init")]),
        (True, False, ["/sys/fs/bpf/a", "/sys/fs/bpf/b"], []),
    ],
)
def test_gather_fills_sorted_pins_and_owners_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, with_pinned: bool, with_pids: bool, pinned: list[str], pids: list[Owner]
) -> None:
    monkeypatch.setattr(records, "pinned_paths", lambda kind: {1: ["/sys/fs/bpf/b", "/sys/fs/bpf/a"]})
    monkeypatch.setattr(records, "owners", lambda kind: {1: [Owner(1, "init")]})
    found = records.gather(
        ObjectKind.PROG,
        [_FakeFD(1)],  # type: ignore[list-item]
        _read,
        with_pinned=with_pinned,
        with_pids=with_pids,
    )
    assert [(rec.pinned, rec.pids) for rec in found] == [(pinned, pids)]


@pytest.mark.parametrize(
    ("pinned", "btf_id", "pids", "expected"),
    [
        ([], 0, [], []),
        (["/sys/fs/bpf/a", "/sys/fs/bpf/b"], 0, [], ["\tpinned /sys/fs/bpf/a", "\tpinned /sys/fs/bpf/b"]),
        (["/sys/fs/bpf/a"], 7, [Owner(9, "x")], ["\tpinned /sys/fs/bpf/a", "\tbtf_id 7", "\tpids x(9)"]),
        ([], 0, [Owner(1, "init"), Owner(9, "x")], ["\tpids init(1), x(9)"]),
    ],
)
def test_closing_lines_list_pins_then_btf_id_then_holders(
    pinned: list[str], btf_id: int, pids: list[Owner], expected: list[str]
) -> None:
    rec = _Record(_Info(1), pinned=pinned, pids=pids)
    assert records.closing_lines(rec, btf_id=btf_id) == expected
