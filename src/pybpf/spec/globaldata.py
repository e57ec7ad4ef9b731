"""``spec.rodata`` / ``spec.data`` / ``spec.bss``: global variables by name, typed through BTF.

Setting a variable rewrites the initial bytes of its global-data map in the spec, so the value is
baked in when the object loads: the usual way to configure ``const volatile`` knobs of a program
before the verifier sees it (dead-code elimination on them then works).
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING, MutableMapping

from ..errors import Error
from .maps import MapOrigin, MapSpec, Variable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..btf import BTF
    from .codec import Value


class UnknownVariable(Error, KeyError):
    """No global variable of that name in the section family (also a ``KeyError``)."""

    def __str__(self) -> str:
        return self.message


#: Section family → the prefix of its custom sections (``.rodata.config`` belongs to ``rodata``).
FAMILIES = {"rodata": ".rodata", "data": ".data", "bss": ".bss"}


def section_family(section: str) -> str | None:
    for family, base in FAMILIES.items():
        if section == base or section.startswith(base + "."):
            return family
    return None


class GlobalData(MutableMapping[str, "Value"]):
    """A dict-like view of one family of global-data sections of an :class:`ObjectSpec`."""

    def __init__(self, maps: dict[str, MapSpec], btf: BTF | None, family: str) -> None:
        self._maps = maps
        self._btf = btf
        self._family = family
        self._vars: dict[str, tuple[str, Variable]] | None = None

    def _variables(self) -> dict[str, tuple[str, Variable]]:
        if self._vars is None:
            self._vars = collect_variables(self._maps, self._family)
        return self._vars

    def variable(self, name: str) -> tuple[str, Variable]:
        """(map name, placement) of a variable; raises :class:`UnknownVariable`."""
        try:
            return self._variables()[name]
        except KeyError:
            known = ", ".join(sorted(self._variables())) or "none"
            raise UnknownVariable(f"no variable {name!r} in .{self._family} (known: {known})") from None

    def __getitem__(self, name: str) -> Value:
        map_name, var = self.variable(name)
        raw = _data_of(self._maps[map_name])[var.offset : var.offset + var.size]
        if self._btf is None or not var.type_id:
            return raw
        from .codec import decode_value  # the codec machinery comes with the first variable read

        return decode_value(self._btf, var.type_id, raw, name=name)

    def __setitem__(self, name: str, value: Value) -> None:
        map_name, var = self.variable(name)
        from .codec import GlobalValueError, encode_value

        if self._btf is None or not var.type_id:
            if not isinstance(value, bytes | bytearray) or len(value) != var.size:
                raise GlobalValueError(f"{name}: without BTF only {var.size} raw bytes can be assigned")
            raw = bytes(value)
        else:
            raw = encode_value(self._btf, var.type_id, value, var.size, name=name)
        spec = self._maps[map_name]
        data = bytearray(_data_of(spec))
        data[var.offset : var.offset + var.size] = raw
        spec.data = bytes(data)

    def __delitem__(self, name: str) -> None:
        raise Error(f"global variables cannot be deleted ({name!r})")

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables())

    def __len__(self) -> int:
        return len(self._variables())

    def __repr__(self) -> str:
        return f"<{self._family}: {', '.join(self._variables())}>"


def _data_of(spec: MapSpec) -> bytes:
    data = spec.data if spec.data is not None else b""
    return data.ljust(spec.value_size, b"\0")


def collect_variables(maps: dict[str, MapSpec], family: str) -> dict[str, tuple[str, Variable]]:
    """Every variable of ``family``'s global-data maps: name → (map name, variable)."""
    found: dict[str, tuple[str, Variable]] = {}
    for spec in maps.values():
        if spec.origin is not MapOrigin.GLOBAL_DATA or section_family(spec.section) != family:
            continue
        for var in spec.variables.values():
            found.setdefault(var.name, (spec.name, var))
    return found


__all__ = ["FAMILIES", "GlobalData", "UnknownVariable", "collect_variables", "section_family"]
