"""Secrets out of any text before it is stored, logged, posted or uploaded.

Each secret becomes `[REDACTED:<kind>#<n>]`; one `Redactor` gives the same secret
the same placeholder across all its calls, so a whole escalation packet reads
consistently. Key and header names stay visible (`password=[REDACTED:password#1]`,
`Authorization: Bearer [REDACTED:authorization#1]`: the auth scheme is kept).

Kinds: token, jwt, password, secret, private_key, cookie, authorization, custom.
Kept on purpose: request ids, error codes (`token_expired`, `AUTH_EXPIRED`), key
names (`secret_type`), paths, documentation placeholders (`<token>`, `$SV_TOKEN`)
and earlier placeholders, so redacting twice changes nothing.

Every scanner is one pass of a compiled regex with bounded quantifiers (or a
linear walk), so a 1 MB paste stays linear. Spans from all scanners are merged
(overlaps join, the most specific kind names the result) and replaced in one pass.

Known limits: a secret needs context (a key, header, flag, URL, or a known shape
such as xoxb-/ghp_/AKIA/eyJ); a bare random string in prose ("my password is x")
stays. A header value after `Authorization:`/`Cookie:` runs to the line end (or the
closing quote), so anything after it on that line goes too. After a secret key
with `: `, prose is taken as the value ("password: must be 12 chars" loses "must").
`secret=<name or path>` (e.g. `db-root`, `apps/crm/smtp`) is kept: vaults name secrets.
"""

from __future__ import annotations

import re
import string
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["KINDS", "PLACEHOLDER_RE", "RedactionResult", "Redactor", "redact", "redact_for_log"]

KINDS = ("token", "jwt", "password", "secret", "private_key", "cookie", "authorization",
         "custom")
# When spans overlap, the lowest number names the merged span.
_PRIORITY = {"private_key": 0, "authorization": 1, "cookie": 2, "jwt": 3, "password": 4,
             "secret": 5, "token": 6, "custom": 7}

PLACEHOLDER_RE = re.compile(r"\[REDACTED:(?P<kind>[a-z_]{1,32})#(?P<n>[0-9]{1,9})\]")

# Values that only stand for a secret: docs placeholders, env references, masks.
_STAND_IN = re.compile(
    r"\[(?i:REDACTED|FILTERED|HIDDEN|MASKED)[^\]\n]{0,40}\]|<[^<>\n]{1,80}>|&lt;.{1,80}?&gt;"
    r"|\$\{[^}\n]{1,80}\}|\$[A-Z_][A-Z0-9_]{0,80}|\{\{.{0,80}?\}\}|%\(?\w{0,40}\)?s"
    r"|[*xX•.…]{3,}"
    r"|(?i:null|none|nil|true|false|undefined|redacted|hidden|masked|filtered)",
)
_CODE_SHAPE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_ERROR_WORDS = frozenset(
    "expired invalid missing required found denied revoked malformed mismatch limited exceeded "
    "unauthorized forbidden error failed rejected disabled locked unknown unsupported not bad "
    "no wrong too".split())


def _stand_in(value: str) -> bool:
    return not value.strip() or _STAND_IN.fullmatch(value.strip()) is not None


def _looks_like_code(value: str) -> bool:
    """`token_expired`, `AUTH_INVALID`: an error code, not a secret."""
    return (_CODE_SHAPE.fullmatch(value) is not None
            and not _ERROR_WORDS.isdisjoint(value.lower().split("_")))


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    kind: str
    value: str  # identity for numbering: the same value gets the same placeholder


# ---------------------------------------------------------------- key names ----
_SCHEME_KEY_WORDS = {"private", "signing", "encryption", "master", "tls", "ssh", "ssl"}


