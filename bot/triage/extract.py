"""Pasted text -> Evidence: codes, envelopes, HTTP statuses, rate-limit headers, request ids.

Handles what people really paste into Slack, alone or mixed: Slack's escaping and
link markup, code fences, JSON envelopes (compact, pretty, inside log lines),
`curl -v` transcripts, tracebacks and key=value logs. Every scan is a single pass of a
compiled regex that cannot backtrack across lines, or a budgeted JSON decode, so any
1 MB paste stays linear (`./dev bench pathological`). JSON is read by `envelopes`,
statuses and rate-limit headers by `http_facts`; the result types live in `evidence`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from bot.text import ascii_lower, bounded_after_first
from bot.triage.envelopes import (
    json_objects,
    line_of,
    line_starts,
    looks_like_code,
    mentions_from_json,
)
from bot.triage.evidence import CodeMention, Evidence
from bot.triage.http_facts import http_statuses, rate_headers

MAX_PASTE_CHARS = 4_000_000
MAX_TOKENS = 5_000
MAX_PROSE_LINES = 60
MAX_PROSE_LINE = 2_000  # characters: a longer line is data, not a sentence
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

# Scans below that are case-insensitive run on an ASCII-lowercased copy of the paste (same
# length, so spans map back): case-insensitive alternations are several times slower. A
# pattern starts with a literal or a character class, never with `\b` or a lookbehind
# (the engine would try those at every position of a megabyte): a word boundary is a
# lookbehind after the first character. No quantifier is unbounded where it could run
# across lines.
_REQUEST_ID = re.compile(r"r(?<!\wr)eq_[A-Za-z0-9]{3,64}(?!\w)")
_REQUEST_ID_KV = re.compile(
    r"request[ _-]?id\\?[\"'`\]]?[ \t]{0,8}+(?::|=>?)[ \t]{0,8}+(?:\\?[\"'`]|\[){0,2}+"
    r"([a-z0-9][a-z0-9_\-]{5,80})"
)
# Not a file or path name: `/etc/ssl/certs/ca-certificates.crt`, `docs/errors`.
_CODE_TOKEN = re.compile(
    r"[A-Za-z](?<![\w/][A-Za-z])[A-Za-z0-9]{1,40}+(?:[_-][A-Za-z0-9]{1,40}+){1,8}\b"
    r"(?![./][A-Za-z0-9])")
_KV_CODE = re.compile(
    r"(?:code|error_code|errorCode|err_code|error|err|errcode|reason)="
    r"(\"?)([A-Za-z][\w.\-]{2,80})\1"
)
_KV_MSG = re.compile(r"(?:msg|message|error_message)=(?:\"([^\"\n]{1,500})\"|(\S{1,200}))")
# An exception line (`scaivault.errors.APIError: 409 policy_in_use: ...`) is found by its
# name's ending, then its line is checked to start with that name (the engine would
# otherwise try a line start pattern at each of a megabyte's positions).
_EXCEPTION_END = re.compile(
    r"(?:Error|Exception|Fault|Failure)()\b[ \t]{0,8}+:[ \t]{0,8}+([^\n]{1,500})")
_EXCEPTION_NAME = re.compile(
    r"[ \t]{0,64}+(?:Caused by:[ \t]{0,4}+)?(?:[\w$]{1,100}+\.){0,16}+"
    r"([A-Z]\w{0,100}(?:Error|Exception|Fault|Failure))")
_TIMESTAMP = re.compile(
    r"[0-9](?<!\w[0-9])[0-9]{3}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
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


def extract(text: str, request_id_patterns: Iterable[str] = (),
            status_near: Callable[[str], Iterable[tuple[int, int]]] | None = None
            ) -> Evidence:
    """Read one paste into Evidence. Never raises on odd input; caps huge pastes.
    `status_near`: statuses written beside a product's name (`http_statuses`)."""
    if not isinstance(text, str):
        text = str(text)
    truncated = len(text) > MAX_PASTE_CHARS
    if truncated:
        text = text[:MAX_PASTE_CHARS]
    text = unescape_slack(text.replace("\r\n", "\n").replace("\x00", ""))
    lines = _Lines(text)

    mentions: list[CodeMention] = []
    prose: list[str] = []
    stamps: dict[int, str | None] = {}  # line -> its timestamp, read once per line
    for start, obj in json_objects(text):  # each distinct object once, first seen first
        line_no = lines.of(start)
        if line_no not in stamps:
            found = _TIMESTAMP.search(lines.lines[line_no])
            stamps[line_no] = found.group(0) if found else None
        for mention, message in mentions_from_json(obj, line_no, stamps[line_no]):
            if mention is not None:
                mentions.append(mention)
            if message:
                prose.append(message)

    low = ascii_lower(text)
    statuses = http_statuses(low, status_near)
    statuses += [m.http_status for m in mentions if m.http_status]
    rate = rate_headers(text, low)

    request_ids: list[str] = []
    # Each scan runs only when its trigger is in the paste: a cheap `in` skips a regex pass.
    if "req_" in text:
        request_ids += _REQUEST_ID.findall(text)
    if "request" in low:
        request_ids += [text[m.start(1):m.end(1)] for m in _REQUEST_ID_KV.finditer(low)]
    for pattern in request_id_patterns:
        request_ids += _pattern_matches(text, pattern)
    request_ids += [m.request_id for m in mentions if m.request_id]

    if "=" in text:
        mentions += _kv_mentions(text, lines)
        prose += [m.group(1) or m.group(2) for m in _KV_MSG.finditer(text)
                  if _word_start(text, m)]
    if any(w in text for w in ("Error", "Exception", "Fault", "Failure")):
        prose += _exception_lines(text)

    tokens = _code_tokens(text)
    prose, items = _prose(text, low, lines, prose, len({s for s in statuses if s >= 400}))
    return Evidence(
        text=text,
        mentions=tuple(mentions),
        tokens=tokens,
        http_statuses=tuple(dict.fromkeys(statuses)),
        retry_after_s=rate.retry_after_s,
        retry_at=rate.retry_at,
        response_date=rate.response_date,
        rate_limit=rate.rate_limit,
        request_ids=tuple(dict.fromkeys(r for r in request_ids if r)),
        shapes=tuple(dict.fromkeys(m.shape for m in mentions if m.shape)),
        prose=tuple(dict.fromkeys(p.strip() for p in prose if p and p.strip())),
        items=items,
        truncated=truncated,
    )


