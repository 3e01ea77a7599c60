"""Retry policy + the paste's own headers -> concrete advice: whether, and when, to retry.

"Honor Retry-After" is only useful with the number in front of you: the advice
turns `Retry-After: 45` into "retry after 45 s (at 12:00:45 UTC)", measured from
the response's own `Date` header when the paste has one, else from now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.catalog.model import Entry
from bot.triage.evidence import Evidence


@dataclass(frozen=True)
class RetryAdvice:
    """Whether and when to retry one error, as a sentence and as the facts behind it."""

    policy: str  # no | rarely | yes | once
    advice: str  # one sentence a person can act on
    source: str  # documented | derived | default
    retry_at: datetime | None = None
    wait_s: int | None = None
    escalate: bool = False  # the advice ends in "then escalate"


def advise(entry: Entry, ev: Evidence, now: datetime | None = None) -> RetryAdvice:
    """The retry advice for one entry given what the paste showed."""
    now = now or datetime.now(UTC)
    policy, note, source = entry.retry.policy, entry.retry.note, entry.retry.source
    # A default note already says where it comes from ("Not in ScaiVault's retry table").
    suffix = " (derived from the documented resolution)" if source == "derived" else ""
    retry_at, wait_s, when = _when(ev, now)
    if policy == "yes":
        text = f"Retry {when}." if when else "Retry with exponential backoff."
        if note:
            text += f" {note}"
        return RetryAdvice(policy, text + suffix, source, retry_at, wait_s)
    if policy == "once":
        text = "Retry once with backoff, then escalate"
        text += f" ({when})." if when else "."
        return RetryAdvice(policy, text + suffix, source, retry_at, wait_s, escalate=True)
    if policy == "rarely":
        text = "Retry only after fixing the cause"
        text += f": {_lower_first(note)}" if note else "."
        if not text.endswith("."):
            text += "."
        return RetryAdvice(policy, text + suffix, source, retry_at, wait_s)
    text = "Don't retry: fix the request." if _is_client_fix(entry) else "Don't retry as is."
    if note and note.rstrip(".").lower() not in text.lower():
        text += f" {note}"
    return RetryAdvice("no", text + suffix, source)


def _when(ev: Evidence, now: datetime) -> tuple[datetime | None, int | None, str | None]:
    """When the paste says a retry may happen: Retry-After first, then X-RateLimit-Reset."""
    base = ev.response_date or now
    if ev.retry_after_s is not None:
        at = base + timedelta(seconds=ev.retry_after_s)
        return at, ev.retry_after_s, f"after {ev.retry_after_s} s (at {_clock(at, now)})"
    if ev.retry_at is not None:
        wait = max(0, int((ev.retry_at - base).total_seconds()))
        return ev.retry_at, wait, f"at {_clock(ev.retry_at, now)} (Retry-After date)"
    if ev.rate_limit and ev.rate_limit.reset:
        reset = ev.rate_limit.reset
        if reset > 10**9:  # epoch seconds
            at = datetime.fromtimestamp(reset, UTC)
            wait = int((at - base).total_seconds())
        else:  # some servers send seconds until reset
            at, wait = base + timedelta(seconds=reset), reset
        return at, max(wait, 0), (f"after the rate-limit window resets at {_clock(at, now)}"
                                  f" (X-RateLimit-Reset {reset})")
    return None, None, None


def _clock(at: datetime, now: datetime) -> str:
    at = at.astimezone(UTC)
    if at.date() == now.astimezone(UTC).date():
        return at.strftime("%H:%M:%S UTC")
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _is_client_fix(entry: Entry) -> bool:
    """A malformed request: the caller must change what it sends."""
    return entry.http_status in (400, 422) or "validation" in entry.code.lower()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