@lru_cache(maxsize=2048)
def _key_kind(key: str) -> str | None:
    """The kind of secret a key holds, or None. Decided by the key's last word:

    password: ...password, ...passwd, pwd, pass, passphrase, passcode (not shell `PWD`)
    secret:   ...secret, <...secret...>_key|_value, private_key, signing_key, encryption_key
    token:    ...token, ...apikey, api_key, access_key, auth_key
    authorization / cookie: authorization, proxy_authorization, cookie, set_cookie
    So `secret_type`, `secret_not_found`, `token_expired`, `max_tokens` are not secrets.
    """
    if key in ("PWD", "OLDPWD"):
        return None
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()
    parts = [w for w in re.split(r"[^a-z0-9]+", words) if w]
    if not parts:
        return None
    last, before = parts[-1], parts[:-1]
    if last == "authorization":
        return "authorization"
    if last in ("cookie", "cookies"):
        return "cookie"
    if last.endswith(("password", "passwd")) or last in ("pwd", "pass", "passphrase",
                                                          "passcode"):
        return "password"
    if last.endswith(("secret", "secretkey", "privatekey")):
        return "secret"
    if last in ("key", "value") and before and (
            any(w.endswith("secret") for w in before) or before[-1] in _SCHEME_KEY_WORDS):
        return "secret"
    if last.endswith(("token", "apikey")):
        return "token"
    if last == "key" and before and before[-1] in ("api", "access", "auth"):
        return "token"
    return None


# ------------------------------------------------------------------ scanners ----
_KEY_HINT = r"(?=[A-Za-z0-9_.-]{0,64}?(?i:pass|pwd|secret|token|key|auth|cookie))"
_KV_RE = re.compile(
    r"(?:(?P<kq>\\?[\"'])|(?<![A-Za-z0-9_.\-\\$]))"
    r"(?=[A-Za-z0-9_.-]{1,64}(?:\\?[\"'])?[ \t]{0,8}[:=])" + _KEY_HINT
    + r"(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,63})(?(kq)(?P=kq))"
    r"[ \t]{0,8}(?:=>|[:=])[ \t]{0,8}"
    r"(?:\"(?P<dq>(?:[^\"\\\n]|\\.){0,65536})\""
    r"|'(?P<sq>[^'\n]{0,65536})'"
    r"|\\\"(?P<eq>[^\"\n]{0,65536}?)\\\""
    r"|[\"'](?P<open>[^\"'\n]{1,65536})"  # a quote never closed: a cut-off paste
    # `&` ends a bare value only where a query parameter follows (`?a=x&b=y`, `&amp;b=y`):
    # `password=Tr0ub4dor&3` is one secret.
    r"|(?P<bare>[^\s\"'`<>&\\](?:[^\s\"'`<>&]|&(?!(?:amp;)?[A-Za-z_][\w.-]{0,63}=)"
    r"){0,65535}))")
_FLAG_RE = re.compile(
    r"(?<![A-Za-z0-9_-])--?" + _KEY_HINT + r"(?P<key>[A-Za-z][A-Za-z0-9_-]{1,40})"
    r"(?:=|[ \t]{1,8})(?:\"(?P<dq>[^\"\n]{0,8192})\"|'(?P<sq>[^'\n]{0,8192})'"
    r"|(?P<bare>[^\s\"'`-][^\s\"'`]{0,8191}))")
_HEADER_NAMES = r"(?:proxy-authorization|authorization|set-cookie|cookie)[ \t]{0,8}:[ \t]{0,8}"
_HEADER_RE = re.compile(  # quoted (`-H "Cookie: a=b"`) up to the quote, else to the line end
    rf"(?i)\"(?P<n1>{_HEADER_NAMES})(?P<v1>[^\r\n\"]{{1,16384}})"
    rf"|'(?P<n2>{_HEADER_NAMES})(?P<v2>[^\r\n']{{1,16384}})"
    rf"|(?<![A-Za-z0-9_-])(?P<n3>{_HEADER_NAMES})(?P<v3>(?![\"'])[^\r\n]{{1,16384}})")
_AUTH_SCHEMES = frozenset(
    "basic bearer digest token negotiate ntlm hoba mutual oauth aws aws4-hmac-sha256 bot jwt "
    "apikey api-key key sso-key ssws dpop privatetoken vapid gnap sharedkey signature "
    "pat".split())
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_URL_CRED_RE = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/@?#\"'<>]{0,256}"
    r":(?P<v>[^\s/?#\"'<>]{1,256})@")
_CURL_USER_RE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:-u|--user)(?:[ \t]{1,8}|=)[\"']?[^\s:\"']{1,256}"
    r":(?P<v>[^\s\"']{1,1024})")
