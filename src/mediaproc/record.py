"""The record type of the one-shot start-up path: a class with typed fields, built without ``exec``.

Why not ``@dataclass`` there: every plain ``mediaproc image info`` / ``image process`` run builds the
~25 classes a run passes through (settings, the Output, locations, the operation model, request,
result, plan ...), and one frozen dataclass costs 0.3-1.4 ms to build (``dataclass()`` generates and
``exec``s the source of ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` per
class), plus ~4 ms to import ``dataclasses`` itself (it imports ``inspect``, ``ast``, ``dis``,
``copy``): 15-20 ms of a ~90 ms ``image info``, where a bare pyvips process takes ~45 ms (issue 23).
A :class:`Record` subclass is built in ~0.03 ms (its fields are read from the annotations once; the
methods are the base class's, shared), and this module imports nothing (not even ``typing``).

Why not ``typing.NamedTuple`` (~0.2 ms a class with string annotations, which ``typing`` compiles one
by one; it also needs ``typing`` at run time): a record would be a tuple, equal to a plain tuple,
iterable, indexable and serialised by ``json`` as a list; ``Chain`` and ``Op`` define their own
``__iter__``/``__len__``, ``Source`` has private fields, and the mutable records (``AppState``,
``Output``, ``Canvas``) would need a second kind of class. One kind serves them all here, with the
semantics of a dataclass: keyword or positional construction in field order, defaults and
``field(default_factory=..., init=False, repr=False, compare=False)``, ``__repr__``, ``__eq__`` (same
class, fields in order), frozen by default (``class Output(Record, frozen=False)`` for a mutable one; a
frozen record hashes by its fields, a mutable one is unhashable), ``__post_init__``, pickling and
copying (instances keep a ``__dict__``). Type checkers see a dataclass (``dataclass_transform``, PEP
681), so a wrong field name or type in a constructor is a mypy error as before.

What it costs instead: construction is one generic ``__init__`` (~1-2 µs a record more than a
generated one: nothing on a one-shot run, under a millisecond for the whole catalogue);
:func:`replace` checks its field names when it runs, not in mypy; :func:`field` is typed ``Any``
(``dataclasses.field``'s overloads would need ``typing.overload`` at run time).

The video one-shot path's records (``engine/av``'s media facts and MP4 tables, the local job's status and
journal) are records too. The dataclasses off the start-up path (the cloud providers' and services'
records, the batch model, serve's) stay dataclasses: they are built only when a command needs them,
where the cost does not show, and ``dataclasses`` is the standard every reader knows (``replace``,
``fields`` and ``asdict`` here are for records only; ``dataclasses``' own stay for dataclasses).
``tests/cli/test_fast_path.py`` fails when a plain ``image process``, ``image info``, ``video info`` or
``video snapshot`` imports ``dataclasses``, ``inspect`` or ``typing`` again.
"""

from __future__ import annotations

from _thread import get_ident
from collections.abc import Callable

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:  # typing is not imported at run time (mediaproc.TYPE_CHECKING)
    from typing import Any, ClassVar, TypeVar

    from typing_extensions import dataclass_transform  # the project's mypy target is Python 3.10

    R = TypeVar("R", bound="Record")
else:

    def dataclass_transform(**_kwargs: Any) -> Callable[[Any], Any]:
        return lambda obj: obj


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # a field without a default


