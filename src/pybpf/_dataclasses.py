"""Dataclasses made without generating code: the part of :mod:`dataclasses` pybpf uses.

``@dataclasses.dataclass`` compiles an ``__init__``, ``__repr__``, ``__eq__`` and friends from
source text for every class, and importing :mod:`dataclasses` pulls in :mod:`inspect`, :mod:`ast`
and :mod:`dis`.  For a process that starts, loads one object and exits (``pybpf run``, a tool, a
test), that cost more than the loading itself: about 0.3-0.5 ms per class, for the seventy-odd
record classes a load touches, plus ~10 ms of imports.  The decorator here builds the same methods
as closures over a field table, so making a class costs a few dictionary operations.

Behaviour follows :mod:`dataclasses` for what pybpf declares: fields from the class's own
annotations after those of its record bases, defaults and :func:`field` (``default``,
``default_factory``, ``init``, ``repr``, ``compare``), ``__post_init__``, ``frozen``, ``eq`` and
the hash rules that follow from it, ``slots``, ``__match_args__``; methods the class body defines
are kept.  Instances compare, print, pickle and copy as dataclass instances would, and the
stdlib's functions (``dataclasses.fields``/``replace``/``asdict``/``is_dataclass``) accept them:
``__dataclass_fields__`` is built on first use, importing :mod:`dataclasses` only then.
Type checkers see a dataclass through ``typing.dataclass_transform``.
"""

from __future__ import annotations

try:  # the C implementation itself: operator.py adds ~0.4 ms of Python functions to a cold start
    from _operator import attrgetter
except ImportError:  # pragma: no cover - interpreters without the C module
    from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from dataclasses import FrozenInstanceError as FrozenInstanceError
    from typing import Any, TypeVar, dataclass_transform

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_options):
        return lambda decorator: decorator


#: For hand-written ``__init__`` methods of frozen records (declared with ``init=False``).
set_field = object.__setattr__

FIELDS = "__pybpf_fields__"
FROZEN = "__pybpf_frozen__"
_set = object.__setattr__


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a record class; :func:`fields` returns these."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr", "type")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        init: bool = True,
        repr: bool = True,
        compare: bool = True,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: object = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def has_default(self) -> bool:
        return self.default is not MISSING or self.default_factory is not MISSING

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"
        )


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """Options for one field, as :func:`dataclasses.field` takes them."""
    return Field(default, default_factory, init, repr, compare)


def _frozen_error() -> type[AttributeError]:
    # The stdlib's exception, so ``except dataclasses.FrozenInstanceError`` works on our records.
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError


def __getattr__(name: str) -> object:
    if name == "FrozenInstanceError":
        return _frozen_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_CLASSVAR_PREFIXES = ("ClassVar", "typing.ClassVar", "t.ClassVar", "Final", "typing.Final")


def _is_classvar(annotation: object) -> bool:
    text = annotation if type(annotation) is str else repr(annotation)
    return text.startswith(_CLASSVAR_PREFIXES)


def _own_fields(cls: type, table: dict[str, Field]) -> None:
    """Add the class's own annotated fields to ``table`` (which holds its record bases')."""
    namespace = cls.__dict__
    for name, annotation in namespace.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = namespace.get(name, MISSING)
        if type(value) is Field:
            spec = value
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        else:
            spec = Field(value)
        if isinstance(spec.default, (list, dict, set, bytearray)):
            raise ValueError(
                f"mutable default {type(spec.default).__name__} for field {name} is not allowed: use default_factory"
            )
        spec.name = name
        spec.type = annotation
        table[name] = spec


def _check_order(table: dict[str, Field]) -> None:
    seen_default = ""
    for spec in table.values():
        if not spec.init:
            continue
        if spec.has_default():
            seen_default = spec.name
        elif seen_default:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument {seen_default!r}")


def _with_slots(cls: type, own: tuple[str, ...], methods: dict[str, object]) -> type:
    """A copy of ``cls`` with ``__slots__`` for its own fields, as ``slots=True`` makes it.

    The record methods go into the copy's namespace, so the type is built once with them:
    setting a dunder on a finished class makes the interpreter refresh its slots, per name.
    """
    namespace = dict(cls.__dict__)
    for name in own:
        namespace.pop(name, None)  # defaults live in the field table, not as class attributes
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    namespace.update(methods)
    namespace["__slots__"] = own
    namespace["__qualname__"] = cls.__qualname__
    return type(cls)(cls.__name__, cls.__bases__, namespace)


