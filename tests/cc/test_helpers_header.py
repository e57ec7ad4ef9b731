"""bpf_helpers.h, its generated bpf_helper_defs.h, and bpf_endian.h."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cc_helpers import HELPER_CALL, HELPER_DEFS, PRELUDE, compile_text, section_data, slots
from elftools.elf.elffile import ELFFile
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import BTF, Array, Datasec, Enum, Enum64, Ptr, Struct, Var
from pybpf.cc import gen_helper_defs
from pybpf.cc import vmlinux as vmlinux_module

DECLARATION = re.compile(r"^static .*\(\*const (bpf_\w+)\)\(.*\) = \(void \*\)(\d+);$", re.MULTILINE)
UAPI = Path("/usr/include/linux/bpf.h")

pytestmark = pytest.mark.usefixtures("bpf_cc")


def declared_helpers() -> dict[str, int]:
    return {name: int(value) for name, value in DECLARATION.findall(HELPER_DEFS.read_text())}


@pytest.fixture(scope="module")
def kernel_helper_ids(vmlinux_btf_path: Path) -> dict[str, int]:
    enum = BTF.from_file(vmlinux_btf_path).find("bpf_func_id")
    assert isinstance(enum, Enum)
    return {
        f"bpf_{v.name.removeprefix('BPF_FUNC_')}": v.value
        for v in enum.values
        if v.name not in ("BPF_FUNC_unspec", "__BPF_FUNC_MAX_ID")
    }


def test_every_kernel_helper_is_declared(kernel_helper_ids: dict[str, int]) -> None:
    assert sorted(set(kernel_helper_ids) - set(declared_helpers())) == []


def test_each_declared_helper_id_equals_the_kernels_bpf_func_enum_value(
    kernel_helper_ids: dict[str, int],
) -> None:
    wrong = {
        name: (i, kernel_helper_ids.get(name))
        for name, i in declared_helpers().items()
        if kernel_helper_ids.get(name) != i
    }
    assert wrong == {}


def test_declared_helper_ids_agree_with_the_isa_helper_table() -> None:
    from pybpf.isa.helpers import HELPER_NAMES

    assert {i: name for name, i in declared_helpers().items()} == {
        i: n for i, n in HELPER_NAMES.items() if i != 0
    }


def test_committed_helper_defs_match_a_fresh_generation(vmlinux_btf_path: Path) -> None:
    if not UAPI.is_file():
        pytest.skip(f"{UAPI} (the kernel uapi header with the helper documentation) is not installed")
    ids = gen_helper_defs.parse_helper_ids(vmlinux_module.vmlinux_header(vmlinux_btf_path).read_text())
    helpers, missing = gen_helper_defs.build_helpers(
        ids, gen_helper_defs.parse_uapi_prototypes(UAPI.read_text())
    )
    fresh = gen_helper_defs.render(helpers, source="the kernel's enum bpf_func_id and uapi linux/bpf.h")
    assert (missing, fresh) == ([], HELPER_DEFS.read_text())


DOC = """\
 * Start of BPF helper function descriptions:
 *
 * void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)
 * \tDescription
 * \t\tLook something up.
 *
 * u64 bpf_get_socket_cookie(struct sk_buff *skb)
 * \tDescription
 * \t\tFor tc.
 *
 * u64 bpf_get_socket_cookie(struct bpf_sock_addr *ctx)
 * \tDescription
 * \t\tFor cgroup/connect.
 *
 * int bpf_not_a_prototype(void)
 * \t\tthis line does not open a Description, so the line above is prose
