"""``STRUCT_OPS`` maps: kernel ops tables whose function members are BPF programs.

The kernel wants three things an ordinary map does not have.  Each program of the table is
loaded against the kernel struct it implements (``attach_btf_id`` = that struct's vmlinux id,
``expected_attach_type`` = the member's index).  The map is created with the vmlinux id of the
kernel's wrapper struct ``bpf_struct_ops_<name>`` as its value type.  And its one value is that
wrapper with the ``data`` member laid out as the *kernel's* struct, not the object's: members are
matched by name, function pointers replaced by program fds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pybpf._dataclasses import dataclass

from ..btf import BTF, FuncProto, Ptr, Struct
from ..enums import MapType
from ..kernel import FD, map_create
from ..spec import MapSpec, ObjectSpec
from .errors import LoadError

WRAPPER_PREFIX = "bpf_struct_ops_"


@dataclass(frozen=True)
class StructOpsTarget:
    """Where one struct_ops map lands in the running kernel."""

    kernel_struct: Struct
    wrapper_id: int
    wrapper_size: int
    data_offset: int


@dataclass(frozen=True)
class ProgramTarget:
    """What a struct_ops program is loaded against."""

    attach_btf_id: int
    member_index: int


def _essential(name: str) -> str:
    return name.split("___", 1)[0]


def target_of(spec: ObjectSpec, m: MapSpec, vmlinux: BTF) -> StructOpsTarget:
    """The kernel struct and wrapper behind a struct_ops map; :class:`LoadError` if unknown."""
    local = spec.btf.get(m.value_type_id) if spec.btf is not None else None
    if not isinstance(local, Struct):
        raise LoadError(f"struct_ops map {m.name!r} has no struct type in the object's BTF")
    name = _essential(local.name)
    kernel = next((t for t in vmlinux.find_all(name) if isinstance(t, Struct)), None)
    wrapper = next((t for t in vmlinux.find_all(WRAPPER_PREFIX + name) if isinstance(t, Struct)), None)
    if kernel is None or wrapper is None:
        raise LoadError(f"struct_ops map {m.name!r}: the running kernel has no struct_ops type {name!r}")
    data = next((mem for mem in wrapper.members if mem.name == "data"), None)
    if data is None:
        raise LoadError(f"struct_ops map {m.name!r}: {wrapper.name} has no data member")
    return StructOpsTarget(kernel, wrapper.id, wrapper.size, data.bit_offset // 8)


def program_targets(spec: ObjectSpec, targets: Mapping[str, StructOpsTarget]) -> dict[str, ProgramTarget]:
    """Program name → kernel struct id and member index, from the maps' function members."""
    found: dict[str, ProgramTarget] = {}
    for map_name, target in targets.items():
        members = [mem.name for mem in target.kernel_struct.members]
        for member, prog_name in spec.maps[map_name].functions.items():
            if member not in members:
                raise LoadError(
                    f"struct_ops map {map_name!r}: the kernel's {target.kernel_struct.name} has no member {member!r}"
                )
            found[prog_name] = ProgramTarget(target.kernel_struct.id, members.index(member))
    return found


def create(m: MapSpec, target: StructOpsTarget, btf_fd: FD | None, name: str) -> FD:
    if btf_fd is None:
        raise LoadError(f"struct_ops map {m.name!r} needs the object's BTF loaded in the kernel")
    return map_create(
        int(MapType.STRUCT_OPS),
        4,
        target.wrapper_size,
        1,
        int(m.flags),
        name,
        btf_fd=btf_fd,
        btf_vmlinux_value_type_id=target.wrapper_id,
    )


def _is_func_ptr(btf: BTF, type_id: int) -> bool:
    t = btf.resolve(type_id)
    return isinstance(t, Ptr) and isinstance(btf.resolve(t.type_id), FuncProto)


def value(
    spec: ObjectSpec, m: MapSpec, target: StructOpsTarget, vmlinux: BTF, prog_fd: Callable[[str], int | None]
) -> bytes:
    """The wrapper struct's bytes: object data moved to the kernel's member offsets, fds in."""
    assert spec.btf is not None
    local = spec.btf.resolve(m.value_type_id)
    assert isinstance(local, Struct)
    data = (m.data or b"").ljust(m.value_size, b"\0")
    local_members = {mem.name: mem for mem in local.members}
    out = bytearray(target.wrapper_size)
    base = target.data_offset
    for kmem in target.kernel_struct.members:
        at = base + kmem.bit_offset // 8
        if _is_func_ptr(vmlinux, kmem.type_id):
            prog = m.functions.get(kmem.name)
            fd = prog_fd(prog) if prog is not None else None
            if fd is not None:
                out[at : at + 8] = fd.to_bytes(8, "little")
            continue
        lmem = local_members.get(kmem.name)
        if lmem is None or lmem.bitfield_size or kmem.bitfield_size:
            continue
        size = vmlinux.size_of(kmem.type_id)
        if spec.btf.size_of(lmem.type_id) != size:
            raise LoadError(
                f"struct_ops map {m.name!r}: member {kmem.name!r} is {spec.btf.size_of(lmem.type_id)} bytes "
                f"in the object but {size} in the kernel"
            )
        start = lmem.bit_offset // 8
        out[at : at + size] = data[start : start + size]
    for name in local_members:
        if name not in {k.name for k in target.kernel_struct.members}:
            lmem = local_members[name]
            start, size = lmem.bit_offset // 8, spec.btf.size_of(lmem.type_id)
            if any(data[start : start + size]) or name in m.functions:
                raise LoadError(f"struct_ops map {m.name!r}: the kernel's struct has no member {name!r}")
    return bytes(out)


__all__ = ["ProgramTarget", "StructOpsTarget", "create", "program_targets", "target_of", "value"]