class Field:
    """One field of a record class, as :func:`fields` lists them (the attributes of
    ``dataclasses.Field`` its callers read)."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(self, default: Any = MISSING, default_factory: Callable[[], Any] | None = None,
                 init: bool = True, repr: bool = True, compare: bool = True) -> None:
        if default is not MISSING and default_factory is not None:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r})"


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | None = None, init: bool = True,
          repr: bool = True, compare: bool = True) -> Any:
    """A field with more than a default, as ``dataclasses.field``."""
    return Field(default, default_factory, init, repr, compare)


class _Spec:
    """What a record class's methods read: its fields, and how ``__init__`` fills each one."""

    __slots__ = ("compare_names", "fields", "frozen", "init_names", "plan", "post_init", "repr_names")

    def __init__(self, fields: tuple[Field, ...], frozen: bool, post_init: bool) -> None:
        self.fields = fields
        self.frozen = frozen
        self.post_init = post_init
        self.init_names = tuple(f.name for f in fields if f.init)
        self.repr_names = tuple(f.name for f in fields if f.repr)
        self.compare_names = tuple(f.name for f in fields if f.compare)
        # (name, may the caller give it, the default, the factory): one tuple a field, read per call
        self.plan = tuple((f.name, f.init, f.default, f.default_factory) for f in fields)


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
class Record:
    """Base of a record class: subclass it and annotate the fields (see the module's docstring)."""

    __slots__ = ()
    __record__: ClassVar[_Spec]

    def __init_subclass__(cls, *, frozen: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited = getattr(cls, "__record__", None)
        fields = {f.name: f for f in inherited.fields} if inherited is not None else {}
        namespace = cls.__dict__
        for name, annotation in namespace.get("__annotations__", {}).items():
            if "ClassVar" in str(annotation):
                continue
            value = namespace.get(name, MISSING)
            f = value if isinstance(value, Field) else Field(value)
            if type(f.default) in (list, dict, set):
                raise ValueError(f"mutable default {type(f.default)} for field {name}: use default_factory")
            f.name = name
            fields[name] = f
            if f.default is MISSING:
                if name in namespace:
                    delattr(cls, name)
            else:
                setattr(cls, name, f.default)  # as a dataclass: the class attribute is the default
        _check_order(cls, fields.values())
        if inherited is not None and inherited.frozen != frozen:
            raise TypeError(f"{cls.__qualname__}: a frozen and a mutable record cannot inherit from each other")
        spec = _Spec(tuple(fields.values()), frozen, cls.__post_init__ is not Record.__post_init__)
        cls.__record__ = spec
        methods: dict[str, Any] = {"__match_args__": spec.init_names}
        if frozen:
            methods.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
        elif "__hash__" not in namespace:
            methods["__hash__"] = None  # mutable and compared by value: unhashable, as a dataclass
        for name, method in methods.items():
            setattr(cls, name, method)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        spec = type(self).__record__
        if args:
            if len(args) > len(spec.init_names):
                raise TypeError(f"{type(self).__qualname__}() takes {len(spec.init_names)} positional arguments "
                                f"but {len(args)} were given")
            for name, value in zip(spec.init_names, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{type(self).__qualname__}() got multiple values for argument {name!r}")
                kwargs[name] = value
        values = self.__dict__
        given = kwargs.pop
        for name, init, default, factory in spec.plan:
            value = given(name, default) if init else default
            if value is MISSING:
                if factory is None:
                    raise TypeError(f"{type(self).__qualname__}() missing required argument {name!r}")
                value = factory()
            values[name] = value
        if kwargs:
            raise TypeError(f"{type(self).__qualname__}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        if spec.post_init:
            self.__post_init__()

    def __post_init__(self) -> None:
        """Run after ``__init__`` when a record class defines it (checks, derived fields)."""

    def __repr__(self) -> str:
        key = (id(self), get_ident())
        if key in _in_repr:  # a record that holds itself: "...", as dataclasses' reprlib.recursive_repr
            return "..."
        _in_repr.add(key)
        try:
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record__.repr_names)
        finally:
            _in_repr.discard(key)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = type(self).__record__.compare_names
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in type(self).__record__.compare_names))


_in_repr: set[tuple[int, int]] = set()  # the records whose __repr__ is running, per thread


def _check_order(cls: type, fields: Any) -> None:
    """Refuse a field ``__init__`` takes without a default after one with a default, as ``dataclass``
    does: positional construction would otherwise fill the fields in a surprising order."""
    defaulted = None
    for f in fields:
        if not f.init:
            continue
        if f.default is not MISSING or f.default_factory is not None:
            defaulted = defaulted or f.name
        elif defaulted is not None:
            raise TypeError(f"{cls.__qualname__}: non-default argument {f.name!r} follows default argument "
                            f"{defaulted!r}")


def _frozen_setattr(self: Record, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Record, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


class FrozenRecordError(AttributeError):
    """An assignment to a field of a frozen record (``dataclasses.FrozenInstanceError``'s role)."""


def replace(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes`` (``dataclasses.replace``): fields that ``__init__`` does not
    take start again from their defaults."""
    spec = type(record).__record__
    for name in changes:
        if any(f.name == name and not f.init for f in spec.fields):
            raise ValueError(f"field {name} is not an __init__ argument and cannot be replaced")
    values = {name: getattr(record, name) for name in spec.init_names}
    values.update(changes)
    return type(record)(**values)


def fields(record: Record | type[Record]) -> tuple[Field, ...]:
    """The fields of a record or record class, in order (``dataclasses.fields``)."""
    return record.__record__.fields


def asdict(record: Record) -> dict[str, Any]:
    """The fields as a dict, nested records, dicts, lists and tuples converted alike
    (``dataclasses.asdict``; other values are shared, not deep-copied: a record holds immutable
    leaves or JSON-shaped data)."""
    return {f.name: _plain(getattr(record, f.name)) for f in record.__record__.fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return asdict(value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)  # a named tuple
    if hasattr(type(value), "__dataclass_fields__"):  # a dataclass off the start-up path (data of a result)
        import dataclasses

        return dataclasses.asdict(value)
    return value
