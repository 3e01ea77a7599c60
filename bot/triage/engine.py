"""triage(text) -> Triage: the one entry point every surface (Slack, CLI, console) calls.

text ──> extract ──> Evidence ──> match ──> [Match] ──> advise ──> Triage
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from bot.catalog.load import load_catalog
from bot.catalog.model import Catalog, Command, Entry
from bot.triage.advice import RetryAdvice, advise
from bot.triage.evidence import CodeMention, Evidence
from bot.triage.extract import extract
from bot.triage.match import Match, Matcher
from bot.triage.negation import negated_terms
from bot.triage.objects import named_among, with_route_objects
from bot.triage.textindex import terms

MAX_FINDINGS = 20
JSON_MATCHES = 5
NAMED_SCAN_CHARS = 4_000


@dataclass(frozen=True)
class TriageHints:
    """What the surface knows beyond the paste."""

    product: str | None = None  # e.g. the channel's default product
    hosts: dict[str, str] = field(default_factory=dict)  # catalog -> host for {host}
    now: datetime | None = None
    # The caller reads only the confident findings (an escalation packet): candidates that
    # cannot be confident may go unsearched, and `others`, `nearest` and `same_status`
    # are left empty. The confident findings are the same either way.
    confident_only: bool = False


@dataclass(frozen=True)
class Finding:
    """One documented error found in the paste, advised."""

    entry: Entry
    score: float
    confident: bool
    kind: str
    evidence: tuple[str, ...]
    retry: RetryAdvice
    commands: tuple[Command, ...]
    mention: CodeMention | None = None


@dataclass(frozen=True)
class Triage:
    """The answer to one paste: findings best first, plus what was extracted."""

    query: str
    evidence: Evidence
    findings: tuple[Finding, ...]
    product: str | None = None
    product_reasons: tuple[str, ...] = ()
    ambiguous: bool = False
    nearest: tuple[Entry, ...] = ()
    # With no confident answer: the entries documenting the paste's error status (in its
    # product, when known), so "HTTP 409 from ScaiVault" lists what a 409 can be there.
    same_status: tuple[Entry, ...] = ()
    # How many entries document that status there: more than `same_status` holds when the
    # paste names the object of one of them ("404 issuing from CA ...": `ca_not_found`).
    status_documented: int = 0

    @property
    def confident(self) -> tuple[Finding, ...]:
        """The findings to act on: documented errors the paste clearly shows."""
        return tuple(f for f in self.findings if f.confident)

    @property
    def others(self) -> tuple[Finding, ...]:
        """Candidates worth a look, not certain enough to be answers."""
        return tuple(f for f in self.findings if not f.confident)

    def redacted(self, redact: Callable[[str], str], *, query: str | None = None) -> Triage:
        """This answer with every text it quotes from the paste passed through `redact`:
        what is shown or posted never repeats a secret the paste carried. `query`: the
        paste already redacted by the same redactor, when the caller has it."""
        # Findings quote the same lines (one line, several entries): each text is
        # redacted once (the same redactor gives a text the same placeholders anyway).
        # A quote found as it stands in the redacted paste shows nothing that paste does
        # not show already: it is kept without a pass of its own (~40 µs each).
        seen: dict[str, str] = {}

        def once(text: str) -> str:
            out = seen.get(text)
            if out is None:
                out = seen[text] = text if query is not None and text in query else redact(text)
            return out

        def mention(m: CodeMention | None) -> CodeMention | None:
            if m is None:
                return None
            return replace(m, message=once(m.message) if m.message else m.message,
                           fields=tuple(once(f) for f in m.fields),
                           details=once(m.details) if m.details else m.details)

        return replace(self, query=redact(self.query) if query is None else query,
                       findings=tuple(
            replace(f, evidence=tuple(once(e) for e in f.evidence), mention=mention(f.mention))
            for f in self.findings))

    def to_dict(self) -> dict[str, object]:
        """The `errcode lookup --json` shape (keys may be added, never renamed)."""
        ev = self.evidence
        return {
            "query": self.query,
            "extracted": {
                "codes": list(ev.codes),
                "http_status": ev.error_status,
                "request_ids": list(ev.request_ids),
                "retry_after_s": ev.retry_after_s,
                "rate_limit_reset": ev.rate_limit.reset if ev.rate_limit else None,
                "product": self.product,
            },
            "confident": bool(self.confident),
            "ambiguous": self.ambiguous,
            "matches": [_finding_dict(f) for f in self.findings[:JSON_MATCHES]],
            "nearest": [{"catalog": e.catalog, "code": e.code, "title": e.title}
                        for e in self.nearest],
            "same_status": [{"catalog": e.catalog, "code": e.code, "title": e.title}
                            for e in self.same_status],
            "status_documented": self.status_documented,
        }


def _finding_dict(f: Finding) -> dict[str, object]:
    out: dict[str, object] = {
        "catalog": f.entry.catalog,
        "code": f.entry.code,
        "title": f.entry.title,
        "http_status": f.entry.http_status,
        "score": f.score,
        "confident": f.confident,
        "meaning": f.entry.meaning,
        "retry": {"policy": f.retry.policy, "advice": f.retry.advice, "source": f.retry.source,
                  "retry_at": f.retry.retry_at.isoformat() if f.retry.retry_at else None},
        "resolution": list(f.entry.resolution),
        "commands": [{"label": c.label, "run": c.run} for c in f.commands],
        "evidence": list(f.evidence),
    }
    if f.mention is not None:
        out["message"] = f.mention.message
        out["request_id"] = f.mention.request_id
        if f.mention.fields:
            out["fields"] = list(f.mention.fields)
    return out


class TriageEngine:
    """A catalog indexed once, answering many pastes."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.matcher = Matcher(catalog)
        self.request_id_patterns = tuple(p.request_id_pattern
                                         for p in catalog.products.values()
                                         if p.request_id_pattern)

    def ready(self) -> TriageEngine:
        """Build now what a paste's meaning search needs (the index), so the first
        question served does not wait for it."""
        _ = self.matcher.text
        return self

    def triage(self, text: str, hints: TriageHints | None = None) -> Triage:
        """Answer one paste: every confident finding, plus a few candidates (or, when
        nothing matched at all, the nearest codes for 'did you mean')."""
        return self.answer(text, self.evidence(text), hints)

    def answer(self, text: str, ev: Evidence, hints: TriageHints | None = None) -> Triage:
        """`triage` of `text` whose evidence (`self.evidence(text)`) was read already."""
        hints = hints or TriageHints()
        result = self.matcher.match(ev, hints.product, confident_only=hints.confident_only)
        confident = [m for m in result.matches if m.confident][:MAX_FINDINGS]
        # Not a code the paste rules out, nor a word of a paste that reports all is well.
        others = [] if hints.confident_only or result.all_clear else [
            m for m in result.matches
            if not m.confident and m.score >= 45 and not m.signals.denied]
        picked = confident + others[: max(0, JSON_MATCHES - len(confident))]
        findings = tuple(self._finding(m, ev, hints) for m in picked)
        nearest: tuple[Entry, ...] = ()
        if not confident and not others and not hints.confident_only:
            nearest = tuple(self.matcher.nearest(text))
        peers = () if confident or hints.confident_only else status_peers(
            self.catalog, ev, result.product)
        return Triage(query=text, evidence=ev, findings=findings, product=result.product,
                      product_reasons=result.product_reasons, ambiguous=result.ambiguous,
                      nearest=nearest, same_status=named_in_paste(peers, ev) or peers,
                      status_documented=len(peers))

    def evidence(self, text: str) -> Evidence:
        """What `triage` reads out of `text`, with what the catalog teaches: its request-id
        formats and the product names a bare status may stand beside."""
        return extract(text, self.request_id_patterns, self.matcher.products.status_near_name)

    def _finding(self, m: Match, ev: Evidence, hints: TriageHints) -> Finding:
        product = self.catalog.products.get(m.entry.catalog)
        host = hints.hosts.get(m.entry.catalog) or (product.default_host if product else "")
        commands = tuple(replace(c, run=c.for_host(host)) for c in m.entry.commands)
        return Finding(entry=m.entry, score=m.score, confident=m.confident, kind=m.kind,
                       evidence=m.evidence, retry=advise(m.entry, ev, hints.now),
                       commands=commands, mention=m.mention)


