"""An escalation thread -> a draft of what it already says -> a redacted packet.

Two steps because a person sits between them: `draft_from_thread` triages every
message and shared file, finds the product and the facts the checklist wants
("we run 3.4.1 on AKS"), and lists only what is still missing; the person answers
that; `assemble` adds health output and the answers and redacts everything with one
`Redactor`, so a secret reads the same placeholder across the whole packet. Nothing
leaves this module unredacted: the packet is the only thing stored, posted or uploaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.catalog.model import Catalog, ChecklistItem, Product
from bot.escalation.repeats import RepeatedPastes
from bot.escalation.thread_facts import (
    FactWords,
    LogLines,
    deployment_in,
    email_in,
    health_output_in,
    license_in,
    log_lines,
    steps_in,
    version_in,
)
from bot.triage.engine import Finding, Triage, TriageEngine, TriageHints
from bot.triage.extract import unescape_slack

__all__ = ["ASKABLE", "GENERIC_CHECKLIST", "Draft", "ErrorSeen", "ThreadMessage",
           "draft_from_thread"]

SCHEMA = "errcode.escalation/1"
# Checklist keys a person can answer in the modal; the others errcode fills itself
# (health output by running the checks, envelope details from the pastes).
ASKABLE = ("error_messages", "request_ids", "steps_to_reproduce", "deployment", "version",
           "license_key", "contact_email", "logs")
# For a thread whose product is unknown: what any vendor's support asks for.
GENERIC_CHECKLIST = (
    ChecklistItem("error_messages", "Error messages (exact code and message)"),
    ChecklistItem("request_ids", "Request ids of the failing requests"),
    ChecklistItem("logs", "Application logs with the errors"),
    ChecklistItem("steps_to_reproduce", "Steps to reproduce"),
    ChecklistItem("deployment", "Deployment type"),
    ChecklistItem("version", "Product version"),
)
MAX_EXCERPT_CHARS = 3_000
MAX_EXCERPTS_CHARS = 30_000
MAX_LOG_LINES = 80
MAX_LOG_CHARS = 12_000
CODE_KINDS = ("exact", "normalized", "fuzzy", "status")


@dataclass(frozen=True)
class ThreadMessage:
    """One message of the thread; `files` are (name, text) of shared text files."""

    ts: str
    user: str | None
    text: str
    files: tuple[tuple[str, str], ...] = ()

    @property
    def time(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(float(self.ts), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            return None


@dataclass(frozen=True)
class ErrorSeen:
    """One distinct error in the thread, as it was pasted (not yet redacted)."""

    code: str  # as written in the paste, or the entry's code for a described symptom
    catalog: str | None  # None: in an error envelope but not documented
    entry_code: str | None
    title: str
    message: str | None
    http_status: int | None
    request_id: str | None
    seen_at: str | None  # the log line's timestamp, else the message's time (ISO, UTC)
    fields: tuple[str, ...] = ()
    details: str | None = None
    kind: str = "exact"  # exact | normalized | fuzzy | status | text | undocumented
    source: str = ""  # "message 4", "file app.log"
    count: int = 1
    retry: str = ""  # the retry advice at the time


@dataclass(frozen=True)
class Draft:
    """What the thread says, before anyone is asked anything."""

    product: str | None
    errors: tuple[ErrorSeen, ...]
    request_ids: tuple[str, ...]
    facts: Mapping[str, str]  # checklist key -> value found in the thread (unredacted)
    sources: Mapping[str, str]  # checklist key -> where it was found
    missing: tuple[ChecklistItem, ...]  # askable items neither the thread nor answers cover
    checklist: tuple[ChecklistItem, ...]
    messages: int
    log_lines: tuple[str, ...] = ()
    log_errors: int = 0
    evidence_messages: tuple[int, ...] = ()  # 1-based: the messages errors were found in


@dataclass(frozen=True)
class _Seen:
    """An error as found in one message, before the thread's product is known."""

    error: ErrorSeen
    group: tuple[str, str]  # (source, code as written): one paste, one error
    message_index: int


