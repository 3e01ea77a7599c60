"""The one validation layer: raw YAML or environment data -> typed shapes, or one clear mistake.

Shapes are msgspec `Struct`s: msgspec adds ~15 ms to `errcode lookup` (imports and the
first check of the catalog), where pydantic would add ~100 ms. When data does not fit, the
mistake comes back as an `Invalid` with a key path (`("entries", 3, "retry", "policy")`)
and a message in people's words ("must be one of no, rarely, yes, once (got 'maybe')").
Unknown keys are reported before any other mistake (a misspelt key is usually the cause
of the rest), with the nearest known key. Callers add the file and entry and raise
`CatalogError` or `ConfigError`.

A field's `Meta(extra={"what": ...})` says in words what the field must be; without it
the words come from the type (`one of ...`, `a whole number from 1 to 256`, `a list`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import UnionType
from typing import Any, TypeVar, overload

import msgspec

__all__ = ["Invalid", "PathPart", "Secret", "Shape", "convert", "dotted", "drop_empty", "nearest",
           "regex_problem"]

T = TypeVar("T")
PathPart = str | int
# "<message> - at `$.a[0].b`", or for a mapping's key "<message> - at `key` in `$.a`";
# a mapping's values show as `[...]` (msgspec does not say which key).
_AT = re.compile(r"^(?P<msg>.*?) - at `(?P<path>\$[^`]*|key)`(?: in `\$(?P<outer>[^`]*)`)?$",
                 re.S)
_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`$")


class Shape(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of every validated shape: unknown keys are mistakes, values are frozen.

    Subclasses say `kw_only=True` (msgspec does not inherit it) so fields keep the
    order of the file.
    """


class Secret:
    """A value that never shows itself in repr/str; `reveal()` is the one way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class Invalid(ValueError):
    """Data that does not fit its shape: where (key path) and what is wrong, in words."""

    def __init__(self, path: Sequence[PathPart], message: str) -> None:
        self.path = tuple(path)
        self.message = message
        super().__init__(f"{dotted(self.path)}: {message}" if self.path else message)


def dotted(path: Sequence[PathPart]) -> str:
    """`("health", "targets", 0, "base_url")` -> `health.targets[0].base_url`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@overload
def convert(raw: object, shape: type[T], *, path: Sequence[PathPart] = ()) -> T: ...
@overload
def convert(raw: object, shape: UnionType, *, path: Sequence[PathPart] = ()) -> object: ...
def convert(raw: object, shape: type[T] | UnionType, *, path: Sequence[PathPart] = ()) -> object:
    """`raw` as `shape`, or Invalid naming the first mistake (unknown keys first)."""
    try:
        return msgspec.convert(raw, shape, dec_hook=_dec_hook)
    except msgspec.ValidationError as err:
        raise _explain(raw, shape, str(err), tuple(path)) from None


