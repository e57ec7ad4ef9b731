"""``KernelRuntime``: an :class:`~pybpf.spec.ObjectSpec` into the running kernel.

Order matters and follows what the verifier needs to see: BTF first (maps and programs refer to
it), then maps (programs embed their fds; ``.rodata`` must be initialised and frozen before a
program is verified, so the verifier can prune on its constant values), then programs, and only
then the initial slots of prog arrays and map-in-maps, which need the fds of both.
"""

from __future__ import annotations

import os

from pybpf._typing import TYPE_CHECKING

from ..btf import BTF
from ..enums import MapFlags, MapType, PinType, ProgramType
from ..errors import Error
from ..kernel import (
    FD,
    BTFLoadError,
    KernelError,
    PermissionDenied,
    VerifierError,
    btf_load,
    map_create,
    map_freeze,
    map_update,
    possible_cpus,
    prog_load,
    prog_load_with_log,
)
from ..spec import ExternKind, MapOrigin, MapSpec, ObjectSpec, ProgramSpec
from .btfprep import encode_for, fixed_blob, fixed_types, missing_features, sanitise
from .errors import LoadError, ProgramVerifierError
from .maps import Map
from .objects import Object
from .progload import attach_btf_id, kernel_name, load_kwargs, load_options, source_lookup
from .programs import Program
from .relocate import ExternResolver, apply_relocations

if TYPE_CHECKING:
    from ..btf.core import CoreRelocation
    from ..btf.types import AnyType
    from . import structops