_QUOTED_P_RE = re.compile(
    r"(?<![A-Za-z0-9_-])-p(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\")")
_SHAPE_RE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:xox[abposre]-[A-Za-z0-9-]{10,1024}|xapp-[0-9]-[A-Za-z0-9-]{10,1024}"
    r"|gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255}"
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,255}"
    r"|whsec_[A-Za-z0-9+/=]{16,255}|AIza[A-Za-z0-9_-]{30,60}|glpat-[A-Za-z0-9_-]{20,255}"
    r"|npm_[A-Za-z0-9]{30,255})")
_WEBHOOK_RE = re.compile(
    r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9/_-]{10,512})")
_BEARER_RE = re.compile(
    r"(?<![A-Za-z0-9_-])(?i:bearer)[ \t]{1,8}(?P<v>[A-Za-z0-9\-._~+/]{8,8192}=*)")
_JWT_RE = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,8192}")
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----")
_PEM_STOP = re.compile(r"\n[ \t]*\r?\n|\"|```")
_PEM_HEADER_LINE = re.compile(r"[ \t]*[A-Za-z][A-Za-z-]{0,30}:[ \t]")
_SECRET_PATH = re.compile(r"[a-z0-9_.*-]+(?:/[a-z0-9_.*-]+)+/?")
_SECRET_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
_TRAILING = ",;.)]}"


def _credential(value: str) -> tuple[int, int] | None:
    """Where the credential sits in an Authorization value (the scheme stays visible)."""
    off = 0
    scheme = re.match(r"([A-Za-z][A-Za-z0-9_-]{0,30})[ \t]+(?=\S)", value)
    if scheme and scheme[1].lower() in _AUTH_SCHEMES:
        off = scheme.end()
    rest = value[off:].rstrip()
    if not rest:
        return None
    first = rest.split(None, 1)[0].rstrip(_TRAILING)
    if _stand_in(first):  # `Bearer <token> header`, `Bearer $TOKEN"`
        return None
    cred = first if _TOKEN68.fullmatch(first) else rest
    if _stand_in(cred) or (off == 0 and cred.lower() in _AUTH_SCHEMES):
        return None
    return off, off + len(cred)


def _value_hit(kind: str, key: str, start: int, value: str, quoted: bool) -> _Hit | None:
    if not quoted:
        if value[:1] in "{[" or _stand_in(value):  # a nested structure: its keys are scanned
            return None
        value = value.rstrip(_TRAILING)
    if kind == "authorization":
        span = _credential(value)
        return span and _Hit(start + span[0], start + span[1], kind, value[span[0]:span[1]])
    value = value.rstrip() if kind == "cookie" else value
    if _stand_in(value) or _looks_like_code(value):
        return None
    if kind == "secret" and (_SECRET_PATH.fullmatch(value) or (
            key.lower() == "secret" and _SECRET_NAME.fullmatch(value))):
        return None  # a vault names its secrets: `secret=db-root`, `"secret": "apps/crm/smtp"`
    return _Hit(start, start + len(value), kind, value)


def _scan_kv(text: str) -> Iterator[_Hit]:
    pos = 0
    while m := _KV_RE.search(text, pos):
        kind = _key_kind(m["key"])
        group = next(g for g in ("dq", "sq", "eq", "open", "bare") if m[g] is not None)
        hit = None
        if kind is not None and not (group == "bare" and kind in ("authorization", "cookie")):
            # (a bare authorization or cookie value is a header line: _scan_headers takes it)
            hit = _value_hit(kind, m["key"], m.start(group), m[group], group != "bare")
        if hit:
            yield hit
            pos = m.end(group)  # a closing quote may open the next key: `"a":"x""b":"y"`
        else:  # not a secret: its value (from its opening quote) may hold `key=value` pairs
            pos = m.start(group) - {"dq": 1, "sq": 1, "open": 1, "eq": 2}.get(group, 0)


def _scan_flags(text: str) -> Iterator[_Hit]:
    for m in _FLAG_RE.finditer(text):
        kind = _key_kind(m["key"])
        if kind is None:
            continue
        group = next(g for g in ("dq", "sq", "bare") if m[g] is not None)
        hit = _value_hit(kind, m["key"], m.start(group), m[group], group != "bare")
        if hit:
            yield hit
    for m in _QUOTED_P_RE.finditer(text):
        group = "sq" if m["sq"] is not None else "dq"
        if not _stand_in(m[group]):
            yield _Hit(m.start(group), m.end(group), "password", m[group])