def drop_empty(raw: object) -> object:
    """Mappings without keys left empty (`aliases:` with nothing after it means the default)."""
    if isinstance(raw, dict):
        return {k: drop_empty(v) for k, v in raw.items() if v is not None}
    if isinstance(raw, list):
        return [drop_empty(v) for v in raw]
    return raw


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable regular expression, or None when it is."""
    try:
        re.compile(pattern)
    except re.error as err:
        return f"must be a valid regular expression ({err})"
    return None


def nearest(key: str, known: Sequence[str]) -> str | None:
    """The known key a misspelt one most likely meant (None when nothing is close)."""
    import difflib  # only on the error path

    found = difflib.get_close_matches(key.lower(), list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def _dec_hook(kind: type, value: object) -> object:
    if kind is Secret:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        return Secret(value.strip())
    raise NotImplementedError(kind)


# --------------------------------------------------------------------------- the error path


def _explain(raw: object, shape: type | UnionType, text: str,
             prefix: tuple[PathPart, ...]) -> Invalid:
    info = msgspec.inspect.type_info(shape)
    unknown = next(_unknown_keys(raw, info, ()), None)
    if unknown is not None:
        where, key, known = unknown
        return Invalid(prefix + where + (key,), _unknown_message(key, known))
    m = _AT.match(text)
    if m is None:  # a mistake at the top: the whole document has the wrong type
        return Invalid(prefix, _type_message(info, raw, text))
    where = _parts(m["outer"] if m["outer"] is not None else m["path"][1:])
    msg = m["msg"]
    node, value = _walk(info, raw, where)
    if missing := _MISSING.match(msg):
        field = _field(_pick(node, value), missing["key"])
        # "name: is required" needs no "(non-empty text)"; a list or mapping says its kind.
        plain = field is None or isinstance(_core(field.type), msgspec.inspect.StrType)
        what = None if plain else _what(field.type)
        return Invalid(prefix + where + (missing["key"],),
                       f"is required ({what})" if what else "is required")
    if unknown_field := _UNKNOWN.match(msg):  # not found by the walk: still named
        key = unknown_field["key"]
        known = [f.encode_name for f in getattr(_pick(node, value), "fields", ())]
        return Invalid(prefix + where + (key,), _unknown_message(key, known))
    if m["outer"] is not None and isinstance(_unwrap(node), msgspec.inspect.DictType):
        return Invalid(prefix + where, f"every key must be {_what(_unwrap(node).key_type)}")
    if isinstance(_unwrap(node), msgspec.inspect.CustomType):
        return Invalid(prefix + where, msg)  # the custom type's own words
    return Invalid(prefix + where, _type_message(node, value, msg))


def _parts(text: str) -> tuple[PathPart, ...]:
    return tuple(int(i) if i.isdigit() else (i or key) for key, i in _PART.findall(text))


def _unknown_message(key: str, known: Sequence[str]) -> str:
    guess = nearest(key, known)
    hint = f", did you mean '{guess}'?" if guess else ""
    return f"unknown key{hint} (known: {', '.join(sorted(known))})"


def _unwrap(node: Any) -> Any:
    while isinstance(node, msgspec.inspect.Metadata):
        node = node.type
    return node


def _core(node: Any) -> Any:
    """The type without its metadata and without `| None`."""
    node = _unwrap(node)
    if isinstance(node, msgspec.inspect.UnionType):
        members = [t for t in node.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(members) == 1:
            return _unwrap(members[0])
    return node


def _field(node: Any, name: str) -> Any:
    for field in getattr(_pick(node, {}), "fields", ()):
        if field.encode_name == name:
            return field
    return None


def _pick(node: Any, value: object) -> Any:
    """The member of a union that `value` was meant to be (mapping -> struct, list -> list)."""
    node = _unwrap(node)
    if not isinstance(node, msgspec.inspect.UnionType):
        return node
    for member in node.types:
        inner = _unwrap(member)
        if isinstance(value, dict) and isinstance(inner, (msgspec.inspect.StructType,
                                                          msgspec.inspect.DictType)):
            return inner
        if isinstance(value, list) and isinstance(inner, (msgspec.inspect.ListType,
                                                          msgspec.inspect.VarTupleType)):
            return inner
    return node


def _walk(node: Any, value: object, path: Sequence[PathPart]) -> tuple[Any, object]:
    """The type and the raw value at `path` (the value is None where the data stops)."""
    for part in path:
        inner = _pick(node, value)
        if isinstance(inner, msgspec.inspect.StructType):
            field = _field(inner, str(part))
            node = field.type if field is not None else msgspec.inspect.AnyType()
        elif isinstance(inner, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType,
                                msgspec.inspect.DictType)):
            node = getattr(inner, "item_type", None) or getattr(inner, "value_type", None)
        else:
            node = msgspec.inspect.AnyType()
        try:
            value = value[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            value = None
    return node, value


def _unknown_keys(value: object, node: Any, path: tuple[PathPart, ...]
                  ) -> Iterator[tuple[tuple[PathPart, ...], str, list[str]]]:
    """Every key the shape does not know, in document order."""
    inner = _pick(node, value)
    if isinstance(inner, msgspec.inspect.StructType) and isinstance(value, dict):
        fields = {f.encode_name: f for f in inner.fields}
        for key, item in value.items():
            if key not in fields:
                yield path, str(key), list(fields)
            else:
                yield from _unknown_keys(item, fields[key].type, (*path, key))
    elif isinstance(inner, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType)) \
            and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unknown_keys(item, inner.item_type, (*path, i))
    elif isinstance(inner, msgspec.inspect.DictType) and isinstance(value, dict):
        for key, item in value.items():
            yield from _unknown_keys(item, inner.value_type, (*path, key))


def _type_message(node: Any, value: object, fallback: str) -> str:
    what = _what(node)
    if what is None:
        return fallback
    inner = _unwrap(node)
    if isinstance(value, str) and not value.strip() and isinstance(inner, msgspec.inspect.StrType):
        return "must not be empty"
    return f"must be {what} (got {_show(value)})"


def _what(node: Any) -> str | None:
    """`node` in words: what a value must be."""
    if isinstance(node, msgspec.inspect.Metadata):
        if node.extra and "what" in node.extra:
            return str(node.extra["what"])
        return _what(node.type)
    described: dict[type, Callable[[Any], str | None]] = {
        msgspec.inspect.LiteralType: lambda n: "one of " + ", ".join(map(str, n.values)),
        msgspec.inspect.StrType: lambda n: (
            f"text matching {n.pattern}" if n.pattern else "a string"),
        msgspec.inspect.IntType: lambda n: _bounds("a whole number", n),
        msgspec.inspect.FloatType: lambda n: _bounds("a number", n),
        msgspec.inspect.BoolType: lambda n: "true or false",
        msgspec.inspect.ListType: lambda n: "a list",
        msgspec.inspect.VarTupleType: lambda n: "a list",
        msgspec.inspect.DictType: lambda n: "a mapping",
        msgspec.inspect.StructType: lambda n: "a mapping",
        msgspec.inspect.UnionType: lambda n: " or ".join(
            w for t in n.types if not isinstance(t, msgspec.inspect.NoneType)
            if (w := _what(t))) or None,
    }
    describe = described.get(type(node))
    return describe(node) if describe else None


def _bounds(noun: str, node: Any) -> str:
    low = node.ge if node.ge is not None else node.gt
    high = node.le if node.le is not None else node.lt
    if node.ge is not None and node.le is not None:
        return f"{noun} from {_num(node.ge)} to {_num(node.le)}"
    parts = []
    if low is not None:
        parts.append(f"{'at least' if node.ge is not None else 'more than'} {_num(low)}")
    if high is not None:
        parts.append(f"{'at most' if node.le is not None else 'less than'} {_num(high)}")
    return f"{noun} {' and '.join(parts)}" if parts else noun


def _num(x: float) -> str:
    return f"{x:g}"


def _show(value: object) -> str:
    """A value as a person would recognise it in their file (short, never a whole tree)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return type(value).__name__
