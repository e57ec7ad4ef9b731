"""``KernelRuntime``: an :class:`~pybpf.spec.ObjectSpec` into the running kernel.

Order matters and follows what the verifier needs to see: BTF first (maps and programs refer to
it), then maps (programs embed their fds; ``.rodata`` must be initialised and frozen before a
program is verified, so the verifier can prune on its constant values), then programs, and only
then the initial slots of prog arrays and map-in-maps, which need the fds of both.
"""

from __future__ import annotations

import bisect
import os
import re
import struct
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..btf import BTF, Kind
from ..enums import AttachType, MapFlags, MapType, PinType, ProgramType
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
    obj_pin,
    possible_cpus,
    prog_load,
)
from ..spec import ExternKind, MapOrigin, MapSpec, ObjectSpec, ProgramSpec
from .btfprep import encode_for, fixed_types, missing_features, sanitise
from .errors import LoadError, ProgramVerifierError
from .kconfig import kconfig_data, kernel_version
from .maps import Map
from .objects import Object
from .pinning import pin_location, reuse_pinned
from .programs import Program
from .relocate import ExternResolver, apply_relocations

if TYPE_CHECKING:
    from ..btf.types import AnyType

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.]")
_FUNC_INFO = struct.Struct("<II")
_LINE_INFO = struct.Struct("<IIII")

#: expected attach type → (prefix of the kernel BTF name, kind) for BTF-attached programs.
_ATTACH_BTF_NAMES: dict[AttachType, tuple[str, Kind]] = {
    AttachType.TRACE_ITER: ("bpf_iter_", Kind.FUNC),
    AttachType.TRACE_RAW_TP: ("btf_trace_", Kind.TYPEDEF),
    AttachType.LSM_MAC: ("bpf_lsm_", Kind.FUNC),
    AttachType.LSM_CGROUP: ("bpf_lsm_", Kind.FUNC),
}