def _scan_headers(text: str) -> Iterator[_Hit]:
    pos = 0
    while m := _HEADER_RE.search(text, pos):
        i = next(i for i in "123" if m["v" + i] is not None)
        kind = "authorization" if "auth" in m["n" + i].lower() else "cookie"
        hit = _value_hit(kind, kind, m.start("v" + i), m["v" + i], True)
        if hit:
            yield hit
        pos = hit.end if hit else m.end()  # other headers may follow on the same line


def _scan_credentials(text: str) -> Iterator[_Hit]:
    for regex in (_URL_CRED_RE, _CURL_USER_RE):
        for m in regex.finditer(text):
            if not _stand_in(m["v"]):
                yield _Hit(m.start("v"), m.end("v"), "password", m["v"])


def _scan_shapes(text: str) -> Iterator[_Hit]:
    for m in _SHAPE_RE.finditer(text):
        yield _Hit(m.start(), m.end(), "token", m[0])
    for m in _WEBHOOK_RE.finditer(text):
        yield _Hit(m.start("v"), m.end("v"), "token", m["v"])
    for m in _JWT_RE.finditer(text):
        yield _Hit(m.start(), m.end(), "jwt", m[0])
    for m in _BEARER_RE.finditer(text):
        value = m["v"]
        if value.endswith("=") and text[m.end():m.end() + 1] == '"':
            continue  # an auth-param: `Bearer error="invalid_token"`
        mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
        if (any(c.isdigit() for c in value) or (len(value) >= 16 and mixed)) and not (
                _looks_like_code(value)):
            yield _Hit(m.start("v"), m.end("v"), "token", value)


def _scan_pem(text: str) -> Iterator[_Hit]:
    """Whole PEM blocks; a BEGIN with no END runs to a blank line, a quote or a fence."""
    begins = list(_PEM_BEGIN.finditer(text))
    ends = list(_PEM_END.finditer(text))
    end_starts = [e.start() for e in ends]
    for i, begin in enumerate(begins):
        limit = begins[i + 1].start() if i + 1 < len(begins) else len(text)
        j = bisect_left(end_starts, begin.end())
        if j < len(ends) and ends[j].start() < limit:
            stop, body_end = ends[j].end(), ends[j].start()
        else:
            stop = limit
            for s in _PEM_STOP.finditer(text, begin.end(), limit):
                line_start = text.rfind("\n", 0, s.start()) + 1
                if s[0].startswith("\n") and _PEM_HEADER_LINE.match(text, line_start, s.start()):
                    continue  # `DEK-Info: ...` is followed by a blank line, then the body
                stop = s.start()
                break
            while stop > begin.end() and text[stop - 1].isspace():
                stop -= 1
            body_end = stop
        body = re.sub(r"\s+|\\n", "", text[begin.end():body_end])
        yield _Hit(begin.start(), stop, "private_key", begin[0] + body)


# Each scanner with the (lowercase) words it needs: skipped when none is in the text.
_SCANNERS: tuple[tuple[Callable[[str], Iterator[_Hit]], tuple[str, ...]], ...] = (
    (_scan_pem, ("private key",)), (_scan_headers, ("authorization", "cookie")),
    (_scan_kv, ()), (_scan_flags, ()), (_scan_credentials, ("://", "-u", "--user")),
    (_scan_shapes, ()))


def _scan_custom(text: str, patterns: Sequence[re.Pattern[str]]) -> Iterator[_Hit]:
    """Caller patterns: the group named `secret`, else group 1, else the whole match."""
    for pattern in patterns:
        group: int | str = ("secret" if "secret" in pattern.groupindex
                            else 1 if pattern.groups else 0)
        for m in pattern.finditer(text):
            start, end = m.span(group)
            if start < end and not _stand_in(m[group]):
                yield _Hit(start, end, "custom", m[group])


