"""What a support thread says about the escalation checklist, in people's own words.

"we run 3.4.1 on AKS", `"version": "3.4.1"` in pasted health output, "licence key
MV-2291-ACME", "steps to reproduce: 1. ...", log lines with an error level. Each
finder is one compiled regex pass over a message; questions ("is this AKS?") are not
statements, so sentences ending in `?` are skipped for the environment facts.

Product words come from the catalog (`FactWords.of(catalog, product)`): the product
names that may stand before a version ("MazeVault 3.4.1") and the deployment types
with the words people use for them. Everything else here is plain English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
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


def _statements(text: str) -> str:
    """The text without its questions: "is this AKS or on-prem?" says nothing."""
    return "".join(s for s in _SENTENCE.findall(text) if not s.rstrip().endswith("?"))


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
    regexes = [_VERSION_SAID, _after_names(words.product_names), _VERSION_RUN]
    for regex in regexes:
        if regex is not None and (m := regex.search(said)):
            return m["v"]
    return None


def deployment_in(text: str, words: FactWords = FactWords()) -> str | None:
    """The deployment type named in the text: a `"deployment": "..."` field as written,
    else the first of `words.deployments` whose words the text uses."""
    if m := _DEPLOYMENT_FIELD.search(text):
        return m[1]
    said = _statements(text)
    for deployment in words.deployments:
        if _words_regex(deployment.words).search(said):
            return deployment.name
    return None


@lru_cache(maxsize=64)
def _after_names(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """A version right after a product name: "MazeVault 3.4.1", "maze-vault v3.5"."""
    if not names:
        return None
    spelled = sorted({_phrase(n) for n in names}, key=len, reverse=True)
    return re.compile(r"(?i)\b(?:" + "|".join(spelled) + r")\s{1,3}" + _VERSION_NUM + _NOT_MORE)


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
    m = _LICENSE.search(text)
    return m["v"] if m else None


def email_in(text: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """An email address given as the contact ("reach me at ops@acme.io")."""
    if "@" not in text:
        return None
    if "<mailto:" in text:
        text = unescape_slack(text)
    for m in _EMAIL.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        if m[0].lower() not in exclude and _CONTACT_WORDS.search(
                text, start, len(text) if end == -1 else end):
            return m[0]
    return None


def steps_in(text: str) -> str | None:
    """Steps to reproduce: from a "steps to reproduce" heading to the end of the message."""
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
    found: list[str] = []
    pos = 0
    while hint := _LEVEL_HINT.search(text, pos):  # only lines that name a level are read
        start = text.rfind("\n", 0, hint.start()) + 1
        end = text.find("\n", hint.end())
        end = len(text) if end == -1 else end
        line = text[start:end]
        m = _LOG_LINE.match(line)
        if m and (not m["word"] or _LOG_SHAPE.match(line)):
            found.append(line.rstrip())
        pos = end + 1
    return LogLines(tuple(found), sum(1 for line in found if _ERROR_LEVEL.search(line)))