def kernel_name(name: str) -> str:
    """An object name the kernel accepts: ``[A-Za-z0-9_.]``, at most 15 bytes."""
    return _NAME_CHARS.sub("_", name)[:15]


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
        self._kernel_btf: BTF | None = target_btf
        self._to_pin: list[tuple[Map, str]] = []

    def kernel_btf(self) -> BTF:
        if self._kernel_btf is None:
            self._kernel_btf = BTF.vmlinux()
        return self._kernel_btf

    # ------------------------------------------------------------------ BTF

    def load_btf(self) -> None:
        btf = self.spec.btf
        if btf is None:
            return
        types: list[AnyType] = fixed_types(btf, self.spec.section_layouts)
        fixed_blob = encode_for(btf, types)
        missing = missing_features(types)
        blob = encode_for(btf, sanitise(types, missing)) if missing else fixed_blob
        try:
            self.obj.btf_fd = btf_load(blob)
        except (BTFLoadError, PermissionDenied):
            raise
        except KernelError as exc:
            warnings.warn(f"loading without BTF: the kernel refused the object's BTF ({exc})", stacklevel=4)
            return
        if any(m.is_global_data for m in self.spec.maps.values()):
            self.codec_btf = BTF.from_bytes(fixed_blob)

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

    def create_map(self, spec: MapSpec) -> Map:
        max_entries = self._max_entries(spec)
        flags = int(spec.flags)
        if spec.is_global_data:
            flags |= MapFlags.MMAPABLE
        fd: FD | None = None
        fresh = True
        path = ""
        if spec.pinning == PinType.BY_NAME:
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

    def _attach_btf_id(self, prog: ProgramSpec) -> int:
        if not prog.attach_btf or not prog.attach_target:
            return 0
        attach = prog.expected_attach_type
        prefix, kind = (
            _ATTACH_BTF_NAMES.get(attach, ("", Kind.FUNC)) if attach is not None else ("", Kind.FUNC)
        )
        name = prefix + prog.attach_target
        vmlinux = self.kernel_btf() if self.target_btf is None else BTF.vmlinux()
        for type_id in vmlinux.find_ids(name):
            if vmlinux.kind_of(type_id) is kind:
                return type_id
        raise LoadError(f"program {prog.name!r}: no kernel {kind.name.lower()} {name!r} to attach to")

    def _core(self, prog: ProgramSpec, code: bytearray) -> None:
        if not prog.core_relocations:
            return
        apply = _core_engine()
        if apply is None:
            return  # no engine: keep the compiled offsets (right for the BTF vmlinux.h came from)
        assert self.spec.btf is not None
        apply(self.spec.btf, self.kernel_btf(), prog, code)

    def load_program(self, prog: ProgramSpec, resolver: ExternResolver) -> Program:
        code = bytearray(prog.bytecode())
        apply_relocations(prog, code, self._map_fd, self.spec.externs, resolver)
        self._core(prog, code)
        btf_fd = self.obj.btf_fd
        func_info = b"".join(_FUNC_INFO.pack(f.insn, f.type_id) for f in prog.func_info) if btf_fd else b""
        line_info = (
            b"".join(
                _LINE_INFO.pack(li.insn, li.file_name_off, li.line_off, (li.line << 10) | (li.column & 0x3FF))
                for li in prog.line_info
            )
            if btf_fd
            else b""
        )
        kern_version = prog.kernel_version or self.spec.kernel_version
        if not kern_version and prog.type is ProgramType.KPROBE:
            kern_version = kernel_version()
        try:
            fd = prog_load(
                int(prog.type),
                bytes(code),
                prog.license or self.spec.license or "GPL",
                name=kernel_name(prog.name),
                expected_attach_type=int(prog.expected_attach_type)
                if prog.expected_attach_type is not None
                else 0,
                prog_flags=int(prog.flags),
                prog_btf_fd=btf_fd if (func_info or line_info) else None,
                func_info=func_info,
                func_info_rec_size=_FUNC_INFO.size if func_info else 0,
                line_info=line_info,
                line_info_rec_size=_LINE_INFO.size if line_info else 0,
                attach_btf_id=self._attach_btf_id(prog),
                kern_version=kern_version,
                log_level=self.log_level,
            )
        except VerifierError as exc:
            error = ProgramVerifierError(
                prog.name, prog.section, errno=exc.errno or 0, log=exc.log, truncated=exc.truncated
            )
            error.add_source(source_lookup(prog))
            raise error from None
        except KernelError as exc:
            exc.add_note(f"while loading program {prog.name!r} (section {prog.section!r})")
            raise
        program = Program(
            fd,
            prog.name,
            prog.type,
            section=prog.section,
            expected_attach_type=prog.expected_attach_type,
            attach_target=prog.attach_target,
        )
        self.obj.programs[prog.name] = program
        return program

    def load_programs(self) -> None:
        resolver = ExternResolver(self.spec.btf, self.kernel_btf)
        for prog in self.spec.programs.values():
            if prog.autoload:
                self.load_program(prog, resolver)

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
        for m, path in self._to_pin:
            obj_pin(m.fd, path)

    def run(self) -> Object:
        try:
            self.load_btf()
            self.create_maps()
            self.load_programs()
            self.fill_slots()
            self.pin_new()
        except BaseException:
            self.obj.close()
            raise
        return self.obj


def source_lookup(prog: ProgramSpec) -> Callable[[int], str | None]:
    """``insn index → "file:line: source"`` from the program's line_info (nearest preceding)."""
    infos = sorted(prog.line_info, key=lambda li: li.insn)
    starts = [li.insn for li in infos]

    def lookup(index: int) -> str | None:
        at = bisect.bisect_right(starts, index) - 1
        if at < 0:
            return None
        li = infos[at]
        where = f"{os.path.basename(li.file)}:{li.line}" if li.file else f"line {li.line}"
        return f"{where}: {li.text.strip()}" if li.text else where

    return lookup


CoreEngine = Callable[[BTF, BTF, ProgramSpec, bytearray], None]


def _core_engine() -> CoreEngine | None:
    """The CO-RE relocation engine of :mod:`pybpf.btf.core`, when that package provides one."""
    try:
        from ..btf import core
    except ImportError:
        return None
    engine = getattr(core, "apply_to_bytecode", None)
    return engine if callable(engine) else None


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


__all__ = ["KernelRuntime", "kernel_name", "source_lookup"]
