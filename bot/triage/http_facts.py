"""HTTP facts in a paste: statuses, Retry-After, X-RateLimit-* and the response's Date.

People paste these in every shape: header lines (`curl -v`, `curl -sI`), mid-line in a
log ("429 from api, Retry-After: 120 (request_id=..)"), JSON, Python/Node/Go/Java dumps
of a headers map, logfmt, HAR name/value pairs, exception texts ("HTTPError: 429 Client
Error", "StatusCode: 404", "(HTTP 429)", "403 permission_denied"). A number is a status
only beside words that make it one, so ports, line numbers, ids, durations (`503ms`),
versions and timestamps stay numbers.

Every scan is one compiled regex over the ASCII-lowercased paste (the same length as the
paste, so spans map back) that starts with a literal or a digit, so the engine skips
straight to candidates; no quantifier can cross a line or run unbounded. Words written
before a number are matched on the reversed paste: there the regex starts at the digits
(a keyword-first alternation would be tried at every letter of a megabyte).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.triage.evidence import RateLimit


@dataclass(frozen=True)
class RateHeaders:
    """What the paste's rate-limit headers say, however they were written."""

    retry_after_s: int | None = None
    retry_at: datetime | None = None  # Retry-After given as an HTTP date
    response_date: datetime | None = None
    rate_limit: RateLimit | None = None


