"""``MapSpec``: everything needed to create one map, before any map exists."""

from __future__ import annotations

from pybpf._dataclasses import dataclass, field, replace, set_field

from .._enum import ConstantEnum
from ..enums import MapFlags, MapType, PinType


@dataclass(frozen=True, slots=True, init=False)
class Variable:
    """A global variable inside a global-data map: ``offset``/``size`` in the map value, and its
    BTF type (0 without BTF: then only raw ``bytes`` can be assigned)."""

    name: str
    offset: int
    size: int
    type_id: int = 0

    def __init__(self, name: str, offset: int, size: int, type_id: int = 0) -> None:
        set_field(self, "name", name)
        set_field(self, "offset", offset)
        set_field(self, "size", size)
        set_field(self, "type_id", type_id)


class MapOrigin(ConstantEnum):
    """Where in the object a map was declared: runtimes treat global-data maps specially."""

    BTF = "btf"  # SEC(".maps") definitions
    LEGACY = "legacy"  # SEC("maps") struct bpf_map_def
    GLOBAL_DATA = "global_data"  # .data / .rodata / .bss and their custom .data.* variants
    KCONFIG = "kconfig"  # the synthetic map holding __kconfig externs
    STRUCT_OPS = "struct_ops"  # SEC(".struct_ops") / SEC(".struct_ops.link") variables
    USER = "user"  # built in Python


@dataclass(slots=True)
class MapSpec:
    """A map definition; edit freely before load (``spec.maps["x"].max_entries = 4096``).

    ``slots`` holds the initial entries of a prog array or map-in-map by *name* (index → program or
    map name), because fds exist only once loaded.  ``data`` is the initial value of a
    global-data map (always ``value_size`` bytes; zeros for ``.bss``) and ``variables`` says where
    each of its variables sits.  ``contents`` holds other
    initial key/value pairs, already encoded.  A struct_ops map keeps its initial struct bytes in
    ``data`` and its function pointers, by member name, in ``functions``.
    """

    name: str
    type: MapType
    key_size: int = 0
    value_size: int = 0
    max_entries: int = 0
    flags: MapFlags = MapFlags.NONE
    pinning: PinType = PinType.NONE
    numa_node: int = 0
    map_extra: int = 0
    key_type_id: int = 0
    value_type_id: int = 0
    inner: MapSpec | None = None
    slots: dict[int, str] = field(default_factory=dict)
    contents: list[tuple[bytes, bytes]] = field(default_factory=list)
    data: bytes | None = None
    readonly: bool = False
    origin: MapOrigin = MapOrigin.USER
    section: str = ""
    variables: dict[str, Variable] = field(default_factory=dict)
    #: struct_ops maps: function-pointer member → name of the program implementing it
    functions: dict[str, str] = field(default_factory=dict)

    @property
    def is_global_data(self) -> bool:
        return self.origin in (MapOrigin.GLOBAL_DATA, MapOrigin.KCONFIG)

    def copy(self) -> MapSpec:
        """A deep copy: editing it leaves this spec untouched."""
        return replace(
            self,
            inner=self.inner.copy() if self.inner is not None else None,
            slots=dict(self.slots),
            contents=list(self.contents),
            variables=dict(self.variables),
            functions=dict(self.functions),
        )

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.type.name.lower()} key {self.key_size}B value {self.value_size}B "
            f"max_entries {self.max_entries} flags {int(self.flags):#x}"
        )


__all__ = ["MapOrigin", "MapSpec", "Variable"]
