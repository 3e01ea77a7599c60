"""`@record` (bot.records) behaves as `@dataclass(frozen=True)` does, class for class."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from bot.records import rebuild, record


@record
class Point:
    """A record with a required field, defaults, a factory and a hidden field."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    notes: dict = field(default_factory=dict)
    secret: str | None = field(default=None, repr=False)
    ignored: int = field(default=0, compare=False)


@dataclass(frozen=True)
class PointDC:
    """The same fields, as a frozen dataclass."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    notes: dict = field(default_factory=dict)
    secret: str | None = field(default=None, repr=False)
    ignored: int = field(default=0, compare=False)


@record
class Hashable:
    """Only hashable fields, and one left out of the hash."""

    a: str
    b: tuple[int, ...] = ()
    c: int = field(default=0, hash=False)


@dataclass(frozen=True)
class HashableDC:
    """The same fields, as a frozen dataclass."""

    a: str
    b: tuple[int, ...] = ()
    c: int = field(default=0, hash=False)


@record
class One:
    """A record of one field."""

    only: str


CALLS = [((1,), {}), ((1, 2), {}), ((), {"x": 3, "tags": ("a",)}), ((1,), {"secret": "s"}),
         ((1, 2, ("t",), {"k": 1}, "s", 9), {})]


def same_repr(made: object, reference: object) -> str:
    return repr(made).replace(type(made).__qualname__, type(reference).__qualname__, 1)


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_made_as_a_frozen_dataclass_would_be(args, kwargs):
    made, reference = Point(*args, **kwargs), PointDC(*args, **kwargs)
    assert vars(made) == vars(reference)
    assert list(vars(made)) == list(vars(reference))  # in field order
    assert same_repr(made, reference) == repr(reference)
    assert dataclasses.asdict(made) == dataclasses.asdict(reference)
    assert [f.name for f in dataclasses.fields(made)] == [
        f.name for f in dataclasses.fields(reference)]
    assert dataclasses.is_dataclass(made) and made.__match_args__ == reference.__match_args__


def test_factories_make_a_new_value_each_time():
    assert Point(1).notes == {} and Point(1).notes is not Point(1).notes


def test_equality_and_hash_follow_the_fields():
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(1, 3)
    assert Point(1, ignored=1) == Point(1, ignored=2)  # compare=False
    assert Point(1) != PointDC(1) and Point(1).__eq__(PointDC(1)) is NotImplemented
    for args in [("a",), ("a", (1, 2)), ("a", (), 5)]:
        assert hash(Hashable(*args)) == hash(HashableDC(*args))
    assert hash(Hashable("a", c=1)) == hash(Hashable("a", c=2))
    assert hash(One("x")) == hash(("x",)) and One("x") == One("x")
    assert {Hashable("a"): 1}[Hashable("a")] == 1


def test_frozen():
    made = Point(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        made.x = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'other'"):
        made.other = 2  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'x'"):
        del made.x  # type: ignore[misc]


def test_replace_copy_and_pickle():
    made = Point(1, tags=("a",), secret="s")
    assert dataclasses.replace(made, y=5) == Point(1, 5, ("a",), secret="s")
    assert copy.copy(made) == made and copy.deepcopy(made) == made
    assert pickle.loads(pickle.dumps(made)) == made


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing 1 required positional argument: 'x'"),
    ((1, 2, 3, 4, 5, 6, 7), {}, "takes from 2 to 7 positional arguments but 8 were given"),
    ((1,), {"x": 2}, "got multiple values for argument 'x'"),
    ((1,), {"z": 2}, "got an unexpected keyword argument 'z'"),
])
def test_wrong_arguments_are_refused_as_python_refuses_them(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)
    with pytest.raises(TypeError, match=message):
        PointDC(*args, **kwargs)


def test_a_record_without_defaults_counts_its_arguments_as_python_does():
    with pytest.raises(TypeError, match=r"One.__init__\(\) takes 2 positional arguments but 3"):
        One("a", "b")  # type: ignore[call-arg]


def test_rebuild_is_the_record_from_its_values():
    values = (1, 2, ("t",), {"k": 1}, "s", 9)
    assert rebuild(Point, values) == Point(*values)
    assert vars(rebuild(Point, values)) == vars(Point(*values))
    with pytest.raises(TypeError):
        rebuild(Point, values[:-1])


def test_what_it_does_not_cover_is_refused():
    with pytest.raises(TypeError, match="__post_init__"):
        @record
        class WithPostInit:
            """."""

            a: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="init=False"):
        @record
        class NotInInit:
            """."""

            a: int = field(default=0, init=False)

    with pytest.raises(TypeError, match="docstring"):
        @record
        class NoDoc:
            a: int
