"""The object's BTF is fixed up (DATASEC layouts, externs) and sanitised for older kernels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pybpf.btf import BTF, Datasec, DeclTag, Enum64, Float, Func, Kind, Linkage, TypeTag, Var
from pybpf.btf.types import AnyType
from pybpf.kernel import btf_load
from pybpf.runtime.btfprep import (
    BTFFeature,
    encode_for,
    fixed_blob,
    fixed_types,
    kernel_supports,
    missing_features,
    sanitise,
)
from pybpf.spec import ObjectSpec

#: Kind that disappears when a feature is treated as missing.
REMOVED_KIND = {
    BTFFeature.DECL_TAG: DeclTag,
    BTFFeature.TYPE_TAG: TypeTag,
    BTFFeature.ENUM64: Enum64,
    BTFFeature.FLOAT: Float,
    BTFFeature.DATASEC: Datasec,
}


@pytest.fixture(scope="module")
def features_spec(build_object: Callable[[str], Path]) -> ObjectSpec:
    return ObjectSpec.from_file(build_object("features"))


def _types(spec: ObjectSpec) -> list[AnyType]:
    assert spec.btf is not None
    return fixed_types(spec.btf, spec.section_layouts)


def test_datasec_sizes_and_offsets_come_from_the_section_layouts(features_spec: ObjectSpec) -> None:
    for t in _types(features_spec):
        if isinstance(t, Datasec) and t.name in features_spec.section_layouts:
            layout = features_spec.section_layouts[t.name]
            assert t.size == layout.size
            assert all(v.offset + v.size <= t.size for v in t.vars)


def test_datasec_variables_are_sorted_by_offset(features_spec: ObjectSpec) -> None:
    for t in _types(features_spec):
        if isinstance(t, Datasec):
            offsets = [v.offset for v in t.vars]
            assert offsets == sorted(offsets)


def test_fixed_btf_keeps_every_type_id_in_place(features_spec: ObjectSpec) -> None:
    assert features_spec.btf is not None
    ids = [t.id for t in _types(features_spec)]
    assert ids[: len(features_spec.btf.own_ids())] == list(features_spec.btf.own_ids())


def test_object_btf_uses_every_probed_feature(features_spec: ObjectSpec) -> None:
    used = {type(t) for t in _types(features_spec)}
    assert {DeclTag, TypeTag, Enum64, Float, Datasec} <= used


@pytest.mark.parametrize("feature", list(REMOVED_KIND), ids=lambda f: f.value)
def test_sanitising_a_missing_feature_removes_its_kind(
    features_spec: ObjectSpec, feature: BTFFeature
) -> None:
    result = sanitise(_types(features_spec), {feature})
    assert not any(isinstance(t, REMOVED_KIND[feature]) for t in result)


def test_sanitising_func_linkage_makes_every_function_static(features_spec: ObjectSpec) -> None:
    result = sanitise(_types(features_spec), {BTFFeature.FUNC_LINKAGE})
    funcs = [t for t in result if isinstance(t, Func)]
    assert funcs and all(int(t.linkage) == Linkage.STATIC for t in funcs)


def test_sanitised_btf_still_parses_with_the_same_type_count(features_spec: ObjectSpec) -> None:
    assert features_spec.btf is not None
    types = _types(features_spec)
    blob = encode_for(features_spec.btf, sanitise(types, set(BTFFeature)))
    assert len(BTF.from_bytes(blob).own_ids()) == len(types)


@pytest.mark.kernel
@pytest.mark.parametrize(
    "missing",
    [set(), *({f} for f in BTFFeature), set(BTFFeature)],
    ids=["none", *(f.value for f in BTFFeature), "all"],
)
def test_kernel_accepts_the_object_btf_sanitised_for_missing_features(
    bpf_ok: None, features_spec: ObjectSpec, missing: set[BTFFeature]
) -> None:
    assert features_spec.btf is not None
    blob = encode_for(features_spec.btf, sanitise(_types(features_spec), missing))
    btf_load(blob).close()


@pytest.mark.kernel
def test_running_kernel_misses_no_feature_the_object_uses(bpf_ok: None, features_spec: ObjectSpec) -> None:
    # 6.x kernels know every kind; a wrong probe would needlessly degrade the BTF.
    assert missing_features(_types(features_spec)) == set()


@pytest.mark.kernel
@pytest.mark.parametrize("feature", list(BTFFeature), ids=lambda f: f.value)
def test_feature_probe_finds_the_feature_on_this_kernel(bpf_ok: None, feature: BTFFeature) -> None:
    assert kernel_supports(feature)


def test_extern_variables_get_an_allocated_linkage(bpf_ok: None, build_object: Callable[[str], Path]) -> None:
    spec = ObjectSpec.from_file(build_object("globals"))
    assert spec.btf is not None
    externs = [t for t in _types(spec) if isinstance(t, Var) and t.name.startswith(("CONFIG_", "LINUX_"))]
    assert externs and all(int(t.linkage) == Linkage.GLOBAL for t in externs)
    assert spec.btf.find(".kconfig", Kind.DATASEC) is not None


@pytest.mark.kernel
def test_object_using_every_btf_feature_loads_and_runs(bpf_ok: None, features_spec: ObjectSpec) -> None:
    import pybpf.runtime

    with pybpf.runtime.load(features_spec) as obj:
        assert obj.programs["uses_all"].test_run(bytes(64)).retval == 1


@pytest.mark.parametrize("name", ["features", "globals", "ksyms", "maps", "bootstrap", "task_iter"])
def test_fast_fixed_blob_equals_the_full_re_encoding(build_object: Callable[[str], Path], name: str) -> None:
    spec = ObjectSpec.from_file(build_object(name))
    assert spec.btf is not None
    expected = encode_for(spec.btf, fixed_types(spec.btf, spec.section_layouts))
    assert fixed_blob(spec.btf, spec.section_layouts) == expected


@pytest.mark.kernel
def test_btf_refused_for_a_missing_kind_is_sanitised_and_loaded_again(
    bpf_ok: None, features_spec: ObjectSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plays an older kernel that lacks decl tags: refuses BTF holding them, and says so when probed."""
    import pybpf.runtime
    import pybpf.runtime.btfprep as btfprep
    import pybpf.runtime.kernel as runtime_kernel
    from pybpf.kernel import BTFLoadError, btf_info

    real_load = runtime_kernel.btf_load

    def old_kernel_load(blob: bytes) -> object:
        if any(isinstance(t, DeclTag) for t in BTF.from_bytes(blob)):
            raise BTFLoadError("the kernel rejected the BTF", errno=22, log="[9] DECL_TAG Invalid kind")
        return real_load(blob)

    monkeypatch.setattr(runtime_kernel, "btf_load", old_kernel_load)
    monkeypatch.setattr(btfprep, "kernel_supports", lambda feature: feature is not BTFFeature.DECL_TAG)
    with pybpf.runtime.load(features_spec) as obj:
        assert obj.btf_fd is not None
        loaded = btf_info(obj.btf_fd, data=True).data
        assert loaded is not None
        assert not any(isinstance(t, DeclTag) for t in BTF.from_bytes(loaded))
        assert obj.programs["uses_all"].test_run(bytes(64)).retval == 1
