"""Catalog files loaded before, rebuilt without YAML or msgspec: `errcode lookup` starts fast.

One file per catalog directory in errcode's cache folder (`bot.caches.cache_dir`: the
user's cache folder; `ERRCODE_NO_CACHE=1` turns it off). A file is reused only when its bytes
are exactly the ones remembered and the loader's code is the one that remembered it
(errcode's version, Python's, and the size and time of the modules that build a
catalog); anything else is a miss and the file is parsed and validated as usual. The
cache holds plain values (`marshal`, no pickle: loading it runs no code) and is written
atomically; when it cannot be read or written, errcode carries on without it. A record of
the model is remembered as a list, its class's name then its field values in order, and
rebuilt straight from them (`bot.records.rebuild`).
"""

from __future__ import annotations

import marshal
import sys
import zlib
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from bot.caches import cache_dir, write_atomically
from bot.catalog import model
from bot.catalog.model import Entry, Product
from bot.records import rebuild

__all__ = ["CatalogCache"]

_FORMAT = 2
_CLASSES = {cls.__name__: cls for cls in (
    model.Cause, model.ChecklistItem, model.Command, model.Deployment, model.Entry,
    model.HealthCheckSpec, model.HealthFailure, model.Product, model.RetryPolicy)}
_NESTED = (list, tuple)


def _code_stamp() -> tuple:
    """What the loader is: a change to any of these makes every remembered file stale."""
    from bot import __version__

    here = Path(__file__).resolve().parent
    stamp: list[object] = [_FORMAT, __version__, sys.version_info[:3]]
    for path in (here / "load.py", here / "model.py", here / "shapes.py", here / "cache.py",
                 here.parent / "validation.py", here.parent / "text.py",
                 here.parent / "errors.py"):
        try:
            st = path.stat()
            stamp.append((path.name, st.st_mtime_ns, st.st_size))
        except OSError:
            stamp.append((path.name, None, None))
    return tuple(stamp)


class CatalogCache:
    """The remembered files of one catalog directory: name -> (bytes, product, entries)."""

    def __init__(self, file: Path | None, directory: str, stamp: tuple,
                 files: dict[str, tuple[bytes, object]]) -> None:
        self._file = file
        self._directory = directory
        self._stamp = stamp
        self._files = files
        self._used: set[str] = set()
        self._changed = False

    @classmethod
    def open(cls, directory: Path) -> CatalogCache:
        """The cache for `directory` (empty when there is none, or it is stale or broken)."""
        where = str(directory.resolve())
        folder = cache_dir()
        file = folder / f"catalog-{zlib.crc32(where.encode()):08x}.marshal" if folder else None
        stamp = _code_stamp()
        remembered: dict[str, tuple[bytes, object]] = {}
        if file is not None:
            try:
                doc = marshal.loads(file.read_bytes())
                if doc[0] == where and doc[1] == stamp and isinstance(doc[2], dict):
                    remembered = doc[2]
            except Exception:  # missing, unreadable, another version's: not remembered
                remembered = {}
        return cls(file, where, stamp, remembered)

    def get(self, name: str, data: bytes) -> tuple[Product, list[Entry]] | None:
        """The file as it was built last time, when `data` is exactly what was read then."""
        self._used.add(name)
        found = self._files.get(name)
        if found is None or found[0] != data:
            return None
        try:
            product, entries = _decode(found[1])
        except Exception:  # a shape this code does not know: parse the file instead
            return None
        if not isinstance(product, Product) or not all(isinstance(e, Entry) for e in entries):
            return None
        return product, list(entries)

    def put(self, name: str, data: bytes, product: Product, entries: list[Entry]) -> None:
        """Remember a file that loaded cleanly."""
        self._files[name] = (data, (_encode(product), tuple(_encode(e) for e in entries)))
        self._changed = True

    def save(self) -> None:
        """Write the cache when a file was added or changed, or one went away; never fails."""
        gone = set(self._files) - self._used
        if not (self._changed or gone) or self._file is None:
            return
        for name in gone:
            del self._files[name]
        try:
            data = marshal.dumps((self._directory, self._stamp, self._files))
        except ValueError:  # a value marshal cannot hold: no cache rather than a wrong one
            return
        write_atomically(self._file, data)


def _encode(value: Any) -> Any:
    """A record as [class name, field values...]; tuples, strings, numbers as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, *(_encode(getattr(value, f.name)) for f in fields(value))]
    if isinstance(value, tuple):
        return tuple(_encode(v) for v in value)
    return value


def _decode(value: Any) -> Any:
    """What `_encode` made, back; called only on lists and tuples (the rest is as it was)."""
    if type(value) is list:
        return rebuild(_CLASSES[value[0]],
                       [_decode(v) if type(v) in _NESTED else v for v in value[1:]])
    for v in value:
        if type(v) in _NESTED:
            return tuple([_decode(v) for v in value])
    return value