def draft_from_thread(messages: Sequence[ThreadMessage], engine: TriageEngine, *,
                      product_hint: str | None = None,
                      known: Mapping[str, str] | None = None) -> Draft:
    """Triage every message and file; find the product, the facts and what is missing."""
    known = {k: v for k, v in (known or {}).items() if v}
    # Only the confident findings make the packet: triage may skip what cannot be one.
    hints = TriageHints(product=product_hint, confident_only=True)
    seen: list[_Seen] = []
    request_ids: dict[str, None] = {}
    votes: Counter[str] = Counter()
    facts: dict[str, str] = {}
    sources: dict[str, str] = {}
    logs: list[str] = []
    log_errors = 0
    texts: list[tuple[str, str]] = []  # (where, text): read for facts once the product is known
    # A long thread repeats itself ("any update?", the same alert); each text is read once,
    # and a paste again with fresh request ids is triaged once (bot.escalation.repeats).
    read: dict[str, tuple[Triage, str, LogLines]] = {}
    pastes = RepeatedPastes(engine, hints)

    for i, msg in enumerate(messages, 1):
        for where, text in [(f"message {i}", msg.text)] + [
                (f"file {name} (message {i})", body) for name, body in msg.files]:
            if not text.strip():
                continue
            if (known_text := read.get(text)) is None:
                plain = unescape_slack(text)
                known_text = read[text] = (pastes.triage(text), plain, log_lines(plain))
            result, plain, found = known_text
            request_ids.update(dict.fromkeys(result.evidence.request_ids))
            for item in _errors_in(result, where, msg, i):
                seen.append(item)
                if item.error.catalog and item.error.kind in CODE_KINDS:
                    votes[item.error.catalog] += 2
            if result.product:
                votes[result.product] += 1
            logs.extend(found.lines)
            log_errors += found.errors
            texts.append((where + (f" by {msg.user}" if msg.user else ""), plain))

    product = _product(votes, product_hint, engine.catalog)
    _find_facts(texts, engine.catalog, product, facts, sources)
    checklist = _checklist(engine.catalog.products.get(product) if product else None)
    found_errors, with_errors = _distinct(seen, product)
    if found_errors:
        facts.setdefault("error_messages", plural(len(found_errors), "distinct error"))
        sources.setdefault("error_messages", "triage of the thread")
    if request_ids:
        facts.setdefault("request_ids", ", ".join(request_ids))
        sources.setdefault("request_ids", "triage of the thread")
    if log_errors:
        facts.setdefault("logs", f"{plural(len(logs), 'log line')} at warning level or worse")
        sources.setdefault("logs", "log lines pasted in the thread")
    missing = tuple(item for item in checklist if item.key in ASKABLE
                    and item.key not in facts and item.key not in known)
    return Draft(product=product, errors=found_errors, request_ids=tuple(request_ids),
                 facts=facts, sources=sources, missing=missing, checklist=checklist,
                 messages=len(messages), log_lines=tuple(logs), log_errors=log_errors,
                 evidence_messages=with_errors)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def iso_time(when: datetime | None) -> str | None:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z") if when else None


def _errors_in(result: Triage, where: str, msg: ThreadMessage, index: int) -> list[_Seen]:
    """Every error of one message: catalog matches, and envelopes the catalog lacks."""
    out: list[_Seen] = []
    confident = result.confident
    if not confident and not result.evidence.mentions:
        return out  # most of a long thread is chat: no error, no need for its time
    when = iso_time(msg.time)
    matched: set[str] = set()
    ids = result.evidence.request_ids
    # The message's one request id (an X-Request-ID header above the body) is every error's,
    # unless an envelope of the message carries it: then it is that envelope's alone.
    claimed = {m.request_id for m in result.evidence.mentions if m.request_id}
    only_id = ids[0] if len(ids) == 1 and ids[0] not in claimed else None
    for f in confident:
        written = f.mention.code if f.mention else f.entry.code
        matched.add(written)
        error = _seen(f, where, when, only_id)
        out.append(_Seen(error, (where, written.lower()), index))
    for m in result.evidence.mentions:
        if m.code not in matched and m.source in ("envelope", "json"):
            matched.add(m.code)
            out.append(_Seen(ErrorSeen(
                code=m.code, catalog=None, entry_code=None, title="Not in the catalog",
                message=m.message, http_status=m.http_status, request_id=m.request_id,
                seen_at=m.seen_at or when, fields=m.fields, details=m.details,
                kind="undocumented", source=where), (where, m.code.lower()), index))
    return out


