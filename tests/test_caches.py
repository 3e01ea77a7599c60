"""Compiled regexes kept between runs: a pattern from the cache is the pattern `re` makes,
only a module's own patterns are kept (never one built from a paste), and a broken
cache is ignored."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from bot.caches import compiled_regexes

MODULE = '''
import re
WORD = re.compile(r"(?P<code>[A-Z][A-Z0-9_]{2,})\\b")
HEADER = re.compile(r"(?im)^[<>*\\s]*(retry-after|x-request-id)\\s*:\\s*(?P<value>\\S+)")
BYTES = re.compile(rb"\\x00+(?=end)")
NAMED = re.compile(r"(?x) (?P<major>\\d+) \\. (?P<minor>\\d+) (?:\\.(?P<patch>\\d+))?")
UNICODE = re.compile(r"(?i)stra(?:ß|ss)e|\\w+ſ")


def at_run_time(text):
    return re.compile(re.escape(text) + r"\\d+")
'''
SAMPLES = ["RATE_LIMITED now", "< Retry-After: 45\n> X-Request-ID: req_1", b"\x00\x00end",
           "v 3.4.12 and 1.2", "STRASSE straße kſ"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ERRCODE_CACHE_DIR", str(folder))
    monkeypatch.delenv("ERRCODE_NO_CACHE", raising=False)
    (tmp_path / "regexes_sample.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return folder


def fresh_import():
    """The sample module imported anew, with `re`'s own in-process cache emptied."""
    sys.modules.pop("regexes_sample", None)
    re.purge()
    return importlib.import_module("regexes_sample")


def behaviour(module) -> list:
    out = []
    for name in ("WORD", "HEADER", "BYTES", "NAMED", "UNICODE"):
        p = getattr(module, name)
        sample = next(s for s in SAMPLES if isinstance(s, type(p.pattern)))
        found = [(m.span(), m.groups(), m.groupdict()) for m in p.finditer(sample)]
        out.append((p.pattern, p.flags, p.groups, dict(p.groupindex), found))
    return out


def test_a_pattern_from_the_cache_behaves_as_re_compiles_it(cache, monkeypatch):
    expected = behaviour(fresh_import())  # no cache
    with compiled_regexes():
        assert behaviour(fresh_import()) == expected  # compiled, remembered
    assert list(cache.glob("regexes-*.marshal"))
    with compiled_regexes():
        module = fresh_import()
        with monkeypatch.context() as m:  # the pattern parser is not needed any more
            m.setattr(re._parser, "parse", lambda *a: pytest.fail("parsed again"))
            module = fresh_import()
        assert behaviour(module) == expected  # from the cache
    assert re._compiler.compile.__module__ == "re._compiler"  # put back as it was


def test_only_a_module_s_own_patterns_are_kept(cache):
    with compiled_regexes():
        module = fresh_import()
        module.at_run_time("a pasted secret sk_live_51HxYz")
    stored = b"".join(p.read_bytes() for p in cache.glob("regexes-*.marshal"))
    assert b"(?P<code>" in stored
    assert b"sk_live_51HxYz" not in stored  # built at run time from text: compiled, not kept


def test_a_broken_cache_or_one_turned_off_is_ignored(cache, monkeypatch):
    expected = behaviour(fresh_import())
    with compiled_regexes():
        fresh_import()
    for file in cache.glob("regexes-*.marshal"):
        file.write_bytes(file.read_bytes()[:-40])  # cut short
    with compiled_regexes():
        assert behaviour(fresh_import()) == expected
    monkeypatch.setenv("ERRCODE_NO_CACHE", "1")
    with compiled_regexes():
        assert re._compiler.compile.__module__ == "re._compiler"  # nothing installed
        assert behaviour(fresh_import()) == expected
