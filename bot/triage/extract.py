"""Pasted text -> Evidence: codes, envelopes, HTTP statuses, rate-limit headers, request ids.

Handles what people really paste into Slack, alone or mixed: Slack's escaping and
link markup, code fences, JSON envelopes (compact, pretty, inside log lines),
`curl -v` transcripts, tracebacks and key=value logs. Every scan is a single
pass of compiled regexes or a bounded JSON decode, so a 1 MB paste stays linear.
JSON is read by `envelopes`; the result types live in `evidence`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.triage.envelopes import (
    json_objects,
    line_of,
    line_starts,
    looks_like_code,
    mentions_from_json,
)
from bot.triage.evidence import CodeMention, Evidence, RateLimit

MAX_PASTE_CHARS = 4_000_000
MAX_TOKENS = 5_000
MAX_PROSE_LINES = 60
SHORT_PASTE_CHARS = 1_500



# --------------------------------------------------------------------------- Slack markup

_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^<>|\s]{1,2000})(?:\|([^<>]{0,500}))?>")
_SLACK_SPECIAL = re.compile(r"<([@#!][^<>]{0,200})>")
_FENCE = re.compile(r"```")


def unescape_slack(text: str) -> str:
    """Undo what Slack does to a pasted message: link markup, mentions, entity escaping."""
    text = _FENCE.sub("\n", text)
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SLACK_SPECIAL.sub(_special_label, text)
    # Slack escapes only these three; &amp; last so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _special_label(m: re.Match[str]) -> str:
    inner = m.group(1)
    if "|" in inner:
        return inner.split("|", 1)[1]
    return ""  # a user/channel mention or broadcast carries no error evidence


# --------------------------------------------------------------------------- patterns

_STATUS_LINE = re.compile(r"(?m)^[<>*\s]*HTTP/(?:1\.[01]|2(?:\.0)?|3)\s+([1-5]\d\d)\b")
# Scans below run on an ASCII-lowercased copy of the paste (same length, so spans map
# back to the original): case-insensitive alternations are several times slower.
_STATUS_NUM = re.compile(r"(?<![\w.\-/:])([45]\d\d)s?\b")
_STATUS_BEFORE = re.compile(
    r"(?:\b(?:http|status(?:[ _-]?code)?|returned|returns|returning|got|gets|getting|with"
    r"|response|responded|throws|throwing|gives|giving|hit|hitting|seeing)|error|exception)"
    r"\s*[:=]?\s*(?:an? )?\"?$"
)
_STATUS_AFTER = re.compile(
    r" +(?:bad request|unauthorized|forbidden|not found|conflict|gone|unprocessable entity"
    r"|too many requests|internal server error|bad gateway|service unavailable"
    r"|gateway timeout)\b"
)
_HEADER = re.compile(
    r"(?m)^[<>*\s]*(retry-after|x-ratelimit-limit|x-ratelimit-remaining|x-ratelimit-reset"
    r"|x-request-id|date)\s*:\s*([^\r\n]{1,200})$"
)
_REQUEST_ID = re.compile(r"req_[A-Za-z0-9]{3,64}")
_REQUEST_ID_KV = re.compile(r"request[_-]?id\"?\s*[:=]\s*\"?([a-z0-9][a-z0-9_\-]{5,80})")
_CODE_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]{1,40}(?:[_-][A-Za-z0-9]{1,40}){1,8}\b")
_KV_CODE = re.compile(
    r"(?:code|error_code|errorCode|err_code|error|err|errcode|reason)=(\"?)([A-Za-z][\w.\-]{2,80})\1"
)
_KV_MSG = re.compile(r"(?:msg|message|error_message)=(?:\"([^\"\n]{1,500})\"|(\S{1,200}))")
_EXCEPTION = re.compile(
    r"(?m)^\s*(?:[\w.$]+\.)?([A-Z]\w*(?:Error|Exception|Fault|Failure))\b\s*:\s*(.{1,500})$"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"
)
# Words that make a log line worth reading for meaning (found with str.find: one C scan
# per word beats one big alternation over a megabyte).
ERRORISH_WORDS = (
    "error", "fail", "denied", "invalid", "expired", "refused", "unhealthy", "unreachable",
    "conflict", "forbidden", "unauthori", "timeout", "timed out", "exception", "cannot",
    "can't", "unable", "not found", "unknown", "rejected", "blocked", "locked", "mismatch",
    "exceeded", "too many", "x509", "tls", "ssl", "certificate", "ocsp", "csrf", "mfa",
    "quota", "throttl", "panic", "fatal",
)
# Words that look like codes but are only log structure.
_NOT_CODES = frozenset({
    "request_id", "error_code", "status_code", "http_status", "error_message", "user_id",
    "trace_id", "span_id", "x-request-id", "content-type", "content-length", "retry-after",
    "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "user-agent",
})


# --------------------------------------------------------------------------- entry point


def extract(text: str, request_id_patterns: Iterable[str] = ()) -> Evidence:
    """Read one paste into Evidence. Never raises on odd input; caps huge pastes."""
    if not isinstance(text, str):
        text = str(text)
    truncated = len(text) > MAX_PASTE_CHARS
    if truncated:
        text = text[:MAX_PASTE_CHARS]
    text = unescape_slack(text.replace("\r\n", "\n").replace("\x00", ""))
    lines = text.split("\n")
    starts = line_starts(lines)

    mentions: list[CodeMention] = []
    prose: list[str] = []
    for start, obj in json_objects(text, lines, starts):
        line_no = line_of(starts, start)
        stamp = _first(_TIMESTAMP.finditer(lines[line_no])) if line_no < len(lines) else None
        for mention, message in mentions_from_json(obj, line_no, stamp):
            if mention is not None:
                mentions.append(mention)
            if message:
                prose.append(message)

    low = text.translate(_ASCII_LOWER)
    statuses = ([int(m.group(1)) for m in _STATUS_LINE.finditer(text)]
                if "HTTP/" in text else [])
    statuses += _worded_statuses(low)
    statuses += [m.http_status for m in mentions if m.http_status]

    headers = _headers(text, low)
    request_ids: list[str] = []
    # Each scan runs only when its trigger is in the paste: a cheap `in` skips a regex pass.
    if "req_" in text:
        request_ids += [m.group(0) for m in _REQUEST_ID.finditer(text) if _word_edges(text, m)]
    if "request" in low:
        request_ids += [text[m.start(1):m.end(1)] for m in _REQUEST_ID_KV.finditer(low)]
    for pattern in request_id_patterns:
        request_ids += [m.group(0) for m in re.finditer(rf"\b(?:{pattern})\b", text)]
    if headers.get("x-request-id"):
        request_ids.append(headers["x-request-id"].strip().strip('"'))
    request_ids += [m.request_id for m in mentions if m.request_id]

    if "=" in text:
        mentions += _kv_mentions(text, starts)
        prose += [m.group(1) or m.group(2) for m in _KV_MSG.finditer(text)
                  if _word_start(text, m)]
    if any(w in text for w in ("Error", "Exception", "Fault", "Failure")):
        prose += [f"{m.group(1)}: {m.group(2)}" for m in _EXCEPTION.finditer(text)]

    tokens = _code_tokens(text)
    prose = _prose(text, low, starts, lines, prose)
    retry_after_s, retry_at = _retry_after(headers.get("retry-after"))
    return Evidence(
        text=text,
        mentions=tuple(mentions),
        tokens=tokens,
        http_statuses=tuple(dict.fromkeys(statuses)),
        retry_after_s=retry_after_s,
        retry_at=retry_at,
        response_date=_http_date(headers.get("date")),
        rate_limit=_rate_limit(headers),
        request_ids=tuple(dict.fromkeys(r for r in request_ids if r)),
        shapes=tuple(dict.fromkeys(m.shape for m in mentions if m.shape)),
        prose=tuple(dict.fromkeys(p.strip() for p in prose if p and p.strip())),
        truncated=truncated,
    )


# --------------------------------------------------------------------------- headers, kv, tokens


def _headers(text: str, low: str) -> dict[str, str]:
    """Header name -> value (first seen); names matched case-insensitively, values as written."""
    found: dict[str, str] = {}
    for m in _HEADER.finditer(low):
        found.setdefault(m.group(1), text[m.start(2):m.end(2)].strip())
    return found


def _retry_after(value: str | None) -> tuple[int | None, datetime | None]:
    if not value:
        return None, None
    value = value.strip()
    if value.isdigit():
        return int(value), None
    return None, _http_date(value)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rate_limit(headers: dict[str, str]) -> RateLimit | None:
    values = {k: _int(headers.get(f"x-ratelimit-{k}")) for k in ("limit", "remaining", "reset")}
    if all(v is None for v in values.values()):
        return None
    return RateLimit(**values)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip().strip('"')
    return int(value) if value.isdigit() else None


def _kv_mentions(text: str, starts: list[int]) -> list[CodeMention]:
    out = []
    for m in _KV_CODE.finditer(text):
        if not _word_start(text, m):
            continue
        code = m.group(2)
        if looks_like_code(code) and code.lower() not in _NOT_CODES:
            out.append(CodeMention(code=code, source="kv", line=line_of(starts, m.start())))
    return out


def _code_tokens(text: str) -> tuple[str, ...]:
    """UPPER_SNAKE, lower_snake and kebab-case words, first seen first (mixed case is prose)."""
    seen: dict[str, None] = {}
    for m in _CODE_TOKEN.finditer(text):
        token = m.group(0)
        if token in seen or token.lower() in _NOT_CODES:
            continue
        snake = "_" in token and "-" not in token and (token.isupper() or token.islower())
        kebab = "-" in token and "_" not in token and token.islower()
        if snake or kebab:
            seen[token] = None
            if len(seen) >= MAX_TOKENS:
                break
    return tuple(seen)


def _worded_statuses(low: str) -> list[int]:
    """4xx/5xx written in words: "fails with 403", "APIError: 409", "got a 429", "503 Service
    Unavailable". Numbers are found first; only their surroundings are examined."""
    out = []
    for m in _STATUS_NUM.finditer(low):
        before = low[max(0, m.start() - 40):m.start()]
        if _STATUS_BEFORE.search(before) or _STATUS_AFTER.match(low, m.end()):
            out.append(int(m.group(1)))
    return out