def _trie(words: Iterable[str], space: str = " ") -> str:
    """One regex alternation for `words`, factored by shared prefixes: a failing match
    is rejected at its first letter instead of once per word. A space in a word matches
    `space` (a regex)."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [(space if ch == " " else re.escape(ch)) + emit(node[ch])
                    for ch in sorted(node) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


def _reversed(words: Iterable[str]) -> str:
    return _trie(w[::-1] for w in words)


# --------------------------------------------------------------------------- statuses

# "HTTP/1.1 403 Forbidden", "< HTTP/2 429", and an access log's `"GET / HTTP/1.1" 502 559`.
_STATUS_LINE = re.compile(
    r"http/(?:1\.[01]|2(?:\.0)?|3)\"?[ \t]{1,4}+([1-5][0-9]{2})(?![0-9a-z_]|\.[0-9])")

# Words after which a 4xx/5xx is a status whatever follows it ("status=503", "HTTPError: 429").
STATUS_WORDS = (
    "status", "status code", "status_code", "status-code", "statuscode", "httpstatus",
    "http status", "http_status", "http status code", "http code", "http_code", "http",
    "http error", "response code", "response_code", "response status", "response_status",
    "code", "error code", "error_code", "errorcode",
)
# Ends of exception names: "APIError: 409", "ClientResponseError: 429".
_STATUS_SUFFIXES = ("error", "exception")
# Verbs after which a number is a status only when nothing says it counts something:
# "fails with 403", "got a 429 from", "getting 409s" (not "got 500 items").
STATUS_VERBS = (
    "got", "gets", "getting", "get", "returned", "returns", "returning", "return", "gives",
    "giving", "gave", "give", "throws", "throwing", "threw", "hit", "hits", "hitting",
    "seeing", "sees", "saw", "see", "received", "receives", "receiving", "receive",
    "responded", "responds", "response", "answered", "answers", "with", "failed", "fails",
    "failing", "fail", "back", "then", "end in", "ends in", "ended in", "ending in",
    "it's", "that's", "it", "that", "this", "which", "saying", "says", "said", "comes", "came",
)
_ARROWS = ("->", "=>", "\u2192")

# On the reversed paste: a 4xx/5xx (not followed by a word character, `.digit`, or a unit
# such as `ms`; a plural `s` is fine), the glue ("=", ": ", '":', " a ", " is "), a word.
_KEYWORD_STATUS = re.compile(
    r"([0-9][0-9][45])(?<![0-9a-rt-z_][0-9]{2}[45])(?<![0-9]\.[0-9]{2}[45])"
    r"(?<![0-9a-z_]s[0-9]{2}[45])"
    r"[ \t\n:=\"'`(\[]{0,6}+(?=[a-z>\u2192])"
    # "gave an unexpected 500", "returns a plain 404": one word between article and number
    r"(?:[a-z]{3,14}+[ \t]{1,2}+(?=(?:a|na|eht)[ \t]))?"
    r"(?:(?:a|na|eht|si|saw|em|su)[ \t\n]{1,2}+){0,2}+"
    rf"(?:(?P<strong>{_reversed(STATUS_WORDS)})(?![a-z0-9_])"
    rf"|(?P<suffix>{_reversed(_STATUS_SUFFIXES)})"
    rf"|(?P<verb>{_reversed(STATUS_VERBS)})(?![a-z0-9_])"
    rf"|(?P<arrow>{_reversed(_ARROWS)}))"
)
_STATUS_DIGITS = re.compile(r"[45](?=[0-9][0-9])")  # every place three digits may start
# What may follow a status after a verb: the end of a phrase, or a word of an error report.
_AFTER_VERB = re.compile(
    r"s?(?:[ \t]{0,4}+(?:$|[\n\r.,;:!?)\]}\"'`(\[{<\u2014\u2013-]"
    r"|(?:from|when|whenever|on|for|in|at|after|again|back|and|or|but|while|if|because|so"
    r"|since|now|every|each|too|here|there|instead|errors?|responses?|status|codes?|http"
    r"|https|trying|today|intermittently|sometimes|randomly|always|though|which|that"
    r"|saying|says|about|complaining|with|telling|asking|to|no|as|during|until|via|through"
    r"|across|within|against|under|over|into"
    # "gives 504 reading secrets", "returns 409 creating it"; not "500 matching rows"
    r"|(?!(?:match|remain|exist|pend|outstand|follow|runn|incom|upcom)ing)[a-z]{2,16}ing"
    r")(?![a-z0-9_])))"
)

# The reason phrase of each error status a catalog documents (RFC 9110, 6585).
REASON_OF = {
    400: "bad request", 401: "unauthorized", 402: "payment required", 403: "forbidden",
    404: "not found", 405: "method not allowed", 408: "request timeout", 409: "conflict",
    410: "gone", 412: "precondition failed", 413: "content too large",
    415: "unsupported media type", 422: "unprocessable content", 423: "locked",
    428: "precondition required", 429: "too many requests", 500: "internal server error",
    501: "not implemented", 502: "bad gateway", 503: "service unavailable",
    504: "gateway timeout",
}
# Reason phrases of RFC 9110: the ones above, the other statuses' and older names (and
# the generic "Client Error" of python-requests).
REASON_PHRASES = (
    *REASON_OF.values(), "not acceptable", "proxy authentication required",
    "length required", "payload too large", "request entity too large", "uri too long",
    "range not satisfiable", "expectation failed", "misdirected request",
    "unprocessable entity", "failed dependency", "too early", "upgrade required",
    "request header fields too large", "unavailable for legal reasons",
    "http version not supported", "insufficient storage", "loop detected",
    "network authentication required", "client error", "server error",
)
# A 4xx/5xx followed by its reason ("503 Service Unavailable", "422 (Unprocessable
# Entity)", "429 TOO_MANY_REQUESTS") or by an error code ("403 permission_denied",
# "-> 429 rate_limited"). That it is not after a word character, `.`, `-`, `/`, `:`, `#`
# or `$` is checked on each match, few as they are, not at each digit of the paste.
_STATUS_THEN_WORDS = re.compile(
    r"([45][0-9]{2})[ \t]{1,3}+(?=[-:(\[a-z])(?:[-:(\[][ \t]{0,2}+)?"
    rf"(?:(?P<reason>{_trie(REASON_PHRASES, space='[ _-]?')})(?![a-z0-9])"
    r"|(?P<code>[a-z][a-z0-9]{0,40}+(?:[_-][a-z0-9]{1,40}+){1,8}+)(?![a-z0-9_-]))"
)
# An error code says what went wrong; an identifier after a number does not.
_ERROR_IN_CODE = re.compile(
    r"error|fail|denied|invalid|expired|forbidden|unauthori|not.?found|conflict|limit"
    r"|throttl|too.?many|unavailable|timeout|timed.?out|required|exceeded|exists|in.?use"
    r"|revoked|disabled|missing|rejected|blocked|locked|violation|insufficient"
    r"|not.?allowed|unsupported|unprocessable|bad.?(?:request|gateway)|quota|mismatch"
    r"|refused|unknown|no.?such|gone|unauthenticated|permission"
)
# Words before a number that make it something else than a status.
_NOT_STATUS_BEFORE = frozenset({"line", "port", "pid", "id", "no.", "version", "row", "col",
                                "column", "page", "step", "item", "build", "issue", "pr"})


def http_statuses(low: str, near: Callable[[str], Iterable[tuple[int, int]]] | None = None
                  ) -> list[int]:
    """HTTP statuses written in the (lowercased) paste, in the order they appear: any
    status of a status line, and 4xx/5xx written in words; `near`, when given, finds
    more as (status, offset) (beside a product's name: bot.triage.product)."""
    found: dict[int, int] = {}  # status -> first offset
    if len(low) < 16 and _BARE_STATUS.fullmatch(low.strip()):
        return [int(low.strip())]  # `/errcode 429`: a status asked about on its own
    if "http/" in low:
        for m in _STATUS_LINE.finditer(low):
            _first_at(found, int(m.group(1)), m.start(1))
    _keyword_statuses(low, found)
    _statuses_then_words(low, found)
    if "(" in low:
        for m in _STATUS_IN_PARENS.finditer(low):
            _first_at(found, int(m.group(1)), m.start(1))
    if ": " in low:
        for m in _STATUS_AFTER_NAME.finditer(low):
            name = _NAME_BEFORE.search(low, max(0, m.start() - 60), m.start())
            if name is not None and not _COUNTED_NAME.search(name.group()):
                _first_at(found, int(m.group(1)), m.start(1))
    for m in _STATUS_AS_WORD.finditer(low):
        words = low[max(0, m.start() - 12):m.start()].split()
        if not (m.group(2) == "s" and words and words[-1] in _DURATION_BEFORE):
            _first_at(found, int(m.group(1)), m.start(1))
    if near is not None:
        for status, offset in near(low):
            _first_at(found, status, offset)
    return sorted(found, key=found.__getitem__)


_BARE_STATUS = re.compile(r"[45][0-9][0-9]")
# A status told after the name of what failed, then a comma or a dash: "- scaivault_policy
# .ci_readers: 404, binding gone", "sub_19: 404 - gone"; not "limit: 500," (`_COUNTED_NAME`).
_STATUS_AFTER_NAME = re.compile(
    r":[ \t]{1,2}+([45][0-9][0-9])(?=[ \t]{0,2}+[,;\u2014\u2013]|[ \t]+-[ \t])")
_NAME_BEFORE = re.compile(r"[a-z0-9_.\])'\"`-]+$")  # searched in the 60 characters before
_COUNTED_NAME = re.compile(
    r"limit|max|min|size|count|timeout|port|ttl|len|total|rows|bytes|ms$|sec|retr|page"
    r"|interval|line|pid|version|batch|rate|quota|num|capacity|threshold|workers|conns")
# A status cited in parentheses: "doesn't exist (404)", "went stale (401, re-login fixed
# it)"; not "(404 items)" or "(500ms)".
_STATUS_IN_PARENS = re.compile(r"\(([45][0-9][0-9])(?:\)|,|;)")

# A status used as a word: "429s again", "it's been 429ing", "503'd"; not "sleep 500s".
# (The lookbehind follows the first digit: a pattern that opens with one is tried at every
# offset of the paste, one that opens with [45] only at those digits.)
_STATUS_AS_WORD = re.compile(r"([45](?<![\w.:=/-][45])[0-9][0-9])(s|'s|ing|ed|'d)\b")
_DURATION_BEFORE = frozenset({"timeout", "timeout:", "timeout=", "wait", "waited", "sleep",
                              "after", "in", "for", "every", "took", "ttl", "ttl:"})


def _first_at(found: dict[int, int], status: int, offset: int) -> None:
    if offset < found.get(status, offset + 1):
        found[status] = offset


def _keyword_statuses(low: str, found: dict[int, int]) -> None:
    """Each 4xx/5xx number of the paste, in order, is tried against `_KEYWORD_STATUS` at
    its place in the reversed paste; a status already found earlier is not tried again (a
    log repeats its `status=429`): a run of the regex over the whole reversed paste tries
    every digit of every timestamp. Past TRIES numbers that were no status (a run of
    bare numbers) the rest is read in that one run after all."""
    n = len(low)
    rev = ""
    tries = 0
    for c in _STATUS_DIGITS.finditer(low):
        start, end = c.start(), c.start() + 3
        status = int(low[start:end])
        if start >= found.get(status, n):
            continue  # already seen earlier: nothing to learn
        tries += 1
        rev = rev or low[::-1]
        if tries > _TRIES:
            for each in _KEYWORD_STATUS.finditer(rev):
                _keyword_status(low, each, found)
            return
        here = _KEYWORD_STATUS.match(rev, n - end)
        if here is not None:
            _keyword_status(low, here, found)


_TRIES = 1_000


def _keyword_status(low: str, m: re.Match[str], found: dict[int, int]) -> None:
    """A `_KEYWORD_STATUS` match of the reversed paste, kept when it is the status's
    first place and a verb's number is followed by what a status is followed by."""
    n = len(low)
    start, end = n - m.end(1), n - m.start(1)
    status = int(low[start:end])
    if start >= found.get(status, n):
        return  # already seen earlier: nothing to learn
    if (m.group("verb") or m.group("arrow")) and not _AFTER_VERB.match(low, end):
        return
    _first_at(found, status, start)


def _statuses_then_words(low: str, found: dict[int, int]) -> None:
    judged: dict[str, bool] = {}
    for m in _STATUS_THEN_WORDS.finditer(low):
        status = int(m.group(1))
        start = m.start(1)
        if start >= found.get(status, len(low)) or (
                start and (low[start - 1].isalnum() or low[start - 1] in "_.-/:#$")):
            continue
        code = m.group("code")
        if code is not None:
            if code not in judged:
                judged[code] = _ERROR_IN_CODE.search(code) is not None
            if not judged[code]:
                continue
        words = low[max(0, start - 12):start].split()
        if words and words[-1] in _NOT_STATUS_BEFORE:
            continue
        _first_at(found, status, start)


# --------------------------------------------------------------------------- rate-limit headers

# A header name's end, its separator and the value's opening, in every way they are
# written: `Retry-After: 30`, `"retry-after":"15"`, `'Retry-After': '60'`, `retry_after=15`,
# `Retry-After:[10]` (Go), `Retry-After:"90"` (Java), `\"retry-after\":\"15\"` (JSON in a
# string), `"retry-after" => "30"` (Ruby), `"name": "Retry-After", "value": "30"` (HAR,
# Node's Headers map), `*Retry-After*: 30` (Slack bold), and a REPL's lookup with the
# value printed on the next line (`>>> r.headers['Retry-After']` then `'60'`), and
# `Retry-After 30` cited in a sentence (a bare number of seconds, not "2 minutes").
_BARE_SECONDS = (r"(?=[0-9]{1,12}(?:[ \t]?s(?:ec\w{0,4})?)?"
                 r"(?:[ \t]{0,2}(?:[,;.)\n]|$)|[ \t]{1,2}(?![mhdw0-9])))")
_GLUE = (
    r"(?:\\?[\"'`]|\*{1,2})?[ \t]{0,8}+"
    r"(?::|=>?|(?<=[-_]after[ \t])" + _BARE_SECONDS
    + r"|,[ \t]{0,4}+\\?[\"']?value\\?[\"']?[ \t]{0,4}+:|[\])][ \t]{0,8}+\r?\n)"
    r"[ \t]{0,8}+(?:\[\]string\{|\[|\(|\\?[\"'`]){0,2}+[ \t]{0,2}+"
)
_SECONDS = r"([0-9]{1,12}(?:\.[0-9]{1,6})?)(?:[ \t]?(ms|millis|milliseconds?|s|secs?|seconds?))?"
_HTTP_DATE = (r"((?:[a-z]{3},[ \t]{1,2})?[0-9]{1,2}[ \t-][a-z]{3}[ \t-][0-9]{2,4}[ \t]"
              r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[ \t]{1,2}(?:gmt|utc|ut|z|[+-][0-9]{4}))?)")