"""


def test_uapi_parser_reads_prototypes_followed_by_description() -> None:
    assert sorted(gen_helper_defs.parse_uapi_prototypes(DOC)) == [
        "bpf_get_socket_cookie",
        "bpf_map_lookup_elem",
    ]


def test_helper_documented_per_context_type_takes_a_void_ctx() -> None:
    proto = gen_helper_defs.parse_uapi_prototypes(DOC)["bpf_get_socket_cookie"]
    assert gen_helper_defs.split_prototype(proto) == ("__u64 ", "bpf_get_socket_cookie", "void *ctx")


@pytest.mark.parametrize(
    ("proto", "expected"),
    [
        (
            "void *bpf_f(struct bpf_map *map, const void *key)",
            ("void *", "bpf_f", "void *map, const void *key"),
        ),
        ("int bpf_f(struct sk_buff *skb, u32 len)", ("long ", "bpf_f", "struct __sk_buff *skb, __u32 len")),
        ("long bpf_f(struct xdp_buff *xdp_md, s32 d)", ("long ", "bpf_f", "struct xdp_md *xdp_md, __s32 d")),
        ("long bpf_f(struct sk_msg_buff *msg, u64 f)", ("long ", "bpf_f", "struct sk_msg_md *msg, __u64 f")),
        ("u64 bpf_f(void)", ("__u64 ", "bpf_f", "void")),
        ("long bpf_f(const char *buf, size_t n)", ("long ", "bpf_f", "const char *buf, unsigned long n")),
        ("struct bpf_sock *bpf_f(void *ctx)", ("struct bpf_sock *", "bpf_f", "void *ctx")),
    ],
)
def test_prototypes_are_rewritten_to_program_side_types(proto: str, expected: tuple[str, str, str]) -> None:
    assert gen_helper_defs.split_prototype(proto) == expected


def test_helper_ids_come_from_the_bpf_func_id_enumerators() -> None:
    text = "enum bpf_func_id {\n\tBPF_FUNC_unspec = 0,\n\tBPF_FUNC_map_lookup_elem = 1,\n\t__BPF_FUNC_MAX_ID = 2,\n};"
    assert gen_helper_defs.parse_helper_ids(text) == {"bpf_map_lookup_elem": 1}


def test_helpers_without_a_prototype_are_reported_missing() -> None:
    helpers, missing = gen_helper_defs.build_helpers({"bpf_a": 1, "bpf_b": 2}, {"bpf_a": "long bpf_a(void)"})
    assert ([h.name for h in helpers], missing) == (["bpf_a"], ["bpf_b"])


def test_rendered_declaration_is_a_const_pointer_to_the_helper_id() -> None:
    helper = gen_helper_defs.Helper(14, "bpf_get_current_pid_tgid", "__u64 ", "void")
    assert helper.declaration() == "static __u64 (*const bpf_get_current_pid_tgid)(void) = (void *)14;"


MAPS = """
struct { __uint(type, 1); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64);
         __uint(pinning, LIBBPF_PIN_BY_NAME); } counts SEC(".maps");
