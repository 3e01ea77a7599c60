"""What makes a cold start fast: the cache folder, and compiled regexes kept between runs.

`errcode lookup` is a short process that spends a third of its time compiling the
regular expressions of triage and redaction at import. `compiled_regexes()` keeps, in
the user's cache folder, what Python's regex compiler made of each pattern compiled
while a module was being imported (code constants, never text a user pasted), and hands
it straight to the regex engine (`_sre.compile`) in the next run. Each entry is exactly
what `re` would have passed to the engine, recorded on the way; the file is keyed by
the Python build and the engine's version, holds plain values (`marshal`: loading it
runs no code), and anything unexpected (no folder, a broken or foreign file, another
Python) means compiling as usual. `ERRCODE_NO_CACHE=1` turns every cache off.
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import import_module
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["cache_dir", "compiled_regexes", "write_atomically"]

_FORMAT = 1
_MAX_ENTRIES = 4_000
_MAX_PATTERN = 20_000  # characters; longer patterns are compiled every time


def cache_dir() -> Path | None:
    """`$ERRCODE_CACHE_DIR`, else `$XDG_CACHE_HOME/errcode`, else `~/.cache/errcode`;
    None when caching is off (`ERRCODE_NO_CACHE`) or no folder can be named."""
    if os.environ.get("ERRCODE_NO_CACHE", "").strip() not in ("", "0"):
        return None
    if chosen := os.environ.get("ERRCODE_CACHE_DIR", "").strip():
        return Path(chosen).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME", "").strip():
        return Path(xdg) / "errcode"
    try:
        return Path.home() / ".cache" / "errcode"
    except RuntimeError:
        return None


def write_atomically(file: Path, data: bytes) -> bool:
    """Write `data` to `file` through a temporary file; False (never an error) on failure."""
    tmp = file.with_name(f"{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp.write_bytes(data)
        os.replace(tmp, file)
        return True
    except OSError:  # read-only home, full disk: carry on without a cache
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False


class _Recorder:
    """Stands in for `_sre` inside `re._compiler`: passes everything through and notes,
    per thread, the arguments of the last `compile` (what a cache hit replays)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.last = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def compile(self, *args: Any) -> Any:
        self.last.args = args
        return self._engine.compile(*args)


class _CompiledRegexes:
    """Stands in for `re._compiler.compile` while installed."""

    def __init__(self, file: Path) -> None:
        # The regex engine and the compiler feeding it (CPython's; untyped internals).
        engine: Any = import_module("_sre")
        compiler: Any = import_module("re._compiler")
        self.file = file
        self.engine = engine
        self.compiler = compiler
        self.key = (_FORMAT, sys.version, engine.MAGIC, engine.CODESIZE, sys.maxunicode)
        self.entries: dict[tuple[str | bytes, int], tuple] = {}
        self.added = 0
        with suppress(Exception):  # missing, unreadable, another Python's: start empty
            doc = marshal.loads(file.read_bytes())
            # A full cache starts over, so patterns no longer in the code do not crowd out
            # the ones that are.
            if doc[0] == self.key and isinstance(doc[1], dict) and len(doc[1]) < _MAX_ENTRIES:
                self.entries = doc[1]
        self.original = compiler.compile
        self.debug = int(compiler.SRE_FLAG_DEBUG)
        self.recorder = _Recorder(engine)

    def compile(self, pattern: Any, flags: Any = 0) -> Any:
        if type(pattern) not in (str, bytes) or not isinstance(flags, int) or (
                flags & self.debug):
            return self.original(pattern, flags)
        key = (pattern, int(flags))
        found = self.entries.get(key)
        if found is not None:
            try:
                return self.engine.compile(pattern, *found)
            except Exception:  # a bad entry: compile the pattern properly instead
                self.entries.pop(key, None)
        self.recorder.last.args = None
        compiled = self.original(pattern, flags)
        args = self.recorder.last.args
        if (args is not None and args[0] is pattern and len(self.entries) < _MAX_ENTRIES
                and len(pattern) <= _MAX_PATTERN and _importing()):
            try:
                entry = (int(args[1]), [int(c) for c in args[2]], *args[3:])
                marshal.dumps(entry)
            except (TypeError, ValueError, IndexError):
                return compiled
            self.entries[key] = entry
            self.added += 1
        return compiled

    def install(self) -> None:
        self.compiler._sre = self.recorder
        self.compiler.compile = self.compile

    def uninstall(self) -> None:
        self.compiler.compile = self.original
        self.compiler._sre = self.engine

    def save(self) -> None:
        if self.added:
            with suppress(ValueError):  # a value marshal cannot hold: keep the old file
                write_atomically(self.file, marshal.dumps((self.key, self.entries)))


def _importing() -> bool:
    """Whether a module is being imported: only its code's patterns are kept, never one
    built at run time (which could hold pasted text)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") != "__main__":
            return True
        frame = frame.f_back
    return False


@contextmanager
def compiled_regexes(enabled: bool = True) -> Iterator[None]:
    """Within the block, regexes compiled by imports come from (and go to) the cache."""
    folder = cache_dir() if enabled else None
    cache = None
    if folder is not None:
        tag = f"{sys.implementation.cache_tag}-{sys.version_info.releaselevel}"
        with suppress(Exception):  # not CPython's regex engine: compile as usual
            cache = _CompiledRegexes(folder / f"regexes-{tag}.marshal")
    if cache is None:
        yield
        return
    cache.install()
    try:
        yield
    finally:
        cache.uninstall()
        cache.save()
