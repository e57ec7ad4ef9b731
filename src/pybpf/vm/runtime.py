"""``load(spec, **options)``: an :class:`~pybpf.spec.ObjectSpec` into the userspace VM.

The same order as the kernel runtime: maps first (global data initialised, ``.rodata`` made
read-only to programs), then programs (CO-RE applied against the object's own BTF unless a
target is given, relocations turned into map handles and value addresses, helpers checked),
then the initial slots of prog arrays and maps of maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..btf import BTF
from ..enums import MapFlags, MapType
from ..errors import Error, NotSupported
from ..isa.instruction import Instruction
from ..isa.opcodes import LDDW
from ..runtime.btfprep import encode_for, fixed_types
from ..runtime.errors import LoadError
from ..runtime.kconfig import kconfig_data
from ..spec import MapOrigin, MapSpec, ObjectSpec, ProgramSpec, RelocationKind
from .errors import ProgramRejected, VMFault
from .helpers import helper_table, unsupported
from .host import Clock, Host, Task
from .interpreter import DEFAULT_BUDGET, Machine, prepare
from .maps import ArrayStorage, Map, Storage, create_storage
from .objects import Object
from .program import Program

#: Device and CPU redirect maps behave like arrays/hashes of ifindexes for the VM.
_ALIASES = {
    MapType.DEVMAP: MapType.ARRAY,
    MapType.CPUMAP: MapType.ARRAY,
    MapType.DEVMAP_HASH: MapType.HASH,
}
_POISON_HELPER = 0xBAD2310


class _Loader:
    def __init__(self, spec: ObjectSpec, host: Host, options: dict[str, Any]) -> None:
        self.spec = spec
        self.host = host
        self.target_btf: BTF | None = options.pop("btf", None)
        self.kconfig: Mapping[str, str] | None = options.pop("kconfig", None)
        self.budget: int = options.pop("budget", DEFAULT_BUDGET)
        self.engine: str = options.pop("engine", "interpreter")
        self.obj = Object(spec, host)
        self.storages: dict[str, Storage] = {}
        self.ids: dict[str, int] = {}
        self.helpers = helper_table(host)
        self.helpers.setdefault(_POISON_HELPER, _poisoned)
        self.codec_btf = spec.btf
        if spec.btf is not None and any(m.is_global_data for m in spec.maps.values()):
            try:
                self.codec_btf = BTF.from_bytes(
                    encode_for(spec.btf, fixed_types(spec.btf, spec.section_layouts))
                )
            except Error:
                self.codec_btf = spec.btf

    # -------------------------------------------------------------- maps
    def create_map(self, spec: MapSpec) -> None:
        data = spec.data
        if spec.origin is MapOrigin.KCONFIG:
            data = kconfig_data(self.spec.btf, self.spec.externs.values(), spec.value_size, self.kconfig)
        flags = int(spec.flags)
        if spec.readonly and spec.is_global_data:
            flags |= MapFlags.RDONLY_PROG
        kind = _ALIASES.get(spec.type, spec.type)
        storage = create_storage(
            self.host,
            spec.name,
            kind,
            spec.key_size,
            spec.value_size,
            spec.max_entries,
            flags,
            data=data if spec.is_global_data else None,
            valid=self._valid_slot(spec),
        )
        storage.type = spec.type
        for key, value in spec.contents:
            storage.update(key, value)
        ident = self.host.add_map(storage)
        self.storages[spec.name] = storage
        self.ids[spec.name] = ident
        m = Map(storage, btf=self.codec_btf, key_type_id=spec.key_type_id, value_type_id=spec.value_type_id)
        m.id = ident
        if spec.readonly and spec.is_global_data:
            m.freeze()
        self.obj.maps[spec.name] = m

    def _valid_slot(self, spec: MapSpec) -> Any:
        if spec.type is MapType.PROG_ARRAY:
            return lambda ident: ident in self.host.programs
        return lambda ident: ident in self.host.maps

    # -------------------------------------------------------------- programs
    def _storage(self, prog: ProgramSpec, name: str) -> tuple[int, Storage]:
        storage = self.storages.get(name)
        if storage is None:
            raise LoadError(f"program {prog.name!r} refers to map {name!r}, which the object does not define")
        return self.ids[name], storage

    def relocate(self, prog: ProgramSpec) -> list[Instruction]:
        insns = list(prog.instructions)
        if prog.core_relocations:
            if self.spec.btf is None:
                raise LoadError(f"program {prog.name!r} has CO-RE relocations but the object has no BTF")
            from ..btf.core import relocate

            insns, _results = relocate(
                insns, prog.core_relocations, self.spec.btf, self.target_btf or self.spec.btf
            )
        slot_of: dict[int, int] = {}
        slot = 0
        for position, insn in enumerate(insns):
            slot_of[slot] = position
            slot += insn.slots
        for at, reloc in prog.relocations.items():
            found = slot_of.get(at)
            if found is None or (insns[found].opcode != LDDW and reloc.kind not in _LINKED):
                raise LoadError(
                    f"program {prog.name!r}: relocation at instruction {at} is not on a 64-bit load"
                )
            index = found
            insn = insns[index]
            if reloc.kind is RelocationKind.MAP:
                ident, _ = self._storage(prog, reloc.target)
                insns[index] = insn.replace(src=0, imm=self.host.map_handle(ident))
            elif reloc.kind in (RelocationKind.MAP_VALUE, RelocationKind.KCONFIG):
                target = ".kconfig" if reloc.kind is RelocationKind.KCONFIG else reloc.target
                _, storage = self._storage(prog, target)
                if not isinstance(storage, ArrayStorage):
                    raise LoadError(f"program {prog.name!r}: {target!r} is not an array map")
                insns[index] = insn.replace(src=0, imm=storage.regions[0].base + reloc.offset)
            elif reloc.kind is RelocationKind.KSYM:
                if not reloc.weak:
                    raise NotSupported(f"program {prog.name!r}: the VM has no kernel symbol {reloc.target!r}")
                insns[index] = insn.replace(src=0, imm=0)
            elif reloc.kind is RelocationKind.KFUNC:
                raise NotSupported(f"program {prog.name!r}: the VM cannot call kfunc {reloc.target!r}")
        return insns

    def load_program(self, prog: ProgramSpec) -> None:
        insns = self.relocate(prog)
        missing = unsupported((i.imm for i in insns if i.is_helper_call), self.helpers)
        if missing:
            raise ProgramRejected(
                f"program {prog.name!r} (section {prog.section!r}) calls helpers the VM does not "
                f"implement: {', '.join(missing)}"
            )
        try:
            if self.engine == "interpreter":
                prepared = prepare(insns, helpers=self.helpers, budget=self.budget)
            else:
                from .jit import select  # imports llvmlite only when asked for

                prepared = select.prepare(insns, engine=self.engine, helpers=self.helpers, budget=self.budget)  # type: ignore[arg-type,assignment]
        except ProgramRejected as exc:
            raise ProgramRejected(f"program {prog.name!r}: {exc.reason}", index=exc.index) from None
        self.obj.programs[prog.name] = Program(
            prepared,
            self.host,
            prog.name,
            prog.type,
            section=prog.section,
            expected_attach_type=prog.expected_attach_type,
            attach_target=prog.attach_target,
            line_info=prog.line_info,
        )

    # -------------------------------------------------------------- slots
    def fill_slots(self) -> None:
        for spec in self.spec.maps.values():
            storage = self.storages[spec.name]
            for index, target in spec.slots.items():
                if spec.type is MapType.PROG_ARRAY:
                    prog = self.obj.programs.get(target)
                    if prog is None:
                        if target in self.spec.programs:
                            continue
                        raise LoadError(f"prog array {spec.name!r} slot {index}: no program {target!r}")
                    ident = prog.id
                else:
                    if target not in self.ids:
                        raise LoadError(f"map {spec.name!r} slot {index}: no map {target!r}")
                    ident = self.ids[target]
                storage.update(index.to_bytes(spec.key_size or 4, "little"), ident.to_bytes(4, "little"))

    def run(self) -> Object:
        for spec in self.spec.maps.values():
            self.create_map(spec)
        for prog in self.spec.programs.values():
            if prog.autoload:
                self.load_program(prog)
        self.fill_slots()
        return self.obj


_LINKED = (RelocationKind.SUBPROGRAM, RelocationKind.FUNC_ADDR, RelocationKind.KFUNC)


def _poisoned(vm: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
    raise VMFault("reached an instruction poisoned by an unsatisfiable CO-RE relocation")


def load(
    spec: ObjectSpec,
    *,
    cpus: int = 1,
    cpu: int = 0,
    clock: Clock | None = None,
    boot_clock: Clock | None = None,
    seed: int | None = None,
    pid: int | None = None,
    tgid: int | None = None,
    uid: int | None = None,
    gid: int | None = None,
    comm: str | None = None,
    **options: Any,
) -> Object:
    """Load ``spec`` into a new VM.

    ``cpus`` sizes per-CPU maps, ``cpu`` is where programs run; ``clock``/``boot_clock`` are
    callables returning nanoseconds (see :class:`~pybpf.vm.host.ManualClock`); ``seed`` makes
    ``bpf_get_prandom_u32`` repeatable; ``pid``/``tgid``/``uid``/``gid``/``comm`` describe the
    current task.  Options: ``btf`` (CO-RE target, default the object's own BTF), ``kconfig``
    (``CONFIG_X`` -> raw value, default the running kernel's), ``budget`` (instructions per run),
    ``engine`` (``"interpreter"``, the default: no compile cost; ``"jit"``: LLVM through llvmlite;
    ``"auto"``: the JIT where llvmlite is installed, else the interpreter).
    """
    if not isinstance(spec, ObjectSpec):
        raise Error(f"expected an ObjectSpec, got {type(spec).__name__}")
    task = Task()
    for field_name, value in (("pid", pid), ("tgid", tgid), ("uid", uid), ("gid", gid), ("comm", comm)):
        if value is not None:
            setattr(task, field_name, value)
    host = Host(cpus=cpus, cpu=cpu, clock=clock, boot_clock=boot_clock, seed=seed, task=task)
    extra = dict(options)
    loader = _Loader(spec, host, extra)
    if extra:
        raise TypeError(f"unknown options for the VM runtime: {', '.join(sorted(extra))}")
    return loader.run()


class VMRuntime:
    """The VM as a runtime object, for callers that pick runtimes by name."""

    name = "vm"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def load(self, spec: ObjectSpec) -> Object:
        return load(spec, **self.options)


__all__ = ["VMRuntime", "load"]
