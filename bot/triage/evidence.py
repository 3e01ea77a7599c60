"""What triage reads out of one paste: `Evidence`, and the `CodeMention`s in it.

`extract` builds these; `match` and `advice` only read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CodeMention:
    """A code written somewhere in the paste, with what surrounded it."""

    code: str
    source: str  # envelope | json | kv | token
    line: int
    message: str | None = None
    request_id: str | None = None
    http_status: int | None = None
    # nested_error | nested_typed_error (`type`, not `code`) | flat_error | ok_error (Slack's
    # `{"ok": false, "error": ...}`) | code_field | json_log
    shape: str | None = None
    fields: tuple[str, ...] = ()  # details.fields, verbatim
    details: str | None = None  # other details, as compact JSON
    seen_at: str | None = None  # timestamp found on the same line


@dataclass(frozen=True)
class RateLimit:
    """The X-RateLimit-* headers of the paste, as numbers (None when absent or odd)."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None  # epoch seconds, as sent in X-RateLimit-Reset


@dataclass(frozen=True)
class Evidence:
    """Everything triage can use from one paste."""

    text: str  # the paste, unescaped (Slack markup removed)
    mentions: tuple[CodeMention, ...] = ()
    tokens: tuple[str, ...] = ()  # code-like words (UPPER_SNAKE, lower_snake, kebab-case)
    http_statuses: tuple[int, ...] = ()
    retry_after_s: int | None = None
    retry_at: datetime | None = None  # Retry-After given as an HTTP date
    response_date: datetime | None = None  # the Date header, the paste's own clock
    rate_limit: RateLimit | None = None
    request_ids: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()
    prose: tuple[str, ...] = ()  # sentences worth matching by meaning
    # The items of a short paste that lists several problems ("1) ... 2) ..."): sentences
    # of their own even when written on one line (one answer each, bot.triage.confidence).
    items: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        """Distinct codes written in the paste, first seen first."""
        return tuple(dict.fromkeys(m.code for m in self.mentions))

    @property
    def error_status(self) -> int | None:
        """The first 4xx/5xx status seen, else the first status."""
        for status in self.http_statuses:
            if status >= 400:
                return status
        return self.http_statuses[0] if self.http_statuses else None

