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
