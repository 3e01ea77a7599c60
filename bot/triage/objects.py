"""Which of several entries sharing a status the paste names by its object.

"404 issuing from CA `int-2025`" is one of ScaiVault's 17 documented 404s, and the one
whose object, the CA, the paste names: `ca_not_found`. The status list of a paste
(`Triage.same_status`) narrows to it, and so does each item of a listed paste that
writes its own status ("deleting webhook wh_123 -> 404, ..."), where it is the answer.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from bot.catalog.model import Entry
from bot.triage.http_facts import REASON_OF
from bot.triage.textindex import code_terms, terms


def named_among(peers: tuple[Entry, ...], said: frozenset[str],
                missing: frozenset[str] = frozenset()) -> tuple[Entry, ...]:
    """The one entry of `peers` whose object the paste names, else (). An entry's object
    is the words of its code that most of its peers' codes do not share ("not found" is
    every 404's), nor the reason phrase of its status (a 409's "conflict" names no
    object: `name_conflict`'s is the name); a longer object named wins over its part
    ("rotation policy" over "policy"). Of two objects named, the one the paste says is
    `missing` ("binding to identity x -> 404, no such identity") is the error's."""
    if len(peers) < 2:
        return ()
    generic = _generic_terms(peers)
    objects = {e: object_terms(e, peers, generic) for e in peers}
    named = [e for e, w in objects.items() if w and w <= said]
    named = [e for e in named if not any(objects[e] < objects[f] for f in named)]
    if len(named) > 1 and missing:
        named = [e for e in named if objects[e] <= missing]
    return (named[0],) if len(named) == 1 else ()


# "no such identity", "unknown role", "the CSR isn't there", "binding gone": what is missing.
_MISSING_BEFORE = re.compile(r"\b(?:no such|unknown|missing|nonexistent|non-existent|"
                             r"no)\s+((?:[\w-]+\s+){0,2}[\w-]+)", re.IGNORECASE)
_MISSING_AFTER = re.compile(
    r"((?:[\w-]+\s+){0,2}[\w-]+)\s+(?:not found|(?:does ?n[o']t|does not|no longer) exists?"
    r"|(?:is ?n[o']t|is not|not) there|(?:is |was |are )?(?:gone|missing|deleted|removed))\b",
    re.IGNORECASE)


_ROUTE = re.compile(r"(?<!\S)(?:[a-z]+://\S*?|)/(?=\S*?\w/\w)(\S+)")  # "/api/v1/...", URLs
_HAS_DIGIT = re.compile(r"[0-9]")


def with_route_objects(text: str) -> str:
    """`text` with each API route or URL cut to what it ends on: its last segment that is
    no id ("DELETE /v1/pki/cas/ca_int_2023" -> "cas"; "/api/v1/projects/web/certificates/
    c-88" -> "certificates"). The segments before it are where the object lives, not
    what is missing."""
    if "/" not in text:
        return text
    return _ROUTE.sub(lambda m: " " + _last_named(m.group(1)) + " ", text)


def _last_named(path: str) -> str:
    segments = [s for s in path.split("?")[0].split("/") if s]
    last = next((s for s in reversed(segments) if not _HAS_DIGIT.search(s)), "")
    # a short collection's plural, which the stemmer leaves alone: "cas", "csrs"
    return last[:-1] if len(last) <= 5 and last.endswith("s") and last[-2:] != "ss" else last


def missing_terms(part: str) -> frozenset[str]:
    """The terms of what `part` says is missing."""
    return frozenset(t for rx in (_MISSING_BEFORE, _MISSING_AFTER)
                     for m in rx.finditer(part) for t in terms(m.group(1)))


def object_terms(entry: Entry, peers: tuple[Entry, ...],
                 generic: frozenset[str] | None = None) -> frozenset[str]:
    """The words of `entry`'s code that name its object among `peers` (the entries
    documenting its status): less the words most of them share (`generic`, when the
    caller has them), and less its status's reason phrase."""
    shared = _generic_terms(peers) if generic is None else generic
    status = frozenset((entry.http_status,)) if entry.http_status else frozenset()
    return code_terms(entry.code) - shared - reason_terms(status)


def _generic_terms(peers: tuple[Entry, ...]) -> frozenset[str]:
    counts = Counter(t for e in peers for t in code_terms(e.code))
    return frozenset(t for t, n in counts.items() if n >= max(2, (len(peers) + 1) // 2))


@lru_cache(maxsize=64)
def reason_terms(statuses: frozenset[int]) -> frozenset[str]:
    """The terms of the reason phrases of these statuses ("not found" for 404): the
    status said in words, which names no entry's object and is no meaning of its own."""
    return frozenset(t for s in statuses for t in terms(REASON_OF.get(s, "")))
