"""What a support thread says about the escalation checklist, in people's own words.

"we run 3.4.1 on AKS", `"version": "3.4.1"` in pasted health output, "licence key
MV-2291-ACME", "steps to reproduce: 1. ...", log lines with an error level. Each
finder is one compiled regex pass over a message; questions ("is this AKS?") are not
statements, so sentences ending in `?` are skipped for the environment facts.

Linear and fast on a 5 MB log: sentences never cross a line, so only lines with a `?`
are split into sentences; and in a long text, a case-insensitive regex (slow: it is
tried at every character) runs only on the few lines around the places where a cheap
necessary condition holds (its key word, found case-sensitively in the lowercased
text, `_search_near`). Fast on a 5,000-message thread too: a chat message where none
of those conditions holds is not searched at all (`_short_and_without`). What each
finder finds is exactly what the one regex pass over the whole text finds;
tests/escalation hold the two side by side.

Product words come from the catalog (`FactWords.of(catalog, product)`): the product
names that may stand before a version ("MazeVault 3.4.1") and the deployment types
with the words people use for them. Everything else here is plain English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from heapq import merge
from typing import TYPE_CHECKING

from bot.triage.extract import unescape_slack

if TYPE_CHECKING:
    from bot.catalog.model import Catalog, Deployment

__all__ = ["FactWords", "LogLines", "deployment_in", "email_in", "health_output_in",
           "license_in", "log_lines", "steps_in", "version_in"]

_VERSION_NUM = r"v?(?P<v>\d{1,4}\.\d{1,4}(?:\.\d{1,6}){0,2}(?:-[0-9A-Za-z][0-9A-Za-z.]{0,20})?)"
_NOT_MORE = r"(?![.\d])"
# "version 3.4.1", "version: 3.4", `"version": "3.4.1"`, "release 3.4.1"
_VERSION_SAID = re.compile(r"(?i)\b(?:app_?)?version[\"']?\s{0,3}(?:is\s|:|=|of\s)?\s{0,3}"
                           r"[\"']?" + _VERSION_NUM + _NOT_MORE)
# "we run 3.4.1", "upgraded to 3.4.2", "on v3.4.1": three parts, weaker context
_VERSION_RUN = re.compile(r"(?i)\b(?:run|running|on|to|using|upgraded|deployed)\s{1,3}"
                          r"v?(?P<v>\d{1,4}\.\d{1,4}\.\d{1,6}(?:-[0-9A-Za-z][0-9A-Za-z.]{0,20})?)"
                          + _NOT_MORE)
_DEPLOYMENT_FIELD = re.compile(r"(?i)\"deployment(?:_type)?\"\s{0,3}:\s{0,3}\"([^\"\n]{1,40})\"")
_LICENSE = re.compile(
    r"(?i)\blicen[cs]e(?:[ _-]?(?:key|id|ref(?:erence)?|number|no\.?))*\s{0,3}"
    r"(?:is\s|:|=|#)?\s{0,3}[\"'`]?(?P<v>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{4,63})")
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_AT_DOMAIN = re.compile(r"@[A-Za-z0-9-]{1,63}\.[A-Za-z0-9-]")
_CONTACT_WORDS = re.compile(r"(?i)\b(?:contact|reach|e-?mail|reply|cc|write to|send to)\b")
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))*(?:[.!?]+|\n|$)")
_STEPS = re.compile(
    r"(?im)^[ \t>*_]*(?:steps?\s+to\s+repro(?:duce)?|repro(?:duction)?\s+steps|how\s+to\s+"
    r"reproduce|to\s+reproduce|repro)\b\s*[:\-]?")
_NUMBERED = re.compile(r"(?m)^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+\S")
_HEALTH_JSON = re.compile(r"(?s)\{\s*\"status\"\s*:\s*\"[a-z]+\".{0,4000}?\"components\"\s*:")
_LOG_LINE = re.compile(
    r".{0,100}?(?:(?P<word>\b(?:ERROR|FATAL|CRITICAL|SEVERE|PANIC|WARN(?:ING)?)\b)"
    r"|(?i:\"(?:level|severity|lvl)\"\s*:\s*\"(?:error|fatal|critical|warn(?:ing)?)\""
    r"|\b(?:level|lvl|severity)=\"?(?:error|fatal|critical|warn(?:ing)?)\b)).*$")
# A level word alone ("we see ERROR in the UI") is chat; a log line starts like one.
_LOG_SHAPE = re.compile(r"\s*(?:\[?\d{4}-\d{2}-\d{2}[T ]\d|\[?\d{2}:\d{2}:\d{2}"
                        r"|\[?(?:ERROR|FATAL|CRITICAL|SEVERE|PANIC|WARN(?:ING)?)\b)")
_LEVEL_HINT = re.compile(r"ERROR|FATAL|CRITICAL|SEVERE|PANIC|WARN|(?i:level|severity|lvl)")
_ERROR_LEVEL = re.compile(r"(?i)\b(?:error|fatal|critical|severe|panic)\b")

# Anchors: necessary conditions of the regexes above, searched in the lowercased text
# (case-sensitive, no leading \b: fast). Each is a prefix of its regex up to the first
# digit of the version, so wherever the regex matches, its anchor matches too.
_VERSION_SAID_ANCHOR = re.compile(
    r"version[\"']?\s{0,3}(?:is\s|:|=|of\s)?\s{0,3}[\"']?v?\d")
_VERSION_RUN_ANCHOR = re.compile(r"(?:run|running|on|to|using|upgraded|deployed)\s{1,3}v?\d")
_LICENSE_ANCHOR = re.compile(r"licen[cs]e")
# `_LEVEL_HINT` in two parts: its capitals as written, its words in the lowercased text.
_LEVEL_WORDS = re.compile(r"ERROR|FATAL|CRITICAL|SEVERE|PANIC|WARN")
_LEVEL_KEYS = re.compile(r"level|severity|lvl")
# A match of any regex here spans at most this many line breaks (`\s{0,3}` twice and one
# `is\s`), so the lines from an anchor's to this many after it hold the whole match.
_REACH = 8
# More anchors than this (a text made of them) and one regex pass is quicker.
_MAX_HITS = 1_000
# Shorter texts (chat messages) are searched whole: one regex pass is quicker than
# finding anchors.
_LONG = 4_096
# The only characters outside ASCII that match an ASCII letter case-insensitively, or
# whose lowercase is one (İ, ı, ſ, Kelvin sign): a text holding one is searched whole.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _statements(text: str) -> str:
    """The text without its questions: "is this AKS or on-prem?" says nothing.

    Sentences never cross a line break, and a sentence dropped ends in `?`, so a line
    without a `?` is kept whole and only the others are split into sentences."""
    if "?" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "?" in line:
            lines[i] = "".join(s for s in _SENTENCE.findall(line)
                               if not s.rstrip().endswith("?"))
    return "\n".join(lines)


def _lowered(text: str) -> str | None:
    """`text` lowercased character for character, for finding anchors; None when that
    could miss a case-insensitive match (then the text is searched whole), and for a
    short text (one regex pass is quicker than finding anchors)."""
    return None if len(text) < _LONG else _lower_exact(text)


def _lower_exact(text: str) -> str | None:
    """`text` lowercased character for character; None when an anchor found in it could
    miss a case-insensitive match."""
    low = text.lower()
    if len(low) != len(text) or (not text.isascii() and any(c in text for c in _FOLDS_TO_ASCII)):
        return None
    return low


def _short_and_without(text: str, anchors: Iterable[re.Pattern[str] | None]) -> bool:
    """True when `text` is short (searched whole, not near anchors) and holds none of the
    anchors: then none of their regexes can match it. Most of a thread is chat that
    states no fact, and a case-sensitive anchor fails at once where a case-insensitive
    regex is tried at every character."""
    low = _lower_exact(text) if len(text) < _LONG else None
    return low is not None and not any(a is None or a.search(low) for a in anchors)


def _search(regex: re.Pattern[str], text: str, low: str | None,
            anchor: re.Pattern[str] | None, needles: tuple[str, ...] = ()
            ) -> re.Match[str] | None:
    """`regex.search(text)`: the same first match, found near the anchors when there are
    some (`low` and `anchor` given), else by one pass over the whole text. `needles`:
    words of which every match of the anchor holds one (`_needles`); when `low` holds
    none, a fast find for each says there is no match without a regex pass."""
    if low is None or anchor is None:
        return regex.search(text)
    if needles and not any(needle in low for needle in needles):
        return None
    return _search_near(regex, text, low, anchor)


@lru_cache(maxsize=256)
def _needles(words: tuple[str, ...]) -> tuple[str, ...]:
    """The longest part of each of `words`, lowercase, as `_phrase` splits them: wherever
    their anchor (`_words_anchor`, `_names_anchor`) matches, one of these is written.
    A part holding another is left out ("vault" is in every "mazevault")."""
    parts = {max(re.split(r"[\s-]+", w.lower().strip()), key=len) for w in words}
    return tuple(sorted(p for p in parts if not any(q != p and q in p for q in parts)))


def _search_near(regex: re.Pattern[str], text: str, low: str,
                 anchor: re.Pattern[str]) -> re.Match[str] | None:
    """The first match of `regex` in `text`, searching only blocks of whole lines: from
    the line of each place `anchor` matches `low` to `_REACH` lines after it.

    Every match of `regex` holds a match of its anchor at its start's line and ends
    within `_REACH` lines, so it lies inside a block; blocks are searched in order, each
    once (overlapping ones are merged), so the first match found is the text's first.
    A block starts at a line start and ends at a line break, so `\b`, lookbehinds and
    lookaheads at its edges see what they would see in the whole text. Past `_MAX_HITS`
    anchors the rest of the text is searched in one pass (no match lies before it)."""
    lo = hi = line_end = -1
    for count, hit in enumerate(anchor.finditer(low)):
        if hit.start() <= line_end:
            continue  # on the line of the hit before: its lines are in the block already
        start = text.rfind("\n", line_end + 1, hit.start()) + 1 or line_end + 1
        if count >= _MAX_HITS:  # anchors everywhere: one pass from here is quicker
            return regex.search(text, lo if lo >= 0 else start)  # from the unsearched block
        line_end = text.find("\n", hit.start())
        line_end = len(text) if line_end == -1 else line_end
        if start <= hi:  # the hit's line is in the block being built: extend it
            hi = max(hi, _lines_end(text, line_end))
            continue
        if hi >= 0 and (m := regex.search(text, lo, hi)):
            return m
        lo, hi = start, _lines_end(text, line_end)
    return regex.search(text, lo, hi) if hi >= 0 else None


def _lines_end(text: str, line_end: int) -> int:
    """Where the line `_REACH` lines after the one ending at `line_end` ends (its line
    break, or the end of the text)."""
    for _ in range(_REACH):
        if line_end >= len(text):
            return len(text)
        line_end = text.find("\n", line_end + 1)
        if line_end == -1:
            return len(text)
    return line_end


@dataclass(frozen=True)
class FactWords:
    """The catalog's words for facts: product names and deployment types."""

    product_names: tuple[str, ...] = ()
    deployments: tuple[Deployment, ...] = ()

    @classmethod
    def of(cls, catalog: Catalog, product: str | None = None) -> FactWords:
        """Every product's names; the product's own deployment types, or (when it lists
        none, or is not known) those of every product in the catalog, first listed first."""
        products = list(catalog.products.values())
        names = tuple(dict.fromkeys(n for p in products for n in p.names))
        own = catalog.products[product].deployments \
            if product is not None and product in catalog.products else ()
        every: dict[str, Deployment] = {}
        for p in products:
            for d in p.deployments:
                every.setdefault(d.name, d)
        return cls(names, own or tuple(every.values()))


