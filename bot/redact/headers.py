"""Credentials HTTP carries in headers: Authorization and Proxy-Authorization (the
scheme stays visible), Cookie and Set-Cookie, and `Bearer x` wherever it appears.

A header value runs to the line end (or an escaped one, `\\n`, in a JSON string), or to
the closing quote when the header sits in a string (`-H "Cookie: a=b"`), so every cookie
of the line goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.redact.values import Hit, looks_like_code, value_hit

__all__ = ["scan_bearer", "scan_headers"]

_HEADER_RES = (re.compile(r"authorization[ \t]{0,8}:[ \t]{0,8}"),  # on the lowercase copy
                re.compile(r"cookie[ \t]{0,8}:[ \t]{0,8}"))
# To the line end, which in an escaped string (a JSON log line) is a `\n` escape.
_TO_DQ = re.compile(r"(?:[^\r\n\"\\]|\\(?!\\{0,8}[nr])){1,16384}")
_TO_SQ = re.compile(r"(?:[^\r\n'\\]|\\(?!\\{0,8}[nr])){1,16384}")
_TO_EOL = re.compile(r"(?:[^\r\n\\]|\\(?!\\{0,8}[nr])){1,16384}")


def scan_headers(text: str, low: str) -> Iterator[Hit]:
    """A quoted header (`-H "Cookie: a=b"`) up to the quote, else to the line end."""
    for regex in _HEADER_RES:
        yield from _scan_header(text, low, regex)


def _scan_header(text: str, low: str, regex: re.Pattern[str]) -> Iterator[Hit]:
    pos = 0
    while m := regex.search(low, pos):
        pos = m.end()  # other headers may follow on the same line
        name = m.start()
        for prefix in ("proxy-", "set-"):
            if low.endswith(prefix, 0, name):
                name -= len(prefix)
        before = text[name - 1] if name else ""
        if before in ("\"", "'"):
            v = (_TO_DQ if before == "\"" else _TO_SQ).match(text, m.end())
        elif before.isalnum() or before in ("_", "-") or text[m.end():m.end() + 1] in "\"'":
            continue
        else:
            v = _TO_EOL.match(text, m.end())
        if not v:
            continue
        value = v[0]
        for q in "\"'":  # the closing quote of a string the header sits in
            if value.endswith(q) and value.count(q) % 2:
                value = value[:-1]
        kind = "authorization" if "auth" in m[0] else "cookie"
        hit = value_hit(kind, kind, m.end(), value, True)
        if hit:
            yield hit
            pos = hit.end


_BEARER_RE = re.compile(r"bearer[ \t]{1,8}")  # on the lowercase copy
_BEARER_VALUE = re.compile(r"[A-Za-z0-9\-._~+/]{8,8192}=*")


def scan_bearer(text: str, low: str) -> Iterator[Hit]:
    """`Bearer x` anywhere (a log line, an error message): x when it looks like a token."""
    for m in _BEARER_RE.finditer(low):
        if m.start() and (low[m.start() - 1].isalnum() or low[m.start() - 1] in "_-"):
            continue
        v = _BEARER_VALUE.match(text, m.end())
        if not v:
            continue
        value = v[0]
        if value.endswith("=") and text[v.end():v.end() + 1] == "\"":
            continue  # an auth-param: `Bearer error="invalid_token"`
        mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
        if (any(c.isdigit() for c in value) or (len(value) >= 16 and mixed)) and not (
                looks_like_code(value)):
            yield Hit(v.start(), v.end(), "token", value)
