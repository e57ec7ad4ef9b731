"""``SEC("usdt/BINARY:PROVIDER:NAME")``: parsed the libbpf way; a bare ``usdt`` is skipped with a reason."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pybpf.run.autoattach import NotAutoAttachable, attach_all, attach_program, parse_usdt_target


@dataclass
class _Prog:
    name: str
    section: str
    fd: int = -1


@dataclass
class _Obj:
    programs: dict[str, _Prog]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/usr/bin/python3:python:function__entry", ("/usr/bin/python3", "python", "function__entry")),
        ("libc.so.6:libc:setjmp", ("libc.so.6", "libc", "setjmp")),
        ("/opt/a:b/bin/x:prov:probe", ("/opt/a:b/bin/x", "prov", "probe")),
    ],
)
def test_usdt_section_targets_split_into_binary_provider_and_name(
    target: str, expected: tuple[str, str, str]
) -> None:
    assert parse_usdt_target(target) == expected


@pytest.mark.parametrize(
    "target", ["", "/bin/x", "/bin/x:prov", ":prov:name", "/bin/x::name", "/bin/x:prov:"]
)
def test_usdt_section_without_all_three_parts_is_not_auto_attachable(target: str) -> None:
    with pytest.raises(NotAutoAttachable, match="BINARY:PROVIDER:NAME"):
        parse_usdt_target(target)


def test_a_usdt_section_with_no_target_is_refused_naming_attach_usdt() -> None:
    with pytest.raises(NotAutoAttachable, match="attach_usdt"):
        attach_program(_Prog("probe", "usdt"))


def test_attach_all_skips_a_bare_usdt_section_with_the_reason() -> None:
    report = attach_all(_Obj({"probe": _Prog("probe", "usdt")}))
    assert report.attached == [] and [(s.program, "attach_usdt" in s.reason) for s in report.skipped] == [
        ("probe", True)
    ]
