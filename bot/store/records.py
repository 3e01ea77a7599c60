"""What the store hands back (frozen dataclasses), its one error, and the unmatched key.

Nothing here touches a database, so callers that only need the shapes (escalation
packets, answers) import them without a driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import ErrcodeError

__all__ = [
    "UNMATCHED_MAX_CHARS", "FeedbackRow", "PacketRecord", "PacketSummary", "SavedQuery",
    "StoreError", "TakenJob", "UnmatchedRow", "unmatched_key",
]

UNMATCHED_MAX_CHARS = 500


class StoreError(ErrcodeError):
    """The database could not be opened, read or written; names where (password masked)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True, slots=True)
class SavedQuery:
    id: str
    text: str
    product: str | None
    channel: str | None
    user: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    catalog: str | None
    code: str | None
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True)
class UnmatchedRow:
    text: str
    count: int
    first_seen: float
    last_seen: float
    nearest: str | None
    product: str | None


@dataclass(frozen=True, slots=True)
class PacketRecord:
    id: str
    version: int
    thread_key: str
    product: str | None
    author: str | None
    title: str
    markdown: str
    data_json: str
    created_at: float


@dataclass(frozen=True, slots=True)
class PacketSummary:
    id: str
    thread_key: str
    product: str | None
    author: str | None
    title: str
    latest_version: int
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class TakenJob:
    """A job taken under a lease: (id, token) names this claim, and only it may mark the
    job sending or done. `sending`: an earlier take had started delivering it, so the
    answer may already be in Slack."""

    id: str
    queue: str
    kind: str
    payload: str  # JSON
    accepted_by: str
    created_at: float
    token: str
    attempts: int  # takes so far, this one included
    sending: bool


# Order matters: specific shapes (uuids, timestamps, ids) before bare numbers.
_NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                r"(?:z|[+-]\d{2}:?\d{2})?(?![0-9a-z])"), "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b"), "<time>"),
    (re.compile(r"\b[a-z]{2,10}_(?=[a-z0-9]*\d)[a-z0-9]{6,}\b"), "<id>"),  # req_8f3a2b91
    (re.compile(r"\b0x[0-9a-f]+\b"), "<hex>"),
    # Tokens of 8+ chars mixing letters and digits: hashes, Slack ids (C0CHAN123).
    (re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{8,}\b"), "<id>"),
)
# Bare numbers; digits glued to letters or a dash (MV-1042, E1234) are error codes, kept.
_NUMBER = re.compile(r"(?<![a-z0-9_.-])\d+(?:\.\d+)?(?![a-z0-9])")
_HTTP_STATUS = re.compile(r"[1-5]\d\d")


def unmatched_key(text: str) -> str:
    """Normalise text so queries differing only in times, ids or counts share one key.

    HTTP statuses and code-like tokens (MV-1042) are kept: they are what is missing.
    """
    key = text.lower()
    for pattern, placeholder in _NORMALISERS:
        key = pattern.sub(placeholder, key)
    key = _NUMBER.sub(lambda m: m[0] if _HTTP_STATUS.fullmatch(m[0]) else "<n>", key)
    return " ".join(key.split())[:UNMATCHED_MAX_CHARS]