_VALUE_END = r"(?![0-9a-z_]|\.[0-9])"

_RETRY_AFTER = re.compile(
    r"retry[-_]?after(?:[-_]?(ms|millis|milliseconds|seconds|secs|sec))?"
    + _GLUE + rf"(?:{_SECONDS}|{_HTTP_DATE}){_VALUE_END}"
)
_RATE_LIMIT = re.compile(
    r"rate[-_]?limit[-_](limit|remaining|reset)" + _GLUE
    + rf"([0-9]{{1,16}})(?:\.[0-9]{{1,6}})?{_VALUE_END}"
)
_DATE = re.compile(r"date" + _GLUE + _HTTP_DATE + _VALUE_END)
# A header name may carry the prefix a proxy or a tracer gives it: nginx's
# `upstream_http_retry_after`, OpenTelemetry's `http.response.header.retry-after`.
_NAME_PREFIXES = ("http_", "http-", "header.", "headers.", "header_", "headers_")
_MS_UNITS = frozenset({"ms", "millis", "millisecond", "milliseconds"})
MAX_DELAY_S = 10**8  # a Retry-After above ~3 years is not a delay


def rate_headers(text: str, low: str) -> RateHeaders:
    """Retry-After, X-RateLimit-* and Date wherever they are written, the first value of
    each. `text` is the paste, `low` its ASCII-lowercased copy."""
    retry_after_s: int | None = None
    retry_at: datetime | None = None
    if "retry" in low:
        for m in _RETRY_AFTER.finditer(low):
            if not _name_starts(low, m.start()):
                continue
            if m.group(2) is not None:
                retry_after_s = _seconds(m.group(2), m.group(3) or m.group(1))
                if retry_after_s is None:
                    continue
            else:
                retry_at = http_date(text[m.start(4):m.end(4)])
                if retry_at is None:
                    continue
            break
    limits: dict[str, int] = {}
    if "limit" in low:
        for m in _RATE_LIMIT.finditer(low):
            kind = m.group(1)
            if kind in limits or not _name_starts(low, m.start()):
                continue
            value = int(m.group(2))
            if kind == "reset" and value >= 10**11:
                value //= 1000  # epoch milliseconds
            limits[kind] = value
            if len(limits) == 3:
                break
    response_date = None
    if "date" in low:
        for m in _DATE.finditer(low):
            if _name_starts(low, m.start()):
                response_date = http_date(text[m.start(1):m.end(1)])
                if response_date is not None:
                    break
    rate_limit = RateLimit(**limits) if limits else None
    return RateHeaders(retry_after_s, retry_at, response_date, rate_limit)


def _name_starts(low: str, i: int) -> bool:
    """A header name starts at `i`: not in the middle of a word (`max_retry_after`), but
    perhaps after `x-` or a proxy's prefix."""
    if low.endswith(("x-", "x_"), 0, i):
        i -= 2
    if i == 0:
        return True
    before = low[i - 1]
    if not (before.isalnum() or before in "_-"):
        return True
    return low.endswith(_NAME_PREFIXES, max(0, i - 16), i)


def _seconds(number: str, unit: str | None) -> int | None:
    value = float(number)
    if unit in _MS_UNITS:
        value /= 1000
    seconds = math.ceil(value)
    return seconds if seconds < MAX_DELAY_S else None


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`) as an aware datetime, else None."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # with socket, calendar...: only for a date

    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