def version_in(text: str, words: FactWords = FactWords()) -> str | None:
    """A product version stated in the text ("version 3.4", "MazeVault v3.5", "run 3.4.1")."""
    said = _statements(text)
    low = _lowered(said)
    names = words.product_names
    finders = [(regex, anchor, needles) for regex, anchor, needles in (
        (_VERSION_SAID, _VERSION_SAID_ANCHOR, ()),
        (_after_names(names), _names_anchor(names), _needles(names)),
        (_VERSION_RUN, _VERSION_RUN_ANCHOR, ())) if regex is not None]
    if _short_and_without(said, (anchor for _, anchor, _ in finders)):
        return None
    for regex, anchor, needles in finders:
        if m := _search(regex, said, low, anchor, needles):
            return m["v"]
    return None


def deployment_in(text: str, words: FactWords = FactWords()) -> str | None:
    """The deployment type named in the text: a `"deployment": "..."` field as written,
    else the first of `words.deployments` whose words the text uses."""
    if m := _DEPLOYMENT_FIELD.search(text):
        return m[1]
    said = _statements(text)
    low = _lowered(said)
    # Most messages use none of the words of any deployment type: one pass says so.
    every = tuple(w for deployment in words.deployments for w in deployment.words)
    if _short_and_without(said, (_words_anchor(every),)):
        return None
    for deployment in words.deployments:
        if _search(_words_regex(deployment.words), said, low, _words_anchor(deployment.words),
                   _needles(deployment.words)):
            return deployment.name
    return None