struct { __uint(type, 27); __uint(max_entries, 4096); __ulong(map_extra, 0x100000000ULL); } rb SEC(".maps");
struct { __uint(type, 30); __uint(max_entries, 1); __ulong(map_extra, 7); } bloom SEC(".maps");
struct inner { __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct { __uint(type, 12); __uint(max_entries, 4); __type(key, __u32); __array(values, struct inner); } outer SEC(".maps");
SEC("xdp") int prog(void *ctx) { return 2; }
"""


@pytest.fixture(scope="module")
def map_btf(tmp_path_factory: pytest.TempPathFactory) -> tuple[BTF, dict[str, Struct]]:
    obj = compile_text(tmp_path_factory.mktemp("maps"), PRELUDE + "#include <bpf/bpf_helpers.h>\n" + MAPS)
    btf = BTF.from_bytes(section_data(obj, ".BTF"))
    datasec = btf.find(".maps")
    assert isinstance(datasec, Datasec)
    out = {}
    for info in datasec.vars:
        var = btf[info.type_id]
        assert isinstance(var, Var)
        struct = btf[var.type_id]
        assert isinstance(struct, Struct)
        out[var.name] = struct
    return btf, out


def _member_value(btf: BTF, struct: Struct, name: str) -> int:
    """What __uint encodes: the element count of the array the member points to."""
    member = next(m for m in struct.members if m.name == name)
    ptr = btf[member.type_id]
    assert isinstance(ptr, Ptr)
    array = btf[ptr.type_id]
    assert isinstance(array, Array)
    return array.nelems


@pytest.mark.parametrize(("name", "expected"), [("type", 1), ("max_entries", 64), ("pinning", 1)])
def test_uint_map_attribute_is_encoded_as_an_array_length(
    map_btf: tuple[BTF, dict[str, Struct]], name: str, expected: int
) -> None:
    btf, maps = map_btf
    assert _member_value(btf, maps["counts"], name) == expected


@pytest.mark.parametrize(("name", "size"), [("key", 4), ("value", 8)])
def test_type_map_attribute_points_to_the_given_type(
    map_btf: tuple[BTF, dict[str, Struct]], name: str, size: int
) -> None:
    btf, maps = map_btf
    member = next(m for m in maps["counts"].members if m.name == name)
    ptr = btf[member.type_id]
    assert isinstance(ptr, Ptr) and btf.size_of(ptr.type_id) == size


def test_ulong_map_attribute_carries_a_64_bit_value_in_an_enum(
    map_btf: tuple[BTF, dict[str, Struct]],
) -> None:
    btf, maps = map_btf
    member = next(m for m in maps["rb"].members if m.name == "map_extra")
    enum = btf.resolve(member.type_id)
    assert isinstance(enum, Enum | Enum64)
    assert [v.value for v in enum.values] == [0x100000000]


def test_array_map_attribute_is_an_array_of_pointers_to_the_inner_definition(
    map_btf: tuple[BTF, dict[str, Struct]],
) -> None:
    btf, maps = map_btf
    member = next(m for m in maps["outer"].members if m.name == "values")
    array = btf[member.type_id]
    assert isinstance(array, Array) and array.nelems == 0
    pointer = btf[array.elem_type_id]
    assert isinstance(pointer, Ptr) and btf[pointer.type_id].name == "inner"


def test_ulong_attributes_of_several_maps_do_not_clash(map_btf: tuple[BTF, dict[str, Struct]]) -> None:
    _, maps = map_btf
    assert {"rb", "bloom"} <= set(maps)


@pytest.mark.parametrize(
    "check",
    [
        "bpf_htons(0x1234) == 0x3412",
        "bpf_ntohs(0x3412) == 0x1234",
        "bpf_htonl(0x12345678) == 0x78563412",
        "bpf_ntohl(0x78563412) == 0x12345678",
        "bpf_cpu_to_be64(0x0102030405060708ULL) == 0x0807060504030201ULL",
        "bpf_be64_to_cpu(0x0807060504030201ULL) == 0x0102030405060708ULL",
        "bpf_constant_htons(0x00ff) == 0xff00",
        "bpf_constant_htonl(1) == 0x01000000",
        "bpf_constant_cpu_to_be64(1) == 0x0100000000000000ULL",
        "KERNEL_VERSION(6, 1, 300) == ((6 << 16) + (1 << 8) + 255)",
        "KERNEL_VERSION(5, 15, 3) == 0x050f03",
    ],
)
def test_constant_macro_folds_to_the_right_value(tmp_path: Path, check: str) -> None:
    source = PRELUDE + "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_endian.h>\n"
    source += f'_Static_assert({check}, "{check}");\nSEC("xdp") int prog(void *ctx) {{ return 2; }}\n'
    compile_text(tmp_path, source)


def test_bpf_htons_of_a_variable_is_one_byte_swap(tmp_path: Path) -> None:
    source = PRELUDE + "#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_endian.h>\n"
    source += 'SEC("xdp") int prog(struct { __u32 v; } *ctx) { return bpf_htons((__u16)ctx->v); }\n'
    insns = slots(compile_text(tmp_path, source), "xdp")
    assert [(i.opcode, i.imm) for i in insns if i.opcode == 0xDC] == [(0xDC, 16)]


def test_tail_call_static_passes_the_slot_as_an_immediate(tmp_path: Path) -> None:
    source = PRELUDE + "#include <bpf/bpf_helpers.h>\n"
    source += 'struct { __uint(type, 3); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } jt SEC(".maps");\n'
    source += 'SEC("xdp") int prog(void *ctx) { bpf_tail_call_static(ctx, &jt, 5); return 2; }\n'
    insns = slots(compile_text(tmp_path, source), "xdp")
    call = next(n for n, i in enumerate(insns) if i.opcode == HELPER_CALL)
    assert (insns[call].imm, insns[call - 1].opcode, insns[call - 1].dst, insns[call - 1].imm) == (
        12,
        0xB7,
        3,
        5,
    )


def test_printk_format_is_a_static_string_in_rodata(tmp_path: Path) -> None:
    source = (
        PRELUDE
        + '#include <bpf/bpf_helpers.h>\nSEC("tp/x") int prog(void *ctx) { bpf_printk("pid %d", 7); return 0; }\n'
    )
    assert b"pid %d\x00" in section_data(compile_text(tmp_path, source), ".rodata")


@pytest.mark.parametrize("macro", ["__always_inline", "__noinline", "__weak", "__hidden"])
def test_function_attribute_macros_apply_to_a_definition(tmp_path: Path, macro: str) -> None:
    source = PRELUDE + f"#include <bpf/bpf_helpers.h>\n{macro} int helper(int x) {{ return x + 1; }}\n"
    source += 'SEC("xdp") int prog(void *ctx) { return helper(1) + likely(1) + unlikely(0); }\n'
    compile_text(tmp_path, source)


def test_ksym_and_kconfig_externs_land_in_their_sections(tmp_path: Path) -> None:
    source = PRELUDE + "#include <bpf/bpf_helpers.h>\nextern int LINUX_KERNEL_VERSION __kconfig;\n"
    source += "extern const void bpf_prog_active __ksym __weak;\n"
    source += 'SEC("tp/x") int prog(void *ctx) { int v = LINUX_KERNEL_VERSION; barrier_var(v); '
    source += "return v + bpf_ksym_exists(bpf_prog_active); }\n"
    btf = BTF.from_bytes(section_data(compile_text(tmp_path, source), ".BTF"))
    assert {btf.find(".kconfig").kind.name, btf.find(".ksyms").kind.name} == {"DATASEC"}


def _relocated_symbols(obj: Path, section: str) -> list[str]:
    with obj.open("rb") as handle:
        elf = ELFFile(handle)
        relocations = elf.get_section_by_name(f".rel{section}")
        assert relocations is not None
        symbols = elf.get_section(relocations["sh_link"])
        return [symbols.get_symbol(r["r_info_sym"]).name for r in relocations.iter_relocations()]


@pytest.mark.parametrize(
    "loop",
    ["bpf_for(i, 0, 10) sum += i;", "bpf_repeat(3) sum++;", "bpf_for_each(num, v, 0, 4) sum += *v;"],
)
def test_open_coded_iterator_calls_new_next_and_destroy_kfuncs(
    tmp_path: Path, vmlinux_btf_path: Path, loop: str
) -> None:
    source = '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n'
    source += f'SEC("tp/x") int prog(void *ctx) {{ int i, sum = 0, *v; {loop} return sum; }}\n'
    called = set(_relocated_symbols(compile_text(tmp_path, source), "tp/x"))
    assert called == {"bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy"}


_doc_lines = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.builds(lambda t: f" * {t}", st.text(max_size=40)),
        st.builds(
            lambda r, n, a: f" * {r} bpf_{n}({a})",
            st.text(max_size=8),
            st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
            st.text(max_size=20),
        ),
        st.just(" * \tDescription"),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(_doc_lines)
def test_uapi_parser_never_fails_and_every_result_splits(lines: list[str]) -> None:
    text = "Start of BPF helper function descriptions\n" + "\n".join(lines)
    for proto in gen_helper_defs.parse_uapi_prototypes(text).values():
        name = gen_helper_defs.split_prototype(proto)[1]
        assert name.startswith("bpf_")