def _distinct(seen: Sequence[_Seen], product: str | None
              ) -> tuple[tuple[ErrorSeen, ...], tuple[int, ...]]:
    """One row per distinct error, in time order, without triage's second guesses;
    and the messages those errors were found in.

    Dropped: meaning matches in a message that names a code (the code says it), the
    other product's reading of a code both products share (`rate_limited`), and a bare
    mention of a code already seen with its message or request id.
    """
    has_code = {s.message_index for s in seen if s.error.kind in (*CODE_KINDS, "undocumented")}
    in_product = {s.group for s in seen if s.error.catalog == product}
    kept: list[ErrorSeen] = []
    indexes: set[int] = set()
    for s in seen:
        e = s.error
        if e.kind == "text" and (s.message_index in has_code or (
                product and e.catalog != product)):
            continue
        if product and e.catalog not in (product, None) and s.group in in_product:
            continue
        kept.append(e)
        indexes.add(s.message_index)
    detailed = {(e.catalog, e.code) for e in kept if e.message or e.request_id}
    with_id = {(e.catalog, e.code, e.message): e.request_id for e in kept if e.request_id}
    rows: dict[tuple, ErrorSeen] = {}
    for e in kept:
        if not (e.message or e.request_id) and (e.catalog, e.code) in detailed:
            continue
        # The same error pasted again without its request id is the same occurrence.
        rid = e.request_id or with_id.get((e.catalog, e.code, e.message))
        key = (e.catalog, e.code, e.message, rid)
        prior = rows.get(key)
        if prior is not None:
            rows[key] = replace(prior, count=prior.count + 1,
                                seen_at=min(prior.seen_at or "", e.seen_at or "") or None)
        else:
            rows[key] = e if e.request_id == rid else replace(e, request_id=rid)
    return tuple(sorted(rows.values(), key=_when)), tuple(sorted(indexes))


def _seen(f: Finding, where: str, when: str | None, only_id: str | None) -> ErrorSeen:
    m, e = f.mention, f.entry
    status = (m.http_status if m else None) or e.http_status
    return ErrorSeen(
        code=m.code if m else e.code, catalog=e.catalog, entry_code=e.code, title=e.title,
        message=m.message if m else None, http_status=status,
        request_id=(m.request_id if m else None) or only_id,
        seen_at=(m.seen_at if m else None) or when, fields=m.fields if m else (),
        details=m.details if m else None, kind=f.kind, source=where,
        retry=f"{e.retry.policy}: {e.retry.note}".rstrip(": "))


def _when(e: ErrorSeen) -> str:
    return (e.seen_at or "").replace(" ", "T")


def _product(votes: Counter[str], hint: str | None, catalog: Catalog) -> str | None:
    if votes:
        best = max(votes.values())
        tied = [p for p, n in votes.items() if n == best]
        return hint if hint in tied else tied[0]
    return hint if hint in catalog.products else None


def _checklist(product: Product | None) -> tuple[ChecklistItem, ...]:
    return product.escalation_checklist if product and product.escalation_checklist else (
        GENERIC_CHECKLIST)


def _find_facts(texts: Sequence[tuple[str, str]], catalog: Catalog, product: str | None,
                facts: dict[str, str], sources: dict[str, str]) -> None:
    """The first message saying each fact wins; product words come from the catalog."""
    words = FactWords.of(catalog, product)
    support = frozenset(p.support_email.lower() for p in catalog.products.values()
                        if p.support_email)
    finders: tuple[tuple[str, Callable[[str], str | None]], ...] = (
        ("version", lambda text: version_in(text, words)),
        ("deployment", lambda text: deployment_in(text, words)),
        ("license_key", license_in),
        ("contact_email", lambda text: email_in(text, support)),  # not the vendor's own
        ("steps_to_reproduce", steps_in),
        ("health_output", health_output_in),
    )
    for key, finder in finders:
        if key in facts:
            continue
        said_nothing: set[str] = set()  # a text said again says nothing new
        for where, text in texts:
            if text in said_nothing:
                continue
            if value := finder(text):
                facts[key] = value
                sources[key] = where
                break
            said_nothing.add(text)


