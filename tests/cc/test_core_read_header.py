"""bpf_core_read.h: each CO-RE macro must leave the relocation record the loader acts on."""

from __future__ import annotations

from pathlib import Path

import pytest
from cc_helpers import PRELUDE, compile_text, helper_calls, section_data

from pybpf.btf import BTF
from pybpf.btf.ext import BTFExt, CoreRelo, CoreReloKind

pytestmark = pytest.mark.usefixtures("bpf_cc")

TYPES = """
struct inner { int leaf; };
struct middle { struct inner *in; };
struct outer { int a; struct middle *mid; unsigned int flags : 3; int sflag : 5; char name[16]; };
enum colour { RED = 1, GREEN = 2 };
struct chain { struct chain *next; int value; };
"""

# section -> (C body using `o`, a struct outer *, and the relocation kind it must produce)
CASES: dict[str, tuple[str, CoreReloKind]] = {
    "offset": ("return BPF_CORE_READ(o, mid, in, leaf);", CoreReloKind.FIELD_BYTE_OFFSET),
    "size": ("return bpf_core_field_size(o->a);", CoreReloKind.FIELD_BYTE_SIZE),
    "exists": ("return bpf_core_field_exists(o->a);", CoreReloKind.FIELD_EXISTS),
    "exists_by_type": ("return bpf_core_field_exists(struct outer, mid);", CoreReloKind.FIELD_EXISTS),
    "signed": ("return bpf_core_field_signed(o->a);", CoreReloKind.FIELD_SIGNED),
    "lshift": ("return BPF_CORE_READ_BITFIELD_PROBED(o, flags);", CoreReloKind.FIELD_LSHIFT_U64),
    "rshift": ("return BPF_CORE_READ_BITFIELD(o, sflag);", CoreReloKind.FIELD_RSHIFT_U64),
    "offset_macro": ("return bpf_core_field_offset(struct outer, name);", CoreReloKind.FIELD_BYTE_OFFSET),
    "type_id_local": ("return bpf_core_type_id_local(struct outer);", CoreReloKind.TYPE_ID_LOCAL),
    "type_id_kernel": ("return bpf_core_type_id_kernel(struct outer);", CoreReloKind.TYPE_ID_TARGET),
    "type_exists": ("return bpf_core_type_exists(struct inner);", CoreReloKind.TYPE_EXISTS),
    "type_size": ("return bpf_core_type_size(struct inner);", CoreReloKind.TYPE_SIZE),
    "type_matches": ("return bpf_core_type_matches(struct inner);", CoreReloKind.TYPE_MATCHES),
    "enum_exists": ("return bpf_core_enum_value_exists(enum colour, GREEN);", CoreReloKind.ENUMVAL_EXISTS),
    "enum_value": ("return bpf_core_enum_value(enum colour, RED);", CoreReloKind.ENUMVAL_VALUE),
}


def _relocations(obj: Path) -> tuple[BTF, dict[str, tuple[CoreRelo, ...]]]:
    btf = BTF.from_bytes(section_data(obj, ".BTF"))
    return btf, BTFExt.from_bytes(section_data(obj, ".BTF.ext"), btf).core_relos


@pytest.fixture(scope="module")
def relo_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    body = "".join(
        f'SEC("kprobe/{name}") long prog_{name}(struct outer *o) {{ {code} }}\n'
        for name, (code, _) in CASES.items()
    )
    source = PRELUDE + TYPES + "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n" + body
    return compile_text(tmp_path_factory.mktemp("core"), source)


@pytest.mark.parametrize("name", sorted(CASES))
def test_core_macro_emits_its_relocation_kind(relo_object: Path, name: str) -> None:
    _, relos = _relocations(relo_object)
    assert CASES[name][1] in {relo.kind for relo in relos[f"kprobe/{name}"]}


def test_core_read_chain_relocates_each_hop_against_its_own_struct(relo_object: Path) -> None:
    btf, relos = _relocations(relo_object)
    hops = [btf[r.type_id].name for r in relos["kprobe/offset"] if r.kind is CoreReloKind.FIELD_BYTE_OFFSET]
    assert hops == ["outer", "middle", "inner"]


def test_core_read_chain_probe_reads_once_per_hop(relo_object: Path) -> None:
    assert helper_calls(relo_object, "kprobe/offset") == [113, 113, 113]


@pytest.mark.parametrize("hops", [1, 2, 5, 9])
def test_core_read_follows_up_to_nine_hops(tmp_path: Path, hops: int) -> None:
    path = ", ".join(["next"] * (hops - 1) + ["value"])
    body = f'SEC("kprobe/x") int prog(struct chain *c) {{ return BPF_CORE_READ(c, {path}); }}\n'
    obj = compile_text(
        tmp_path, PRELUDE + TYPES + "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n" + body
    )
    btf, relos = _relocations(obj)
    relocated = {btf[r.type_id].name for r in relos["kprobe/x"] if r.kind is CoreReloKind.FIELD_BYTE_OFFSET}
    # Identical hops (chain->next) share one relocation record, so count the reads instead.
    assert (len(helper_calls(obj, "kprobe/x")), relocated) == (hops, {"chain"})


@pytest.mark.parametrize(
    ("code", "helpers"),
    [
        ("char b[16]; return BPF_CORE_READ_STR_INTO(&b, o, name);", [115]),
        ("int v; return BPF_CORE_READ_INTO(&v, o, mid, in, leaf);", [113, 113, 113]),
        ("return BPF_CORE_READ_USER(o, mid, in, leaf);", [112, 112, 112]),
        ("char b[16]; return BPF_CORE_READ_USER_STR_INTO(&b, o, mid, in);", [112, 114]),
        ("int v; return bpf_core_read(&v, sizeof(v), &o->a);", [113]),
        ("char b[8]; return bpf_core_read_str(b, sizeof(b), &o->name);", [115]),
        ("int v; return bpf_core_read_user(&v, sizeof(v), &o->a);", [112]),
        ("char b[8]; return bpf_core_read_user_str(b, sizeof(b), &o->name);", [114]),
        ("return BPF_PROBE_READ(o, mid, in, leaf);", [113, 113, 113]),
    ],
)
def test_read_macros_call_the_kernel_or_user_probe_read_helpers(
    tmp_path: Path, code: str, helpers: list[int]
) -> None:
    body = f'SEC("kprobe/x") long prog(struct outer *o) {{ {code} }}\n'
    obj = compile_text(
        tmp_path, PRELUDE + TYPES + "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n" + body
    )
    assert helper_calls(obj, "kprobe/x") == helpers


def test_core_cast_calls_rdonly_cast_with_the_kernel_type_id(tmp_path: Path, vmlinux_btf_path: Path) -> None:
    source = '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n'
    source += (
        'SEC("tp/x") int prog(void *ctx) { struct task_struct *t = bpf_core_cast(ctx, struct task_struct); '
    )
    source += "return t->pid; }\n"
    obj = compile_text(tmp_path, source)
    btf, relos = _relocations(obj)
    kinds = {(relo.kind, btf[relo.type_id].name) for relo in relos["tp/x"]}
    assert (CoreReloKind.TYPE_ID_TARGET, "task_struct") in kinds
