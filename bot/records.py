"""`@record`: a frozen dataclass whose methods are shared, not compiled for each class.

`@dataclass(frozen=True)` writes `__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__` and `__delattr__` of each class as source text and compiles them while the
module is imported: six compilations a class, the more fields the dearer (the catalog
model's ten classes and the settings' two: ~45M instructions, a tenth of what `errcode
lookup` ran; as records, ~5M). A class decorated with `@record` is a frozen dataclass all
the same (`fields`, `replace`, `asdict`, `is_dataclass` and type checkers treat it as
one); its methods are the functions below, written once, which read the class's fields
(names, defaults, `repr=`, `compare=`, `hash=`) and do what the generated ones would:
same arguments, same repr, equality and hash, the same `FrozenInstanceError` on
assignment. Nothing is generated, stored or compiled. tests/test_records.py holds a
record and the equivalent dataclass to the same behaviour.

Covered: fields with or without a default, `field(default=..., default_factory=...,
repr=..., compare=..., hash=...)`. A class that needs more (`__post_init__`, `InitVar`,
`field(init=False)`, `ClassVar`, keyword-only fields, or a method of its own in place of
one of these) is refused at definition: make it a `@dataclass(frozen=True)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

__all__ = ["rebuild", "record"]

T = TypeVar("T")
_WRITTEN = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__",
            "__post_init__")


class _Spec:
    """What the shared methods read of one class, worked out once when it is defined."""

    __slots__ = ("cls", "compared", "defaults", "factories", "hashed", "names", "shown")
    cls: type[Any]

    def __init__(self, cls: type[Any]) -> None:
        found = fields(cls)
        self.cls = cls
        self.names = tuple(f.name for f in found)
        self.defaults = {f.name: f.default for f in found if f.default is not MISSING}
        self.factories = {f.name: f.default_factory for f in found
                          if f.default_factory is not MISSING}
        self.shown = tuple(f.name for f in found if f.repr)
        self.compared = _tuple_of(tuple(f.name for f in found if f.compare))
        self.hashed = _tuple_of(tuple(f.name for f in found
                                      if (f.compare if f.hash is None else f.hash)))


def _tuple_of(names: tuple[str, ...]) -> Any:
    """obj -> the tuple of these attributes (attrgetter gives a bare value for one name)."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names) if names else lambda obj: ()


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """Make `cls` a frozen dataclass with the shared methods (see the module's doc)."""
    for name in _WRITTEN:
        if name in cls.__dict__:
            raise TypeError(f"@record writes {cls.__name__}.{name}: use @dataclass instead")
    if not cls.__doc__:  # dataclass would build one with inspect.signature
        raise TypeError(f"@record class {cls.__name__} needs a docstring")
    dataclass(cls, init=False, repr=False, eq=False)
    for f in fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only is True:
            raise TypeError(f"@record field {cls.__name__}.{f.name}: init=False and "
                            "kw_only are not covered: use @dataclass instead")
    spec = _Spec(cls)
    if len(cls.__dataclass_fields__) != len(spec.names):  # type: ignore[attr-defined]
        raise TypeError(f"@record class {cls.__name__}: InitVar and ClassVar are not "
                        "covered: use @dataclass instead")
    for name, value in (("_record_spec", spec), ("__init__", _init), ("__repr__", _repr),
                        ("__eq__", _eq), ("__hash__", _hash), ("__setattr__", _setattr),
                        ("__delattr__", _delattr)):
        setattr(cls, name, value)
    return cls


def rebuild(cls: type[T], values: Sequence[Any]) -> T:
    """The record of `cls` with these field values (all of them, in field order): what
    `cls(*values)` makes, without matching arguments to fields (a cache reading hundreds)."""
    spec: _Spec = cls._record_spec  # type: ignore[attr-defined]
    if len(values) != len(spec.names):
        raise TypeError(f"{cls.__qualname__} has {len(spec.names)} fields, not {len(values)}")
    made = object.__new__(cls)
    made.__dict__.update(zip(spec.names, values, strict=True))
    return made


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec: _Spec = self._record_spec
    names = spec.names
    if len(args) > len(names):
        least = sum(name not in spec.defaults and name not in spec.factories for name in names)
        takes = (f"{len(names) + 1}" if least == len(names) else
                 f"from {least + 1} to {len(names) + 1}")
        raise TypeError(f"{spec.cls.__qualname__}.__init__() takes {takes} positional "
                        f"arguments but {len(args) + 1} were given")
    values = self.__dict__  # as the generated __init__ sets them: in field order
    used = 0
    missing = []
    for i, name in enumerate(names):
        if i < len(args):
            if name in kwargs:
                raise TypeError(f"{spec.cls.__qualname__}.__init__() got multiple values "
                                f"for argument '{name}'")
            values[name] = args[i]
        elif name in kwargs:
            values[name] = kwargs[name]
            used += 1
        elif name in spec.defaults:
            values[name] = spec.defaults[name]
        elif name in spec.factories:
            values[name] = spec.factories[name]()
        else:
            missing.append(name)
    if used != len(kwargs):
        unknown = next(k for k in kwargs if k not in names)
        raise TypeError(f"{spec.cls.__qualname__}.__init__() got an unexpected keyword "
                        f"argument '{unknown}'")
    if missing:
        quoted = [f"'{name}'" for name in missing]
        listed = (quoted[0] if len(quoted) == 1 else
                  ", ".join(quoted[:-1]) + f"{',' if len(quoted) > 2 else ''} and {quoted[-1]}")
        raise TypeError(f"{spec.cls.__qualname__}.__init__() missing {len(missing)} required "
                        f"positional argument{'s' * (len(missing) > 1)}: {listed}")


@recursive_repr()
def _repr(self: Any) -> str:
    names = self._record_spec.shown
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is self.__class__:
        compared = type(other)._record_spec.compared  # type: ignore[attr-defined]
        return bool(compared(self) == compared(other))
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self._record_spec.hashed(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    spec: _Spec = self._record_spec
    if type(self) is spec.cls or name in spec.names:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    super(spec.cls, self).__setattr__(name, value)


def _delattr(self: Any, name: str) -> None:
    spec: _Spec = self._record_spec
    if type(self) is spec.cls or name in spec.names:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    super(spec.cls, self).__delattr__(name)