# --------------------------------------------------------------------------- ids, kv, tokens


class _Lines:
    """The paste's lines, and which line holds an offset. Both are made on first use only:
    a megabyte of blank lines is a million of them, and most pastes need neither."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None
        self._starts: list[int] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self._text.split("\n")
        return self._lines

    def of(self, offset: int) -> int:
        if self._starts is None:
            self._starts = line_starts(self.lines)
        return line_of(self._starts, offset)


def _pattern_matches(text: str, pattern: str) -> list[str]:
    """Matches of a catalog's request-id pattern that start and end on a word boundary.

    Same as `\\b(?:pattern)\\b`, but a pattern that starts with `\\b` is tried at every
    position of the paste. A pattern that opens with a plain character (`req_...`) has its
    leading boundary checked right after that character (`r(?<!\\wr)eq_...`), so the regex
    engine looks only where that character is; any other is searched without it and the
    boundary checked here."""
    if pattern[:1].isalnum() and pattern[1:2] not in ("?", "*", "+", "{") and "|" not in pattern:
        rx = _compiled(bounded_after_first(pattern, r"\w") + r"\b")
        return [m.group(0) for m in rx.finditer(text)]
    rx = _compiled(rf"(?:{pattern})\b")
    out: list[str] = []
    pos = 0
    while (m := rx.search(text, pos)) is not None:
        if m.end() > m.start() and _boundary(text, m.start()):
            out.append(m.group(0))
            pos = m.end()
        else:
            pos = m.start() + 1
    return out


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _boundary(text: str, i: int) -> bool:
    before = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
    after = i < len(text) and (text[i].isalnum() or text[i] == "_")
    return before != after


def _kv_mentions(text: str, lines: _Lines) -> list[CodeMention]:
    """`code=RATE_LIMITED` and the like: the first mention of each code (a kv mention
    carries nothing but its code and line, and a log repeats its codes)."""
    out: dict[str, CodeMention] = {}
    not_codes: set[str] = set()
    for m in _KV_CODE.finditer(text):
        code = m.group(2)
        if code in out or code in not_codes or not _word_start(text, m):
            continue
        if looks_like_code(code) and code.lower() not in _NOT_CODES:
            out[code] = CodeMention(code=code, source="kv", line=lines.of(m.start()))
        else:
            not_codes.add(code)
    return list(out.values())


def _exception_lines(text: str) -> list[str]:
    """`Name: message` of each line that starts with an exception's name. Only the first
    name ending on a line can be the line's first word, so each line is read once."""
    out = []
    pos = 0
    while (m := _EXCEPTION_END.search(text, pos)) is not None:
        line_start = text.rfind("\n", 0, m.start()) + 1
        name = _EXCEPTION_NAME.fullmatch(text, line_start, m.end(1))
        if name is not None:
            out.append(f"{name.group(1)}: {m.group(2)}")
        next_line = text.find("\n", m.end())
        if next_line == -1:
            break
        pos = next_line + 1
    return out


