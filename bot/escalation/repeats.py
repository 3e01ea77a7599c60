"""A thread's pastes, again with fresh request ids: triaged once.

An escalation thread repeats its errors. The customer pastes the same envelope, the same
`curl -v` transcript, the same log excerpt again and again, and each copy carries new
request ids. An id names one request; its format says which product wrote it; its
characters say nothing about the error. So the thread's triage reads each paste with
every request id written as the first id of the same format the thread showed (the k-th
distinct id of a paste as the k-th of its format), triages that text once, and answers
each copy from it with the copy's own evidence: its ids, messages, times and fields.

A copy whose envelopes do not line up with the triaged text's (another count, code, line
or shape) is triaged on its own. The packets of `./dev bench escalation`'s threads came
out byte-identical with and without this; tests/escalation/test_repeats.py compares each
copy's answer with its own triage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.triage.advice import advise
from bot.triage.engine import Triage, TriageEngine, TriageHints
from bot.triage.evidence import CodeMention, Evidence

MAX_KEPT = 4_096  # distinct pastes remembered per thread: a bound, not a cache policy
MAX_PASTE = 64_000  # characters: a longer text is a shared file, read once on its own
MAX_IDS = 64  # a text with more request ids is a log, not a paste said again

_SHAPE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "a" * 26 + "A" * 26 + "9" * 10)


class RepeatedPastes:
    """`TriageEngine.triage` for one thread's texts, each distinct paste triaged once."""

    def __init__(self, engine: TriageEngine, hints: TriageHints) -> None:
        self.engine = engine
        self.hints = hints
        self._formats = [re.compile(p) for p in engine.request_id_patterns]
        self._first: dict[tuple[object, ...], str] = {}  # (format, k) -> the id standing for it
        self._triaged: dict[str, Triage] = {}  # text as read -> its triage

    def triage(self, text: str) -> Triage:
        if len(text) > MAX_PASTE:
            return self.engine.triage(text, self.hints)
        ev = self.engine.evidence(text)
        if not ev.request_ids or len(ev.request_ids) > MAX_IDS:
            return self.engine.answer(text, ev, self.hints)
        read = self._as_read(text, ev.request_ids)
        base = self._triaged.get(read)
        if base is None:
            base = (self.engine.answer(text, ev, self.hints) if read == text
                    else self.engine.triage(read, self.hints))
            if len(self._triaged) < MAX_KEPT:
                self._triaged[read] = base
        if read == text:
            return base
        return _rebased(base, text, ev, self.hints) or self.engine.answer(text, ev, self.hints)

    def _as_read(self, text: str, ids: Sequence[str]) -> str:
        """`text` with each request id written as the first id of its format."""
        seen: dict[tuple[object, ...], int] = {}
        standing: dict[str, str] = {}
        for rid in ids:
            fmt = self._format(rid)
            k = seen[fmt] = seen.get(fmt, -1) + 1
            standing[rid] = self._first.setdefault((fmt, k), rid)
        if all(rid == first for rid, first in standing.items()):
            return text
        ordered = sorted(standing, key=len, reverse=True)  # `req_12` inside `req_123`: longest
        pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w-])")
        return pattern.sub(lambda m: standing[m.group(0)], text)

    def _format(self, rid: str) -> tuple[object, ...]:
        """What extraction and product evidence can tell of an id: its shape (letters,
        digits and separators) and which products' id formats it is."""
        return (rid.translate(_SHAPE), *(bool(p.fullmatch(rid)) for p in self._formats))


def _rebased(base: Triage, text: str, ev: Evidence, hints: TriageHints) -> Triage | None:
    """`base` (the triage of the paste as read) as the answer to `text`, whose evidence
    is `ev`: each finding quotes this copy's own envelope and times its retry from this
    copy's headers. None when the envelopes differ in more than their ids."""
    theirs = base.evidence.mentions
    if len(theirs) != len(ev.mentions) or len(base.evidence.request_ids) != len(ev.request_ids):
        return None
    if any(_place(a) != _place(b) for a, b in zip(theirs, ev.mentions, strict=True)):
        return None
    index = {id(m): i for i, m in enumerate(theirs)}
    findings = []
    for f in base.findings:
        mention = None
        if f.mention is not None:
            i = index.get(id(f.mention))
            if i is None:
                return None
            mention = ev.mentions[i]
        findings.append(replace(f, mention=mention, retry=advise(f.entry, ev, hints.now)))
    return replace(base, query=text, evidence=ev, findings=tuple(findings))


def _place(m: CodeMention) -> tuple[object, ...]:
    return (m.code, m.source, m.line, m.shape, m.http_status)