@lru_cache(maxsize=64)
def _after_names(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """A version right after a product name: "MazeVault 3.4.1", "maze-vault v3.5"."""
    if not names:
        return None
    spelled = sorted({_phrase(n) for n in names}, key=len, reverse=True)
    return re.compile(r"(?i)\b(?:" + "|".join(spelled) + r")\s{1,3}" + _VERSION_NUM + _NOT_MORE)


@lru_cache(maxsize=64)
def _names_anchor(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """`_after_names`' anchor: a name, lowercase, then a version's first digit."""
    if not names or not all(n.isascii() for n in names):
        return None  # a name outside ASCII: search the whole text
    spelled = sorted({_phrase(n.lower()) for n in names}, key=len, reverse=True)
    return re.compile(r"(?:" + "|".join(spelled) + r")\s{1,3}v?\d")


@lru_cache(maxsize=256)
def _words_anchor(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """`_words_regex`' anchor: any of the words, lowercase, wherever it stands."""
    if not words or not all(w.isascii() for w in words):
        return None
    return re.compile("|".join(_phrase(w.lower()) for w in words))


@lru_cache(maxsize=256)
def _words_regex(words: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words, any case; an all-capitals word (AKS) only as written."""
    alternatives = [(r"\b" + _phrase(w) + r"\b") if w.isupper()
                    else (r"(?i:\b" + _phrase(w) + r"\b)") for w in words]
    return re.compile("|".join(alternatives))


def _phrase(words: str) -> str:
    """A phrase whose spaces and hyphens also match the other or nothing."""
    return r"[\s-]?".join(re.escape(part) for part in re.split(r"[\s-]+", words.strip()))


def license_in(text: str) -> str | None:
    """A licence key reference ("licence key MV-2291-ACME"); it must contain a digit."""
    m = _search(_LICENSE, text, _lowered(text), _LICENSE_ANCHOR)
    return m["v"] if m else None


def email_in(text: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """An email address given as the contact ("reach me at ops@acme.io")."""
    if "@" not in text:
        return None
    if "<mailto:" in text:
        text = unescape_slack(text)
    # An address has an "@" before a dotted domain; `_EMAIL` opens with a lookbehind, tried
    # at every offset: start it just before the first such "@" (none in `<@U123>` runs).
    first = _AT_DOMAIN.search(text)
    if first is None:
        return None
    for m in _EMAIL.finditer(text, max(0, first.start() - 64)):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        if m[0].lower() not in exclude and _CONTACT_WORDS.search(
                text, start, len(text) if end == -1 else end):
            return m[0]
    return None


def steps_in(text: str) -> str | None:
    """Steps to reproduce: from a "steps to reproduce" heading to the end of the message."""
    if (low := _lower_exact(text)) is not None and "repro" not in low:
        return None  # every heading `_STEPS` knows says "repro"
    m = _STEPS.search(text)
    if m is None:
        return None
    steps = text[m.end():].strip()
    if not steps or (len(_NUMBERED.findall(steps)) < 1 and len(steps) < 20):
        return None
    return steps[:4000]


def health_output_in(text: str) -> str | None:
    """Health endpoint output pasted into the thread (JSON with status and components)."""
    m = _HEALTH_JSON.search(text)
    if m is None:
        return None
    start = m.start()
    end = text.find("\n\n", start)
    return text[start:end if end != -1 else start + 4000][:4000]


@dataclass(frozen=True)
class LogLines:
    lines: tuple[str, ...]
    errors: int  # how many are at an error level (not just warnings)


def log_lines(text: str) -> LogLines:
    """Log lines at warning level or worse (plain, `key=value` and JSON log lines)."""
    found = [line.rstrip() for line in _hinted_lines(text)
             if (m := _LOG_LINE.match(line)) and (not m["word"] or _LOG_SHAPE.match(line))]
    return LogLines(tuple(found), sum(1 for line in found if _ERROR_LEVEL.search(line)))


def _hinted_lines(text: str) -> Iterator[str]:
    """Each line that names a level (`_LEVEL_HINT`), once, in order; only those are read.
    In a long text its capitals are found as written and its words in the lowercased
    text (a case-insensitive part makes the one regex slow)."""
    if _short_and_without(text, (_LEVEL_KEYS,)) and not _LEVEL_WORDS.search(text):
        return  # a chat message naming no level
    low = _lowered(text)
    if low is None:
        pos = 0
        while hint := _LEVEL_HINT.search(text, pos):
            start = text.rfind("\n", 0, hint.start()) + 1
            end = text.find("\n", hint.end())
            end = len(text) if end == -1 else end
            yield text[start:end]
            pos = end + 1
        return
    end = -1
    for at in merge((m.start() for m in _LEVEL_WORDS.finditer(text)),
                    (m.start() for m in _LEVEL_KEYS.finditer(low))):
        if at <= end:
            continue  # a line already read
        start = text.rfind("\n", end + 1, at) + 1 or end + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        yield text[start:end]