def _make_init(
    table: dict[str, Field], frozen: bool, post_init: Callable[[Any], None] | None
) -> Callable[..., None]:
    specs = tuple(spec for spec in table.values() if spec.init)
    names = tuple(spec.name for spec in specs)
    later = tuple(spec for spec in table.values() if not spec.init and spec.has_default())
    count = len(names)
    assign = _set if frozen else setattr

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = len(args)
        if given > count:
            raise TypeError(f"__init__() takes {count + 1} positional arguments but {given + 1} were given")
        for name, value in zip(names, args, strict=False):
            assign(self, name, value)
        if kwargs or given < count:
            for index in range(given):
                if names[index] in kwargs:
                    raise TypeError(f"__init__() got multiple values for argument {names[index]!r}")
            for spec in specs[given:]:
                name = spec.name
                if name in kwargs:
                    assign(self, name, kwargs.pop(name))
                elif spec.default is not MISSING:
                    assign(self, name, spec.default)
                elif spec.default_factory is not MISSING:
                    assign(self, name, spec.default_factory())
                else:
                    raise TypeError(f"__init__() missing required argument: {name!r}")
            if kwargs:
                raise TypeError(f"__init__() got an unexpected keyword argument {next(iter(kwargs))!r}")
        for spec in later:
            assign(self, spec.name, spec.default if spec.default is not MISSING else spec.default_factory())
        if post_init is not None:
            post_init(self)

    return __init__


def _tuple_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return attrgetter(*names)  # builds the tuple in C
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


# The methods every record class shares: each reads what it needs of its class from attributes
# set on it (field names, the comparison key), so making a class makes no functions.


def _record_repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__pybpf_repr__)
    return f"{cls.__qualname__}({shown})"


def _record_eq(self: Any, other: object) -> bool:
    cls: Any = type(self)
    key = cls.__pybpf_key__
    if other.__class__ is cls:
        return bool(key(self) == key(other))
    return NotImplemented


def _record_hash(self: Any) -> int:
    return hash(type(self).__pybpf_key__(self))