def _code_tokens(text: str) -> tuple[str, ...]:
    """UPPER_SNAKE, lower_snake and kebab-case words, first seen first (mixed case is prose).
    Distinct words are judged once: a paste repeating one code is one judgement."""
    seen: list[str] = []
    for token in dict.fromkeys(_CODE_TOKEN.findall(text)):
        if token.lower() in _NOT_CODES:
            continue
        snake = "_" in token and "-" not in token and (token.isupper() or token.islower())
        kebab = "-" in token and "_" not in token and token.islower()
        if snake or kebab:
            seen.append(token)
            if len(seen) >= MAX_TOKENS:
                break
    return tuple(seen)


def _word_start(text: str, m: re.Match[str]) -> bool:
    return m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_")


def _prose(text: str, low: str, lines: _Lines, found: list[str],
           error_statuses: int = 0) -> tuple[list[str], tuple[str, ...]]:
    """Sentences for meaning-matching: the whole of a short paste, error-ish lines of a long
    one; and the items of a short paste that lists several problems (`_list_items`)."""
    if len(text) <= SHORT_PASTE_CHARS:
        whole = " ".join(line.strip() for line in lines.lines if line.strip())
        if not whole:
            return found, ()
        parts = _list_items(lines.lines, whole, several=error_statuses >= 2)
        return [*parts, *found], tuple(p.strip() for p in parts) if len(parts) > 1 else ()
    picked: dict[int, int] = {}  # line start -> line end
    for word in ERRORISH_WORDS:
        pos = low.find(word)
        hits = 0
        while pos != -1 and hits < MAX_PROSE_LINES and len(picked) < MAX_PROSE_LINES * 4:
            hits += 1
            if pos == 0 or not low[pos - 1].isalnum():
                line = _short_line_at(low, pos)
                if line is not None:
                    picked[line[0]] = line[1]
            pos = low.find(word, pos + len(word))
    return found + [text[start:picked[start]].strip()
                    for start in sorted(picked)[:MAX_PROSE_LINES]], ()


_ITEM = re.compile(
    r"(?:^|\s)(?:\(?(?:[1-9]|[a-e])\)|[1-9]\.(?=\s)|(?:first|second|third|also|plus)(?:ly)?,"
    r"|(?:the )?(?:first|second|other|another) (?:one|problem|issue|thing)(?: is)?:?)\s",
    re.IGNORECASE)


_NEXT_ITEM = re.compile(
    r"(?:[.;,:]|\s-+)\s+((?:and |but )?(?:separately|additionally|in addition|on top of that"
    r"|unrelated(?: to that)?|(?:and )?also(?= the | our | my | their | when | if ))[,:]?\s)",
    re.IGNORECASE)

_NEXT_ITEM_WORDS = ("separately", "addition", "on top of", "unrelated", "also")