def _word_start(text: str, m: re.Match[str]) -> bool:
    return m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_")


def _word_edges(text: str, m: re.Match[str]) -> bool:
    end_ok = m.end() >= len(text) or not (text[m.end()].isalnum() or text[m.end()] == "_")
    return _word_start(text, m) and end_ok


def _prose(text: str, low: str, starts: list[int], lines: list[str],
           found: list[str]) -> list[str]:
    """Sentences for meaning-matching: the whole of a short paste, error-ish lines of a long one."""
    if len(text) <= SHORT_PASTE_CHARS:
        whole = " ".join(line.strip() for line in lines if line.strip())
        return [whole, *found] if whole else found
    picked: dict[int, None] = {}
    for word in ERRORISH_WORDS:
        pos = low.find(word)
        hits = 0
        while pos != -1 and hits < MAX_PROSE_LINES and len(picked) < MAX_PROSE_LINES * 4:
            hits += 1
            if pos == 0 or not low[pos - 1].isalnum():
                line_no = line_of(starts, pos)
                if len(lines[line_no]) < 2000:
                    picked[line_no] = None
            pos = low.find(word, pos + len(word))
    return found + [lines[i].strip() for i in sorted(picked)[:MAX_PROSE_LINES]]


def _first(matches: Iterator[re.Match[str]]) -> str | None:
    for m in matches:
        return m.group(0)
    return None