def status_peers(catalog: Catalog, ev: Evidence, product: str | None) -> tuple[Entry, ...]:
    """The error codes documenting the paste's error status, in its product when known (a
    guide's topic that mentions the status, "Login fails with 403", is not one of them)."""
    status = ev.error_status
    if not status or status < 400:
        return ()
    return tuple(e for e in catalog.entries if e.http_status == status and e.kind == "error"
                 and product in (None, e.catalog))


def same_status_entries(catalog: Catalog, ev: Evidence,
                        product: str | None) -> tuple[Entry, ...]:
    """What `Triage.same_status` lists: the status's codes, or the one the paste names."""
    peers = status_peers(catalog, ev, product)
    return named_in_paste(peers, ev) or peers


def named_in_paste(peers: tuple[Entry, ...], ev: Evidence) -> tuple[Entry, ...]:
    """`named_among` the words of the paste (its first NAMED_SCAN_CHARS: a status list is
    for short pastes, and a megabyte's words would cost more than they say), less the
    words it rules out ("it's not an expiry thing" names no expiry)."""
    if not peers:
        return ()
    text = with_route_objects(ev.text[:NAMED_SCAN_CHARS])
    return named_among(peers, frozenset(terms(text)) - negated_terms(text))


@lru_cache(maxsize=8)
def engine_for(directory: str | None = None) -> TriageEngine:
    """A cached engine for a catalog directory (the shipped catalog by default)."""
    catalog = load_catalog(Path(directory) if directory else None, strict=False)
    return TriageEngine(catalog)


def triage(text: str, hints: TriageHints | None = None,
           catalog_dir: str | None = None) -> Triage:
    """Triage one paste against the catalog in `catalog_dir` (default: the shipped one)."""
    return engine_for(catalog_dir).triage(text, hints)