def _merge(hits: list[_Hit], marks: list[tuple[int, int]]) -> list[_Hit]:
    """Drop spans touching existing placeholders; join overlaps under the best kind."""
    mark_starts = [s for s, _ in marks]

    def on_mark(h: _Hit) -> bool:
        i = bisect_right(mark_starts, h.start) - 1
        return (i >= 0 and marks[i][1] > h.start) or (
            i + 1 < len(marks) and marks[i + 1][0] < h.end)

    merged: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end, _PRIORITY[h.kind])):
        if on_mark(h):
            continue
        if merged and h.start < merged[-1].end:
            last = merged[-1]
            best = h if _PRIORITY[h.kind] < _PRIORITY[last.kind] else last
            merged[-1] = _Hit(last.start, max(last.end, h.end), best.kind, best.value)
        else:
            merged.append(h)
    return merged


_GLUE = frozenset(string.ascii_letters + string.digits + "_.-$\\+")


def _glued(text: str, h: _Hit) -> bool:
    return text[h.end:h.end + 1] in _GLUE or text[h.start - 1:h.start] in _GLUE


# ---------------------------------------------------------------------- API ----
@dataclass(frozen=True)
class RedactionResult:
    text: str
    count: int  # occurrences replaced
    kinds: dict[str, int] = field(default_factory=dict, hash=False)  # distinct secrets per kind


@dataclass
class Redactor:
    """Stateful: the same secret always maps to the same placeholder."""

    extra_patterns: Sequence[str | re.Pattern[str]] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), init=False, repr=False)
    _names: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _kinds: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _last: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _count: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                  compare=False)

    def __post_init__(self) -> None:
        self._patterns = tuple(p if isinstance(p, re.Pattern) else re.compile(p)
                               for p in self.extra_patterns)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by its placeholder."""
        out, glued = self._pass(text)
        for _ in range(3):
            # A placeholder glued to a word (`-----END ...-----xoxb-...`) ends in `]`, which
            # can start a match the word's own `-` prevented: go again until nothing changes.
            if not glued:
                break
            out, glued = self._pass(out)
        return out

    def _pass(self, text: str) -> tuple[str, bool]:
        if not text:
            return text, False
        low = text.lower()
        hits = [h for scan, needles in _SCANNERS
                if not needles or any(n in low for n in needles) for h in scan(text)]
        hits.extend(_scan_custom(text, self._patterns))
        marks = list(PLACEHOLDER_RE.finditer(text)) if "[REDACTED:" in text else []
        out: list[str] = []
        pos = 0
        with self._lock:
            for mark in marks:  # numbers already in the text are taken: no new secret reuses one
                kind, n = mark["kind"], int(mark["n"])
                self._last[kind] = max(self._last.get(kind, 0), n)
            if not hits:
                return text, False
            glued = False
            for h in _merge(hits, [mark.span() for mark in marks]):
                out.append(text[pos:h.start])
                out.append(self._placeholder(h.kind, h.value))
                glued = glued or _glued(text, h)
                pos = h.end
                self._count += 1
        out.append(text[pos:])
        return "".join(out), glued

    def _placeholder(self, kind: str, value: str) -> str:
        name = self._names.get(value)
        if name is None:
            self._kinds[kind] = self._kinds.get(kind, 0) + 1
            self._last[kind] = n = self._last.get(kind, 0) + 1
            name = self._names[value] = f"[REDACTED:{kind}#{n}]"
        return name

    @property
    def count(self) -> int:
        """Occurrences replaced so far."""
        return self._count

    @property
    def kinds(self) -> dict[str, int]:
        """Distinct secrets seen so far, per kind."""
        return dict(self._kinds)


def redact(text: str, extra_patterns: Sequence[str | re.Pattern[str]] = ()) -> RedactionResult:
    """One-shot redaction with a fresh `Redactor`."""
    redactor = Redactor(extra_patterns)
    out = redactor.redact(text)
    return RedactionResult(out, redactor.count, redactor.kinds)


_LOG_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


def redact_for_log(text: str, limit: int = 200) -> str:
    """Redacted, on one line, at most `limit` characters (cut with "…"): for log lines."""
    flat = _LOG_SPACE.sub(" ", redact(text).text).strip()
    if len(flat) <= limit:
        return flat
    return flat[:max(limit - 1, 0)] + "…"
