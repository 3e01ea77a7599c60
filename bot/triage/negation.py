"""Words a sentence rules out: "it's not a rate limit", "the cert is fine".

Support engineers often say what an error is *not* before saying what it is. Those words
must count against an entry, never for it. Only clear contrast counts: "not" followed by
an article or a cause ("not a", "not due to"), "isn't"/"it's not", "ruled out", "X is
fine". A bare "not" is left alone: "not found" and "could not connect" are failures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.triage.vocabulary import expanded_terms

_SCOPE = r"((?:[\w'.-]+\s+){0,2}[\w'.-]+)"  # the next one to three words
_RULED_OUT = re.compile(
    r"(?i)(?:\bnot|\bnever|\bno\s+longer)\s+(?:(?:a|an|the|any|my|our|just|really|actually"
    r"|due\s+to|because\s+of|related\s+to|caused\s+by|about|an?\s+issue\s+with)\s+)+" + _SCOPE
    + r"|(?:\bit'?s\s+not|\bthat'?s\s+not|\bthis\s+is\s+not"
    r"|\bruled\s+out|\bnothing\s+to\s+do\s+with|\brather\s+than|\binstead\s+of)"
    r"\s+(?:(?:a|an|the|any|just)\s+)?" + _SCOPE
    # "isn't the cert", "wasn't a rate limit"; not "the token isn't MFA-backed", which says
    # what is wrong with it
    + r"|(?:\bisn't|\bwasn't|\baren't|\bweren't)\s+(?:(?:a|an|the|any|just)\s+)+" + _SCOPE)
_FINE = re.compile(
    r"(?i)\b((?:[\w'.-]+\s+)?[\w'.-]+)\s+(?:is|are|looks?|seems?)\s+(?:fine|ok|okay|good"
    r"|healthy|valid|correct|not\s+the\s+(?:issue|problem|cause))\b")
_CUES = ("not", "n't", "never", "no longer", "ruled", "nothing", "fine", "ok", "good",
         "healthy", "valid", "correct", "rather than", "instead of")
# "not a valid X", "isn't a supported Y": the paste says what is wrong, it rules nothing out.
_QUALITIES = frozenset({"valid", "correct", "supported", "allowed", "permitted", "proper",
                        "recognized", "recognised", "right", "well-formed", "legal", "known",
                        "accepted", "usable",
                        # "it's not in the format it expects", "not part of our tier",
                        # "not enabled", "not working": what is wrong, not a cause denied
                        "in", "part", "enabled", "included", "covered", "trusted", "working",
                        "set", "there", "reachable"})
_STOP_AT = re.compile(r"(?i)\b(?:but|and|so|it's|its|we|i)\b|[,;:!?()]|\.(?:\s|$)")
# A negation right before a written code ("It is NOT IP_BLOCKED", "not a DUPLICATE_NAME
# problem", "isn't `rate_limited`"): unlike "not found", a code named after "not" is
# ruled out.
_DENIAL_BEFORE = re.compile(
    r"(?i)(?:\bnot|n't|\bnever|\bno\s+longer|\bruled\s+out|\bnothing\s+to\s+do\s+with)"
    r"\s+(?:(?:a|an|the|any|my|our|just|really|actually|due\s+to|because\s+of|related\s+to"
    r"|caused\s+by|about)\s+)*[`'\"]?$")
MAX_PLACES = 64  # places of one code read; a code written more often is not denied
# A paste that reports all is well: a fix, a closed ticket, a report that arrived.
_ALL_CLEAR = re.compile(
    r"(?i)\b(?:fixed now|nothing (?:is )?(?:wrong|broken)|nothing (?:else )?to (?:report|do)"
    r"|clos(?:e|ing) the (?:ticket|incident)|landed fine|false alarm|all good now|works now"
    r"|working again|all green|zero (?:failures|errors)|no action needed|back to normal"
    r"|no errors?, just"
    r"|(?:every|all) (?:components?|checks?|services?|nodes?) (?:\w+ ){0,2}healthy)\b")
_ALL_CLEAR_WORDS = ("fixed", "nothing", "clos", "landed", "false alarm", "all good", "works",
                    "working", "all green", "zero", "no action", "normal", "healthy", "no error")
DENIAL_SCAN_CHARS = 8_000


def negated_terms(sentence: str) -> frozenset[str]:
    """The terms (as `textindex.terms` spells them) the sentence rules out."""
    lowered = sentence.lower()
    if not any(cue in lowered for cue in _CUES):
        return frozenset()
    out: set[str] = set()
    for m in _RULED_OUT.finditer(sentence):
        scope = m.group(1) or m.group(2) or m.group(3) or ""
        if scope.split(maxsplit=1)[0].lower() in _QUALITIES:  # _SCOPE is one word or more
            continue  # "isn't a valid pattern" says the error (an invalid one), not against it
        out.update(expanded_terms(_STOP_AT.split(scope, maxsplit=1)[0]))
    for m in _FINE.finditer(sentence):
        out.update(expanded_terms(m.group(1)))
    return frozenset(out)


def ruled_out_codes(text: str, written: Iterable[str]) -> frozenset[str]:
    """The codes of `written` (as written) the paste names only to rule them out: every
    place it writes one follows a negation ("not a DUPLICATE_NAME problem", "It is NOT
    IP_BLOCKED", "isn't `rate_limited`"). A code also written anywhere else in the paste
    (its envelope) is not among them. Only the few words before each place are read."""
    out = set()
    for word in written:
        places, denied, at = 0, 0, text.find(word)
        while at != -1 and places < MAX_PLACES:
            places += 1
            denied += _DENIAL_BEFORE.search(text, max(0, at - 40), at) is not None
            at = text.find(word, at + len(word))
        if places and denied == places and at == -1:
            out.add(word)
    return frozenset(out)


def says_all_clear(text: str) -> bool:
    """The paste reports that all is well ("fixed now, thanks", "nothing else to report"):
    its words name no error. Read on its first DENIAL_SCAN_CHARS; the caller keeps the
    paste's written codes and error statuses, which still say what went wrong."""
    head = text[:DENIAL_SCAN_CHARS]
    low = head.lower()  # a pass in C: most pastes hold none of the words, no regex runs
    return any(w in low for w in _ALL_CLEAR_WORDS) and _ALL_CLEAR.search(head) is not None