def _frozen_refuses(self: Any, name: str) -> bool:
    # As dataclasses does: a record class refuses every name; a plain subclass only the fields.
    cls = type(self)
    return FIELDS in cls.__dict__ or name in cls.__pybpf_names__


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    if _frozen_refuses(self, name):
        raise _frozen_error()(f"cannot assign to field {name!r}")
    _set(self, name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    if _frozen_refuses(self, name):
        raise _frozen_error()(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


# Frozen slotted instances have no __dict__ to restore and refuse setattr: pickle by values.
def _record_getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in type(self).__pybpf_names__]


def _record_setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(type(self).__pybpf_names__, state, strict=True):
        _set(self, name, value)


def _default_of(spec: Field) -> dict[str, Any]:
    if spec.default is not MISSING:
        return {"default": spec.default}
    if spec.default_factory is not MISSING:
        return {"default_factory": spec.default_factory}
    return {}


class _Signature:
    """``__signature__`` of a record class with a made ``__init__``, for :func:`inspect.signature`
    and ``help()`` (the closure's own is ``(*args, **kwargs)``); :mod:`inspect` is imported only
    when someone asks."""

    def __get__(self, obj: object, owner: type) -> object:
        import inspect

        parameters = [
            inspect.Parameter(
                spec.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=_default_of(spec).get("default", inspect.Parameter.empty)
                if spec.default_factory is MISSING
                else _Factory(spec.default_factory),
                annotation=spec.type,
            )
            for spec in getattr(owner, FIELDS).values()
            if spec.init
        ]
        return inspect.Signature(parameters, return_annotation=None)


class _Factory:
    """Shown as a default made per instance, as :mod:`dataclasses` shows ``<factory>``."""

    def __init__(self, factory: object) -> None:
        self.factory = factory

    def __repr__(self) -> str:
        return "<factory>"


class _StdlibFields:
    """``__dataclass_fields__`` for :mod:`dataclasses`' functions, built when first asked for."""

    def __init__(self) -> None:
        self._built: dict[type, dict[str, object]] = {}

    def __get__(self, obj: object, owner: type) -> dict[str, object]:
        built = self._built.get(owner)
        if built is None:
            import dataclasses

            specs = getattr(owner, FIELDS).values()
            shadow = dataclasses.make_dataclass(
                owner.__name__,
                [
                    (
                        spec.name,
                        spec.type,
                        dataclasses.field(
                            init=spec.init, repr=spec.repr, compare=spec.compare, **_default_of(spec)
                        ),
                    )
                    for spec in specs
                ],
                init=False,
                repr=False,
                eq=False,
            )
            built = self._built[owner] = dict(getattr(shadow, "__dataclass_fields__"))  # noqa: B009 - set at runtime
        return built


_SIGNATURE = _Signature()
_STDLIB_FIELDS = _StdlibFields()


def _process(
    cls: type, init: bool, repr_: bool, eq: bool, frozen: bool, slots: bool, match_args: bool
) -> type:
    namespace = cls.__dict__
    table: dict[str, Field] = {}
    inherited_slots: set[str] = set()
    for base in cls.__mro__[-1:0:-1]:  # record bases' fields first, the furthest first
        base_namespace = base.__dict__
        inherited = base_namespace.get(FIELDS)
        if inherited is not None:
            if base_namespace[FROZEN] != frozen:
                change = "frozen" if frozen else "non-frozen"
                raise TypeError(f"cannot inherit {change} dataclass {cls.__name__} from {base.__name__}")
            table.update(inherited)
        if slots:
            inherited_slots.update(base_namespace.get("__slots__", ()))
    _own_fields(cls, table)
    if init and "__init__" not in namespace:
        _check_order(table)
    if frozen and ("__setattr__" in namespace or "__delattr__" in namespace):
        raise TypeError(
            f"cannot overwrite attribute __setattr__ or __delattr__ in frozen class {cls.__name__}"
        )
    explicit_hash = "__hash__" in namespace and not (namespace["__hash__"] is None and "__eq__" in namespace)
    all_names = tuple(table)
    shown: list[str] = []
    compared: list[str] = []
    initialised: list[str] = []
    for spec in table.values():
        if spec.repr:
            shown.append(spec.name)
        if spec.compare:
            compared.append(spec.name)
        if spec.init:
            initialised.append(spec.name)
    methods: dict[str, object] = {FIELDS: table, FROZEN: frozen, "__pybpf_names__": all_names}
    if "__dataclass_fields__" not in namespace:
        methods["__dataclass_fields__"] = _STDLIB_FIELDS
    # What the class body defines itself is kept: these only fill the gaps.
    wanted: dict[str, object] = {}
    if init and "__init__" not in namespace:
        wanted["__init__"] = _make_init(table, frozen, getattr(cls, "__post_init__", None))
        wanted["__signature__"] = _SIGNATURE
    if repr_:
        methods["__pybpf_repr__"] = tuple(shown)
        wanted["__repr__"] = _record_repr
    if eq:
        methods["__pybpf_key__"] = _tuple_of(tuple(compared))
        wanted["__eq__"] = _record_eq
        if not explicit_hash:
            methods["__hash__"] = _record_hash if frozen else None
    if frozen:
        methods["__setattr__"] = _frozen_setattr
        methods["__delattr__"] = _frozen_delattr
        if slots:
            wanted["__getstate__"] = _record_getstate
            wanted["__setstate__"] = _record_setstate
    if match_args:
        wanted["__match_args__"] = tuple(initialised)
    for name, value in wanted.items():
        if name not in namespace:
            methods[name] = value
    if slots and "__slots__" not in namespace:
        return _with_slots(cls, tuple(name for name in all_names if name not in inherited_slots), methods)
    for name, value in methods.items():
        setattr(cls, name, value)
    return cls


@dataclass_transform(field_specifiers=(field, Field))
def dataclass(
    cls: type[_T] | None = None,
    /,
    *,
    init: bool = True,
    repr: bool = True,
    eq: bool = True,
    frozen: bool = False,
    slots: bool = False,
    match_args: bool = True,
) -> Any:
    """Make ``cls`` a dataclass, as ``@dataclasses.dataclass`` with the same options would."""

    def wrap(cls: type) -> type:
        return _process(cls, init, repr, eq, frozen, slots, match_args)

    return wrap if cls is None else wrap(cls)


def is_dataclass(obj: object) -> bool:
    return getattr(obj, FIELDS, None) is not None


def fields(obj: object) -> tuple[Field, ...]:
    """The fields of a record class or instance, in declaration order."""
    table = getattr(obj, FIELDS, None)
    if table is None:
        raise TypeError(f"{obj!r} is not a pybpf dataclass")
    return tuple(table.values())


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of ``obj`` with ``changes``, through its ``__init__`` as :func:`dataclasses.replace`."""
    for spec in fields(obj):
        if not spec.init:
            if spec.name in changes:
                raise ValueError(
                    f"field {spec.name} is declared with init=False, it cannot be specified with replace()"
                )
            continue
        if spec.name not in changes:
            changes[spec.name] = getattr(obj, spec.name)
    return obj.__class__(**changes)


def asdict(obj: object) -> dict[str, Any]:
    """Field values by name, records inside lists, tuples and dicts converted too."""
    if not is_dataclass(obj) or isinstance(obj, type):
        raise TypeError("asdict() should be called on record instances")
    return {spec.name: _plain(getattr(obj, spec.name)) for spec in fields(obj)}


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_plain(item) for item in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    return value


__all__ = [
    "MISSING",
    "Field",
    "FrozenInstanceError",
    "asdict",
    "dataclass",
    "field",
    "fields",
    "is_dataclass",
    "replace",
    "set_field",
]
