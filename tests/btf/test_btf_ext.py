"""``.BTF.ext`` parsing: func_info, line_info and CO-RE relocations of a compiled object."""

from __future__ import annotations

import struct

import pytest

from pybpf.btf import BTF, BTFError
from pybpf.btf.ext import BTFExt, CoreReloKind

FIELDS = "tracepoint/sched/sched_switch"
TYPES = "raw_tracepoint/sys_enter"


@pytest.fixture(scope="module")
def core(btf_sections: dict[str, bytes], btf_ext_sections: dict[str, bytes]) -> tuple[BTF, BTFExt]:
    btf = BTF.from_bytes(btf_sections["core"])
    return btf, BTFExt.from_bytes(btf_ext_sections["core"], btf)


def test_func_info_is_grouped_by_section_and_points_at_funcs(core: tuple[BTF, BTFExt]) -> None:
    btf, ext = core
    assert set(ext.func_info) == {FIELDS, TYPES, ".text"}
    assert [btf[f.type_id].name for f in ext.func_info[".text"]] == ["field_reads"]


def test_line_info_carries_file_source_line_and_position(core: tuple[BTF, BTFExt]) -> None:
    _, ext = core
    first = ext.line_info[TYPES][0]
    assert first.file_name.endswith("core.bpf.c")
    assert first.line == "int types(void *ctx)"
    assert first.line_num == 37


def test_every_core_relocation_kind_is_parsed(core: tuple[BTF, BTFExt]) -> None:
    _, ext = core
    kinds = {r.kind for relos in ext.core_relos.values() for r in relos}
    assert kinds == set(CoreReloKind)


@pytest.mark.parametrize(
    ("section", "kind", "type_name", "access"),
    [
        (".text", CoreReloKind.FIELD_SIGNED, "struct task_like", "0:3"),
        (".text", CoreReloKind.FIELD_EXISTS, "struct task_like", "0:5"),
        (FIELDS, CoreReloKind.FIELD_BYTE_OFFSET, "struct task_like", "0:4"),
        (TYPES, CoreReloKind.TYPE_EXISTS, "task_t", "0"),
        (TYPES, CoreReloKind.ENUMVAL_VALUE, "enum state_like", "2"),
    ],
)
def test_core_relocation_names_its_type_and_access_string(
    core: tuple[BTF, BTFExt], section: str, kind: CoreReloKind, type_name: str, access: str
) -> None:
    btf, ext = core
    found = [(btf.type_name(r.type_id), r.access) for r in ext.core_relos[section] if r.kind == kind]
    assert (type_name, access) in found


def test_relocation_instruction_offsets_are_byte_offsets_of_8_byte_slots(core: tuple[BTF, BTFExt]) -> None:
    _, ext = core
    assert all(
        r.insn_off % 8 == 0 and r.insn_index == r.insn_off // 8 for rs in ext.core_relos.values() for r in rs
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:4], "header: 4 bytes"),
        (lambda d: b"\x01\x02" + d[2:], "bad magic"),
        (lambda d: d[:4] + struct.pack("<I", 4) + d[8:], "bad hdr_len"),
        (lambda d: d[:32] + struct.pack("<I", 3) + d[36:], "func_info: bad record size 3"),
        (lambda d: d[:-4], "runs past the end"),
    ],
)
def test_malformed_btf_ext_raises_btf_error(
    core: tuple[BTF, BTFExt], btf_ext_sections: dict[str, bytes], mutate, message: str
) -> None:  # type: ignore[no-untyped-def]
    btf, _ = core
    with pytest.raises(BTFError, match=message):
        BTFExt.from_bytes(mutate(btf_ext_sections["core"]), btf)