class _Loader:
    """State of one load; on any failure every fd created so far is closed."""

    def __init__(
        self,
        spec: ObjectSpec,
        *,
        target_btf: BTF | None,
        pin_path: str | os.PathLike[str] | None,
        log_level: int,
    ) -> None:
        self.spec = spec
        self.target_btf = target_btf
        self.pin_path = pin_path
        self.log_level = log_level
        self.obj = Object(spec)
        self.codec_btf: BTF | None = spec.btf
        self._core_target: BTF | None = target_btf
        self._to_pin: list[tuple[Map, str]] = []
        self._bpffs_checked = False
        self._struct_ops: dict[str, structops.StructOpsTarget] = {}
        self._struct_ops_programs: dict[str, structops.ProgramTarget] = {}

    def core_target(self) -> BTF:
        """The BTF CO-RE relocates against: the one given to load(), else the running kernel's."""
        if self._core_target is None:
            self._core_target = BTF.vmlinux()
        return self._core_target

    # ------------------------------------------------------------------ BTF

    def load_btf(self) -> None:
        btf = self.spec.btf
        if btf is None:
            return
        layouts = self.spec.section_layouts
        blob = fixed_blob(btf, layouts)
        try:
            # Optimistic: a current kernel takes the fixed BTF as is, sparing the feature probes.
            self.obj.btf_fd = btf_load(blob)
        except BTFLoadError as first:
            types: list[AnyType] = fixed_types(btf, layouts)
            missing = missing_features(types)
            if not missing:
                first.add_note("the object's BTF uses no kind this kernel lacks: it is malformed")
                raise
            try:
                self.obj.btf_fd = btf_load(encode_for(btf, sanitise(types, missing)))
            except BTFLoadError as exc:
                names = ", ".join(sorted(f.value for f in missing))
                exc.add_note(f"after replacing what this kernel lacks ({names})")
                raise
        if any(m.is_global_data for m in self.spec.maps.values()):
            self.codec_btf = BTF.from_bytes(blob)

    # ------------------------------------------------------------------ maps

    def _create(self, spec: MapSpec, max_entries: int, flags: int, inner: FD | None) -> FD:
        btf_fd = self.obj.btf_fd
        with_btf = btf_fd is not None and (spec.key_type_id or spec.value_type_id)
        common = dict(
            map_type=int(spec.type),
            key_size=spec.key_size,
            value_size=spec.value_size,
            max_entries=max_entries,
            flags=flags,
            name=kernel_name(spec.name),
            inner_map_fd=inner,
            map_extra=spec.map_extra,
            numa_node=spec.numa_node if flags & MapFlags.NUMA_NODE else None,
        )
        if with_btf:
            try:
                return map_create(
                    btf_fd=btf_fd,
                    btf_key_type_id=spec.key_type_id,
                    btf_value_type_id=spec.value_type_id,
                    **common,  # type: ignore[arg-type]
                )
            except PermissionDenied:
                raise
            except KernelError:
                pass  # some map types take no BTF (or not this BTF): as libbpf, retry without
        return map_create(**common)  # type: ignore[arg-type]

    def _max_entries(self, spec: MapSpec) -> int:
        if spec.type is MapType.PERF_EVENT_ARRAY and not spec.max_entries:
            return possible_cpus()
        return spec.max_entries

    def plan_struct_ops(self) -> None:
        for spec in self.spec.maps.values():
            if spec.type is MapType.STRUCT_OPS:
                from . import structops  # only struct_ops objects pay for its import

                self._struct_ops[spec.name] = structops.target_of(self.spec, spec, BTF.vmlinux())
        if self._struct_ops:
            from . import structops

            self._struct_ops_programs = structops.program_targets(self.spec, self._struct_ops)

    def create_map(self, spec: MapSpec) -> Map:
        target = self._struct_ops.get(spec.name)
        if target is not None:
            from . import structops

            ops = Map(
                structops.create(spec, target, self.obj.btf_fd, kernel_name(spec.name)),
                spec.name,
                spec.type,
                4,
                target.wrapper_size,
                1,
                int(spec.flags),
            )
            self.obj.maps[spec.name] = ops
            return ops
        max_entries = self._max_entries(spec)
        flags = int(spec.flags)
        if spec.is_global_data:
            flags |= MapFlags.MMAPABLE
        fd: FD | None = None
        fresh = True
        path = ""
        if spec.pinning == PinType.BY_NAME:
            if self.pin_path is None and not self._bpffs_checked:
                from ..kernel import ensure_bpffs  # only pinned maps need bpffs

                ensure_bpffs()  # the default pin path: mount bpffs there if nobody has
                self._bpffs_checked = True
            from .pinning import pin_location, reuse_pinned  # only pinned maps need it

            path = pin_location(spec, self.pin_path)
            fd = reuse_pinned(spec, path, max_entries, flags)
            fresh = fd is None
        if fd is None:
            inner_fd: FD | None = None
            if spec.inner is not None:
                inner = spec.inner
                inner_fd = self._create(inner, self._max_entries(inner), int(inner.flags), None)
            try:
                fd = self._create(spec, max_entries, flags, inner_fd)
            finally:
                if inner_fd is not None:
                    inner_fd.close()
        m = Map(
            fd,
            spec.name,
            spec.type,
            spec.key_size,
            spec.value_size,
            max_entries,
            flags,
            btf=self.codec_btf,
            key_type_id=spec.key_type_id,
            value_type_id=spec.value_type_id,
        )
        self.obj.maps[spec.name] = m
        if fresh:
            self._initialise(spec, m)
            if path:
                self._to_pin.append((m, path))
        return m

    def _initialise(self, spec: MapSpec, m: Map) -> None:
        data: bytes | None = spec.data
        if spec.origin is MapOrigin.KCONFIG:
            from .kconfig import kconfig_data  # only objects with __kconfig externs read the config

            data = kconfig_data(self.spec.btf, self.spec.externs.values(), spec.value_size)
        if data is not None and spec.is_global_data:
            data = data[: spec.value_size].ljust(spec.value_size, b"\0")
            if any(data) or spec.readonly:
                map_update(m.fd, bytes(4), data)
        for key, value in spec.contents:
            map_update(m.fd, key, value)
        if spec.readonly and spec.is_global_data:
            map_freeze(m.fd)

    def create_maps(self) -> None:
        for spec in self.spec.maps.values():
            try:
                self.create_map(spec)
            except KernelError as exc:
                exc.add_note(f"while creating map {spec.name!r} ({spec})")
                raise

    # ------------------------------------------------------------------ programs

    def _map_fd(self, name: str) -> int:
        m = self.obj.maps.get(name)
        if m is None:
            raise LoadError(f"a program refers to map {name!r}, which the object does not define")
        return int(m.fd)

    def bytecode(self, prog: ProgramSpec) -> tuple[bytearray, list[CoreRelocation]]:
        """The program's bytes with CO-RE applied against the target BTF (a new copy)."""
        if not prog.core_relocations or self.spec.btf is None:
            return bytearray(prog.bytecode()), []
        from ..btf.core import CoreError, relocate
        from ..isa.instruction import encode

        try:
            insns, results = relocate(
                prog.instructions, prog.core_relocations, self.spec.btf, self.core_target()
            )
        except CoreError as exc:
            exc.add_note(
                f"while applying CO-RE relocations of program {prog.name!r} (section {prog.section!r})"
            )
            raise
        return bytearray(encode(insns)), results

    def load_program(self, prog: ProgramSpec, resolver: ExternResolver) -> Program:
        code, core_results = self.bytecode(prog)
        apply_relocations(prog, code, self._map_fd, self.spec.externs, resolver)
        ops = self._struct_ops_programs.get(prog.name)
        options = load_options(
            prog,
            btf_fd=self.obj.btf_fd,
            kern_version=prog.kernel_version or self.spec.kernel_version,
            attach_btf_id=ops.attach_btf_id
            if ops
            else attach_btf_id(prog, BTF.vmlinux)
            if prog.attach_btf
            else 0,
            expected_attach_type=ops.member_index if ops else None,
        )
        license = prog.license or self.spec.license or "GPL"
        log = ""
        try:
            if self.log_level:
                fd, log = prog_load_with_log(
                    int(prog.type), bytes(code), license, log_level=self.log_level, options=options
                )
            else:
                fd = prog_load(int(prog.type), bytes(code), license, **load_kwargs(options))
        except VerifierError as exc:
            error = ProgramVerifierError(
                prog.name, prog.section, errno=exc.errno or 0, log=exc.log, truncated=exc.truncated
            )
            error.add_source(source_lookup(prog))
            if core_results:
                from ..btf.core import explain_verifier_log

                error.core_explanation = explain_verifier_log(exc.log, core_results)
                if error.core_explanation:
                    error.add_note(error.core_explanation)
            raise error from None
        except KernelError as exc:
            if prog.type in (ProgramType.TRACING, ProgramType.LSM, ProgramType.EXT):
                # A refused trampoline program: name the kernel option it lacks, not a capability.
                from ..kernel.config import trampoline_unsupported

                kind = prog.section.split("/", 1)[0].split(".", 1)[0]
                exc = trampoline_unsupported(exc, kind, prog.attach_target or "")
            exc.program = prog.name
            exc.add_note(f"while loading program {prog.name!r} (section {prog.section!r})")
            raise exc from None
        program = Program(
            fd,
            prog.name,
            prog.type,
            section=prog.section,
            expected_attach_type=prog.expected_attach_type,
            attach_target=prog.attach_target,
            verifier_log=log,
        )
        self.obj.programs[prog.name] = program
        return program

    def load_programs(self) -> None:
        resolver = ExternResolver(self.spec.btf, BTF.vmlinux)  # ksyms live in the real kernel
        for prog in self.spec.programs.values():
            if not prog.autoload:
                continue
            if prog.type is ProgramType.STRUCT_OPS and prog.name not in self._struct_ops_programs:
                continue  # in no struct_ops table: nothing to load it against (libbpf skips it too)
            self.load_program(prog, resolver)

    def fill_struct_ops(self) -> None:
        def prog_fd(name: str) -> int | None:
            prog = self.obj.programs.get(name)
            return int(prog.fd) if prog is not None else None

        if not self._struct_ops:
            return
        from . import structops

        vmlinux = BTF.vmlinux()
        for name, target in self._struct_ops.items():
            spec = self.spec.maps[name]
            data = structops.value(self.spec, spec, target, vmlinux, prog_fd)
            try:
                map_update(self.obj.maps[name].fd, bytes(4), data)
            except KernelError as exc:
                exc.add_note(f"while filling struct_ops map {name!r} ({target.kernel_struct.name})")
                raise
            if not spec.flags & MapFlags.LINK:
                # Filling a legacy (link-less) struct_ops map registers it with the kernel at once;
                # the object unregisters it when it closes, or it would outlive the process.
                self.obj.registered_struct_ops.append(self.obj.maps[name])

    # ------------------------------------------------------------------ slots, pins

    def fill_slots(self) -> None:
        for spec in self.spec.maps.values():
            if not spec.slots:
                continue
            m = self.obj.maps[spec.name]
            for index, target in spec.slots.items():
                if spec.type is MapType.PROG_ARRAY:
                    prog = self.obj.programs.get(target)
                    if prog is None:
                        if target in self.spec.programs:
                            continue  # not autoloaded: leave the slot empty
                        raise LoadError(f"prog array {spec.name!r} slot {index}: no program {target!r}")
                    fd = int(prog.fd)
                else:
                    inner = self.obj.maps.get(target)
                    if inner is None:
                        raise LoadError(f"map {spec.name!r} slot {index}: no map {target!r}")
                    fd = int(inner.fd)
                map_update(m.fd, index.to_bytes(spec.key_size or 4, "little"), fd.to_bytes(4, "little"))

    def pin_new(self) -> None:
        if not self._to_pin:
            return
        from ..kernel import obj_pin

        for m, path in self._to_pin:
            obj_pin(m.fd, path)

    def run(self) -> Object:
        try:
            self.load_btf()
            self.plan_struct_ops()
            self.create_maps()
            self.load_programs()
            self.fill_slots()
            self.fill_struct_ops()
            self.pin_new()
        except BaseException:
            self.obj.close()
            raise
        return self.obj


class KernelRuntime:
    """Loads specs with ``bpf()``.  ``btf`` is the target BTF for CO-RE (default: vmlinux)."""

    name = "kernel"

    def __init__(
        self,
        *,
        btf: BTF | None = None,
        pin_path: str | os.PathLike[str] | None = None,
        log_level: int = 0,
    ) -> None:
        self.btf = btf
        self.pin_path = pin_path
        self.log_level = log_level

    def load(self, spec: ObjectSpec) -> Object:
        """Create the object's maps and load its programs; the spec is left untouched."""
        if not isinstance(spec, ObjectSpec):
            raise Error(f"expected an ObjectSpec, got {type(spec).__name__}")
        for ext in spec.externs.values():
            if ext.kind is ExternKind.KCONFIG and ".kconfig" not in spec.maps:
                raise LoadError(f"kconfig extern {ext.name!r} but the object has no .kconfig map")
        loader = _Loader(spec, target_btf=self.btf, pin_path=self.pin_path, log_level=self.log_level)
        return loader.run()


__all__ = ["KernelRuntime"]