# A paste that announces several problems ("two problems", "fails twice", "2 issues",
# "now it's a different 429").
_SEVERAL = re.compile(
    r"\b(?:two|three|2|3|several|multiple|a couple of)\s+(?:\w+\s+){0,2}?"
    r"(?:problems?|issues?|things|failures|errors|bugs)\b|\b(?:fails|failed|failing) twice\b"
    r"|\ba different (?:kind of )?(?:[45][0-9][0-9]|error|problem|failure)\b",
    re.IGNORECASE)
# Where the next clause starts: after a sentence's end (`... reached". And ...`), or a
# comma or dash before "and", "but", "while", "then".
_NEXT_CLAUSE = re.compile(
    r"(?<=[\w\"'`)][).!?;])\s+(?=\S)"
    r"|(?:,|\s-+|\s—)\s+(?:and|but|while|whereas|then)\s+(?:then\s+|also\s+)?"
    # "GET rotation policy rp_88 -> 404, DELETE event subscription sub_12 -> 404"
    r"|,\s+(?=(?-i:GET|POST|PUT|PATCH|DELETE|HEAD)\s)",
    re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """A short paste's sentences and clauses (where `_NEXT_CLAUSE` says the next one
    starts, and at each line), for finding a second error a paste tells in passing."""
    out = []
    for line in text.splitlines():
        starts = [0, *(m.end() for m in _NEXT_CLAUSE.finditer(line))]
        out += [line[a:b].strip() for a, b in zip(starts, [*starts[1:], len(line)],
                                                   strict=True)]
    return [c for c in out if c]


_CURL_VERBOSE = re.compile(r"(?:^|\s)< HTTP/[0-9.]+ [1-5][0-9][0-9]\b")


def _list_items(lines: list[str], whole: str, several: bool = False) -> list[str]:
    """A paste that lists several problems ("1) ... 2) ...", "First, ... Second, ...",
    bullets): its preamble and each item as sentences of their own, so each item brings
    its own answer and its own product. Otherwise the whole paste is one sentence."""
    # `curl -v` writes its notes as "* Trying ...": with its "> GET" and "< HTTP/2 429"
    # lines beside them they are a transcript, not a list of problems.
    curl = "< HTTP/" in whole and _CURL_VERBOSE.search(whole) is not None
    marks = ("- ", "• ") if curl else ("- ", "* ", "• ")
    bullets = [i for i, line in enumerate(lines) if line.lstrip()[:2] in marks]
    if len(bullets) >= 2:
        preamble = " ".join(line.strip() for line in lines[:bullets[0]] if line.strip())
        items = [lines[i].strip()[2:] for i in bullets]
        rest = " ".join(line.strip() for i, line in enumerate(lines)
                        if i > bullets[0] and i not in bullets and line.strip())
        return [p for p in (preamble, *items, rest) if p]
    starts = [m.start() for m in _ITEM.finditer(whole)]
    if len(starts) < 2:
        low = whole.lower()
        if several or _SEVERAL.search(whole):
            # "two problems: ..., and ...": the paste says it holds several; each clause
            # is one of them.
            starts = [m.end() for m in _NEXT_CLAUSE.finditer(whole)]
        elif any(word in low for word in _NEXT_ITEM_WORDS):
            # "..., and separately ...": one word that opens a second problem is enough.
            starts = [m.start(1) for m in _NEXT_ITEM.finditer(whole)]
        if not starts:
            return [whole]
    bounds = [*starts[1:], len(whole)]
    items = [whole[a:b].strip() for a, b in zip(starts, bounds, strict=True)]
    return [p for p in (whole[:starts[0]].strip(), *items) if p]


def _short_line_at(text: str, pos: int) -> tuple[int, int] | None:
    """(start, end) of the line holding `pos` when it is shorter than MAX_PROSE_LINE
    characters; found reading at most that many either way."""
    lo = max(0, pos - MAX_PROSE_LINE)
    start = text.rfind("\n", lo, pos) + 1
    if start == 0 and lo > 0:
        return None
    end = text.find("\n", pos, start + MAX_PROSE_LINE)
    if end == -1:
        if start + MAX_PROSE_LINE < len(text):
            return None
        end = len(text)
    return (start, end) if end - start < MAX_PROSE_LINE else None
