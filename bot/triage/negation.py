"""Words a sentence rules out: "it's not a rate limit", "the cert is fine".

Support engineers often say what an error is *not* before saying what it is. Those words
must count against an entry, never for it. Only clear contrast counts: "not" followed by
an article or a cause ("not a", "not due to"), "isn't"/"it's not", "ruled out", "X is
fine". A bare "not" is left alone: "not found" and "could not connect" are failures.
"""

from __future__ import annotations

import re

from bot.triage.vocabulary import expanded_terms

_SCOPE = r"((?:[\w'.-]+\s+){0,2}[\w'.-]+)"  # the next one to three words
_RULED_OUT = re.compile(
    r"(?i)(?:\bnot|\bnever|\bno\s+longer)\s+(?:(?:a|an|the|any|my|our|just|really|actually"
    r"|due\s+to|because\s+of|related\s+to|caused\s+by|about|an?\s+issue\s+with)\s+)+" + _SCOPE
    + r"|(?:\bisn't|\bwasn't|\baren't|\bweren't|\bit'?s\s+not|\bthat'?s\s+not|\bthis\s+is\s+not"
    r"|\bruled\s+out|\bnothing\s+to\s+do\s+with)\s+(?:(?:a|an|the|any|just)\s+)?" + _SCOPE)
_FINE = re.compile(
    r"(?i)\b((?:[\w'.-]+\s+)?[\w'.-]+)\s+(?:is|are|looks?|seems?)\s+(?:fine|ok|okay|good"
    r"|healthy|valid|correct|not\s+the\s+(?:issue|problem|cause))\b")
_CUES = ("not", "n't", "never", "no longer", "ruled", "nothing", "fine", "ok", "good",
         "healthy", "valid", "correct")
# "not a valid X", "isn't a supported Y": the paste says what is wrong, it rules nothing out.
_QUALITIES = frozenset({"valid", "correct", "supported", "allowed", "permitted", "proper",
                        "recognized", "recognised", "right", "well-formed", "legal", "known",
                        "accepted", "usable"})
_STOP_AT = re.compile(r"(?i)\b(?:but|and|so|it's|its|we|i)\b|[,;:!?()]")
# A code-styled word right after "not" ("It is NOT IP_BLOCKED"): unlike "not found", a
# code named after "not" is ruled out.
_NOT_CODE = re.compile(r"(?i)\bnot\s+`?([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b")
# A paste that reports all is well: a fix, a closed ticket, a report that arrived.
_ALL_CLEAR = re.compile(
    r"(?i)\b(?:fixed now|nothing (?:is )?wrong|nothing else to report|clos(?:e|ing) the ticket"
    r"|landed fine|false alarm|all good now|works now|working again)\b")
DENIAL_SCAN_CHARS = 8_000
MAX_DENIED = 16
_CODE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")


def negated_terms(sentence: str) -> frozenset[str]:
    """The terms (as `textindex.terms` spells them) the sentence rules out."""
    lowered = sentence.lower()
    if not any(cue in lowered for cue in _CUES):
        return frozenset()
    out: set[str] = set()
    for m in _RULED_OUT.finditer(sentence):
        scope = m.group(1) or m.group(2) or ""
        if scope.split(maxsplit=1)[0].lower() in _QUALITIES:  # _SCOPE is one word or more
            continue  # "isn't a valid pattern" says the error (an invalid one), not against it
        out.update(expanded_terms(_STOP_AT.split(scope, maxsplit=1)[0]))
    for m in _FINE.finditer(sentence):
        out.update(expanded_terms(m.group(1)))
    return frozenset(out)


def ruled_out_codes(text: str) -> frozenset[str]:
    """Code-styled words (as written) the paste names only to rule them out: "not a
    DUPLICATE_NAME problem", "It is NOT IP_BLOCKED". A code also written anywhere else
    in the paste (its envelope) is not among them."""
    head = text[:DENIAL_SCAN_CHARS]  # what people say of a paste comes before its logs
    lowered = head.lower()
    if "not" not in lowered and "n't" not in lowered and "ruled" not in lowered:
        return frozenset()
    places: set[tuple[str, int]] = set()  # (word, offset): each place counted once
    for m in _RULED_OUT.finditer(head):
        group = 1 if m.group(1) is not None else 2
        scope = _STOP_AT.split(m.group(group), maxsplit=1)[0]
        places.update((w.group(), m.start(group) + w.start())
                      for w in _CODE_WORD.finditer(scope))
    places.update((m.group(1), m.start(1)) for m in _NOT_CODE.finditer(head))
    denied: dict[str, int] = {}
    for word, _ in sorted(places, key=lambda place: place[1]):  # first said first
        denied[word] = denied.get(word, 0) + 1
    # Each word counted through the whole paste: a few words, each one pass.
    return frozenset(w for w, n in list(denied.items())[:MAX_DENIED] if text.count(w) <= n)


def says_all_clear(text: str) -> bool:
    """The paste reports that all is well ("fixed now, thanks", "nothing else to report"):
    its words name no error. Read on its first DENIAL_SCAN_CHARS; the caller keeps the
    paste's written codes and error statuses, which still say what went wrong."""
    return _ALL_CLEAR.search(text, 0, DENIAL_SCAN_CHARS) is not None
