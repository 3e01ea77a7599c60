"""Is this value a secret? The verdicts every scanner shares, and the span they report.

A scanner finds where a value sits (after a key, a header, a flag); these functions say
whether it is a credential or something that only stands for one (`<token>`, `$TOKEN`,
`***`, `var.db_password`), names one (a file path, a vault path) or is triage context
(an error code such as `token_expired`). One place, so every syntax judges alike.
Also the reading helpers the scanners share: the lowercase copy, the lines worth reading,
and the in-place verdicts for keys glued in one run (see "glued key runs" below).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

__all__ = ["KINDS", "Hit", "Tails", "bare_value_hit", "lines_matching", "lines_with",
           "looks_like_code", "lowercase", "new_hit", "password_hit", "plain_value_hit",
           "stand_in", "token_like", "value_hit"]

KINDS = ("token", "jwt", "password", "secret", "private_key", "cookie", "authorization",
         "custom")


class Hit(NamedTuple):
    """A secret found: its span in the scanned text, its kind, and its value. A named
    tuple: made once per secret, so it is cheap to make (key spam makes many)."""

    start: int
    end: int
    kind: str
    value: str  # identity for numbering: the same value gets the same placeholder
    # Found in a decoded view (a JSON string's content), where replacing it was judged to
    # change nothing around it: the escapes beside it in the text do not call for a pass.
    quiet: bool = False


# `Hit(start, end, kind, value, quiet)` made in C, without the NamedTuple's own `__new__`
# (a Python function): for the scanners that make one hit per key of key spam.
new_hit = partial(tuple.__new__, Hit)


def lowercase(text: str) -> str:
    """A lowercase copy with the same length (so spans carry over to `text`)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return text.encode("latin-1", "replace").lower().decode("latin-1")


def lines_with(low: str, needles: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """(start, end) of each line whose lowercase copy `low` holds one of `needles`: for
    regexes that match within a line and cannot match without a needle, so that they read
    only those lines (an alternation without a literal start is slow on every character)."""
    return _lines_with_one(low, needles[0]) if len(needles) == 1 else _lines_with_any(
        low, needles)


def _lines_with_any(low: str, needles: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    never = len(low)  # a needle not found again is never looked for again
    nexts = dict.fromkeys(needles, -1)
    pos = 0
    while True:
        for needle, at in nexts.items():
            if at < pos:
                at = low.find(needle, pos)
                nexts[needle] = never if at < 0 else at
        at = min(nexts.values())
        if at >= never:
            return
        start = low.rfind("\n", pos, at) + 1 or pos
        end = low.find("\n", at)
        end = len(low) if end < 0 else end
        yield start, end
        pos = end + 1


def _lines_with_one(low: str, needle: str) -> Iterator[tuple[int, int]]:
    """`_lines_with_any` for one needle (most callers have one; a JSON log has a line of
    it per message)."""
    pos = 0
    while (at := low.find(needle, pos)) >= 0:
        start = low.rfind("\n", pos, at) + 1 or pos
        end = low.find("\n", at)
        end = len(low) if end < 0 else end
        yield start, end
        pos = end + 1


def lines_matching(text: str, anchor: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of `text` where `anchor` (which never spans lines) matches."""
    pos = 0
    while m := anchor.search(text, pos):
        start = text.rfind("\n", pos, m.start()) + 1 or pos
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        yield start, end
        pos = end + 1


# Values that only stand for a secret: docs placeholders, env references, masks.
_REFERENCES = ("var", "local", "locals", "module", "data", "each", "self", "vars", "params",
               "props", "this", "settings", "config", "secrets", "env", "ENV", "process.env",
               "os.environ", "System.getenv")
_STAND_IN_WORDS = ("null|none|nil|true|false|undefined|redacted|hidden|masked|filtered|yes|no"
                   "|on|off|required|optional|empty|unset")
_STAND_IN = re.compile(
    r"\[(?i:REDACTED|FILTERED|HIDDEN|MASKED)[^\]\n]{0,40}\]|<[^<>\n]{1,80}>|&lt;.{1,80}?&gt;"
    r"|\$\{\{.{0,80}?\}\}|\$\{[^}\n]{1,80}\}|\$\([^)\n]{1,80}\)|\$[A-Z_][A-Z0-9_]{0,80}"
    r"|%[A-Za-z_][A-Za-z0-9_]{0,80}%|\{\{.{0,80}?\}\}|%\(?\w{0,40}\)?s|<%=?.{0,80}?%>"
    r"|[*xX•.…]{3,}"
    r"|(?i:" + _STAND_IN_WORDS + ")"
    # references in code and config: `var.db_password`, `os.environ["X"]`, `!Ref DbPass`
    r"|(?:" + "|".join(map(re.escape, _REFERENCES)) + r")[.\[(][\w.\[\]\"'()-]{0,120}"
    r"|[A-Za-z_][\w.]{0,80}\((?:[\w., =-]{0,80}\))?"
    r"|!(?:Ref|GetAtt|Sub|ImportValue|If|Join|Select|FindInMap)(?:[ \t]\S{1,80})?",
)
_CODE_SHAPE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_ERROR_WORDS = frozenset(
    "expired invalid missing required found denied revoked malformed mismatch limited exceeded "
    "unauthorized forbidden error failed rejected disabled locked unknown unsupported not bad "
    "no wrong too".split())
# A value that names a file holding the secret, not the secret.
_FILE_EXTENSIONS = (".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".jks", ".keystore",
                    ".ppk", ".asc", ".gpg", ".json", ".yaml", ".yml", ".txt", ".env")
_FILE_PATH = re.compile(
    r"(?:~|\.{1,2}|/(?:etc|var|run|home|opt|usr|tmp|mnt|srv|data|app|root|secrets?|vault|keys?"
    r"|certs?|ssl|tls|config|conf|workspace|Users|private))/[\w.@+-]{0,128}"
    r"(?:/[\w.@+-]{1,128}){0,32}/?"
    r"|[A-Za-z]:\\[\w .@+\\-]{0,256}"
    r"|[\w.@+-]{0,128}(?:/[\w.@+-]{1,128}){0,32}"
    r"\.(?:" + "|".join(ext[1:] for ext in _FILE_EXTENSIONS) + ")")


def _file_path(text: str, start: int = 0, end: int | None = None) -> bool:
    """`_FILE_PATH.fullmatch(text, start, end)`: a path has a `/` or `\\`, or ends with an
    extension (checked first, in C: most values have none of these)."""
    end = len(text) if end is None else end
    return (text.find("/", start, end) >= 0 or text.find("\\", start, end) >= 0
            or text.endswith(_FILE_EXTENSIONS, start, end)) and (
        _FILE_PATH.fullmatch(text, start, end) is not None)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PATH_WORDS = re.compile(r"[a-z0-9._-]{1,128}(?:/[a-z0-9._-]{1,128}){1,32}/?")
_FILE_NAME = re.compile(r"/[\w-]{1,128}\.[a-z]{2,4}$")
_WORDS = re.compile(r"(?:[A-Z]{0,3}+[a-z]++)++")  # `OAuthBearer`, `CreatedAt`: words


# What _STAND_IN can match in a value of ASCII letters and digits only (the rest of it
# needs punctuation): a mask of x's or a word.
_PLAIN_STAND_IN = re.compile(r"[xX]{3,}|(?i:" + _STAND_IN_WORDS + ")")
_LONGEST_WORD = max(map(len, _STAND_IN_WORDS.split("|")))


def _plain(value: str) -> bool:
    """ASCII letters and digits only: no path, no code (`_`), no stand-in but a word."""
    return value.isascii() and value.isalnum()


def stand_in(value: str) -> bool:
    """Empty, or only standing for a secret: `<token>`, `$TOKEN`, `***`, `null`, `var.x`."""
    value = value.strip()
    return not value or _stand_in_at(value, 0, len(value))


# Every branch of _STAND_IN but three starts with one of these; of those three, the words
# are short, a call holds `(` and a reference starts with one of _REFERENCES.
_STAND_IN_FIRST = frozenset("[<&$%{*xX•.…!")


def _stand_in_at(text: str, start: int, end: int) -> bool:
    """`_STAND_IN.fullmatch(text, start, end)`, with what no stand-in can be (most secrets:
    long, no `(`, no sign first) told at once, in C."""
    return (end - start <= _LONGEST_WORD or text[start] in _STAND_IN_FIRST
            or text.find("(", start, end) >= 0 or text.startswith(_REFERENCES, start, end)
            ) and _STAND_IN.fullmatch(text, start, end) is not None


def looks_like_code(value: str) -> bool:
    """`token_expired`, `AUTH_INVALID`: an error code, not a secret."""
    return (_CODE_SHAPE.fullmatch(value) is not None
            and not _ERROR_WORDS.isdisjoint(value.lower().split("_")))


def token_like(value: str, quoted: bool = False) -> bool:
    """Random enough to be a credential: for keys that also hold ordinary values. Decided
    by the value's shape (which characters are digits, capitals, small letters), so values
    that differ only in their letters and digits (`S3cr3t41x`, `S3cr3t42x`) are judged once."""
    if not 8 <= len(value) <= 8192:
        return False
    shape = value.translate(_SHAPE)
    found = _by_shape.get((shape, quoted))
    if found is None:
        found = _token_like(shape, quoted)
        if len(_by_shape) >= _MAX_SHAPES:
            _by_shape.clear()
        _by_shape[shape, quoted] = found
    return found


# Every ASCII digit, capital and small letter to one of each: what token_like looks at.
_SHAPE = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                       "0" * 10 + "A" * 26 + "a" * 26)
_MAX_SHAPES = 65_536
_by_shape: dict[tuple[str, bool], bool] = {}


def _token_like(value: str, quoted: bool) -> bool:
    if "://" in value or _DATE.match(value):
        return False
    if value.isdigit() or value[0] in "/~" or (not quoted and any(c.isspace() for c in value)):
        return False
    if "/" in value and (_PATH_WORDS.fullmatch(value) or _FILE_NAME.search(value)):
        return False  # `uploads/2026/02/report.pdf`
    digit = any(c.isdigit() for c in value)
    upper = any(c.isupper() for c in value)
    lower = any(c.islower() for c in value)
    symbol = any(not c.isalnum() and c not in "-_. " for c in value)
    return ((digit and (upper or lower)) or (symbol and (upper or lower or digit))
            or (upper and lower and len(value) >= 10 and not _WORDS.fullmatch(value)))


def _credential(value: str) -> tuple[int, int] | None:
    """Where the credential sits in an Authorization value (the scheme stays visible)."""
    off = 0
    scheme = re.match(r"([A-Za-z][A-Za-z0-9_-]{0,30})[ \t]+(?=\S)", value)
    if scheme and scheme[1].lower() in _AUTH_SCHEMES:
        off = scheme.end()
    rest = value[off:].rstrip()
    if not rest:
        return None
    word = rest.split(None, 1)[0]
    first = word.rstrip(_TRAILING)
    if stand_in(first) or stand_in(word):  # `Bearer <token> header`, `Bearer $TOKEN"`
        return None
    cred = first if _TOKEN68.fullmatch(first) else rest
    if stand_in(cred) or (off == 0 and cred.lower() in _AUTH_SCHEMES):
        return None
    return off, off + len(cred)


_AUTH_SCHEMES = frozenset(
    "basic bearer digest token negotiate ntlm hoba mutual oauth aws aws4-hmac-sha256 bot jwt "
    "apikey api-key key sso-key ssws dpop privatetoken vapid gnap sharedkey signature "
    "pat flyv1".split())
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SECRET_PATH = re.compile(r"[a-z0-9_.*-]+(?:/[a-z0-9_.*-]+)+/?")
_SECRET_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
_TRAILING = ",;.)]}"
_SHORT = 64  # a bare value this short is copied and judged by value_hit()


def value_hit(kind: str, key: str, start: int, value: str, quoted: bool,
              weak: bool = False) -> Hit | None:
    """The secret in `value` (at `start`) that `key` holds, or None when the value is
    no secret: a stand-in, an error code, a file path, a vault's name for a secret."""
    if _plain(value) and kind not in ("authorization", "cookie"):
        return plain_value_hit(kind, start, value, weak)
    judged = False  # stand_in(value) is known False
    if not quoted:
        if stand_in(value):
            return None
        trimmed = value.rstrip(_TRAILING)
        judged, value = len(trimmed) == len(value), trimmed
    if kind == "authorization":
        span = _credential(value)
        return span and Hit(start + span[0], start + span[1], kind, value[span[0]:span[1]])
    if kind == "cookie":
        value = value.rstrip()
        if all(stand_in(c.partition("=")[2] or c) for c in value.split(";")):
            return None  # `Cookie: session=<session-id>`
    if ((weak and not token_like(value, quoted)) or (not judged and stand_in(value))
            or looks_like_code(value)):
        return None
    if kind == "secret" and (_SECRET_PATH.fullmatch(value) or (
            key.lower() in ("secret", "secrets") and _SECRET_NAME.fullmatch(value))):
        return None  # a vault names its secrets: `secret=db-root`, `"secret": "apps/crm/smtp"`
    if kind != "cookie" and _file_path(value):
        return None  # `private_key: /etc/ssl/private/app.key`
    if key.upper() in ("PWD", "OLDPWD") and value[:1] in "/~":
        return None  # the shell's working directory, not ODBC's PWD=
    return new_hit((start, start + len(value), kind, value, False))


def plain_value_hit(kind: str, start: int, value: str, weak: bool) -> Hit | None:
    """`value_hit` for a value of ASCII letters and digits (`_plain`) and a kind other than
    authorization and cookie: the checks there, for such a value, come to these two (one
    regex, not five: key spam makes many values to judge)."""
    # (a stand-in word is short; a mask of x's starts with one)
    maybe_stand_in = len(value) <= _LONGEST_WORD or value[0] in "xX"
    if (maybe_stand_in and _PLAIN_STAND_IN.fullmatch(value)) or (
            weak and not _plain_token_like(value)):
        return None
    return new_hit((start, start + len(value), kind, value, False))


def _plain_token_like(value: str) -> bool:
    """`token_like(value)` for a value of ASCII letters and digits, where its tests come to
    these: letters and digits mixed, or long mixed-case letters that are not words."""
    if not 8 <= len(value) <= 8192:
        return False
    if value.isalpha():
        return (len(value) >= 10 and not value.islower() and not value.isupper()
                and not _WORDS.fullmatch(value))
    return not value.isdigit()


def password_hit(start: int, value: str) -> Hit | None:
    """A password given by its place (a flag, a URL, a command), unless it stands in."""
    return None if stand_in(value) else Hit(start, start + len(value), "password", value)


# ------------------------------------------------------------ glued key runs ----
# `k=k=k=...`: each key's bare value runs to the same end, the end of the run. Copying and
# scanning every value to that end would be quadratic (40 kB of `key=` took 11 s); the
# verdicts below read values in place and remember what lies before each end.
_FILE_NAME_SPAN = 140  # a _FILE_NAME match is at most 134 characters long


def bare_value_hit(kind: str, key: str, text: str, start: int, end: int, weak: bool,
                   tails: Tails) -> Hit | None:
    """`value_hit(kind, key, start, text[start:end], False, weak)` for a bare value, read in
    place: a bare value holds no white space (so strip() changes nothing), and nothing is
    copied unless it is a secret."""
    if end - start <= _SHORT or kind in ("authorization", "cookie"):
        return value_hit(kind, key, start, text[start:end], False, weak)
    if _stand_in_at(text, start, end):
        return None
    end = max(start, tails.trimmed(end))  # value.rstrip(_TRAILING)
    if end == start or (weak and not tails.token_like(start, end)):
        return None
    if _stand_in_at(text, start, end) or (
            _CODE_SHAPE.fullmatch(text, start, end)
            and not _ERROR_WORDS.isdisjoint(text[start:end].lower().split("_"))):
        return None
    if kind == "secret" and (_SECRET_PATH.fullmatch(text, start, end) or (
            key.lower() in ("secret", "secrets") and _SECRET_NAME.fullmatch(text, start, end))):
        return None
    if _file_path(text, start, end):
        return None
    if key.upper() in ("PWD", "OLDPWD") and text[start] in "/~":
        return None
    return new_hit((start, end, kind, text[start:end], False))


class Tails:
    """What lies before the end of the bare values of one text: where trailing punctuation
    starts, the last `://` and `/`, a file name ending there. Found once per end (for the
    first, leftmost value ending there), then shared by the values of the later keys."""

    __slots__ = ("_file", "_last", "_lo", "_raw_end", "_text", "_trim", "_value_end")

    def __init__(self, text: str) -> None:
        self._text = text
        self._raw_end = self._value_end = -1
        self._trim = self._lo = 0
        self._last: dict[str, int] = {}
        self._file = -1

    def trimmed(self, end: int) -> int:
        """Where `text[:end].rstrip(_TRAILING)` ends."""
        if end != self._raw_end:
            trim = end
            while trim > 0 and self._text[trim - 1] in _TRAILING:
                trim -= 1
            self._raw_end, self._trim = end, trim
        return self._trim

    def _facts(self, start: int, end: int) -> None:
        if end != self._value_end or start < self._lo:
            text = self._text
            self._value_end, self._lo = end, start
            self._last = {sub: text.rfind(sub, start, end) for sub in ("://", "/")}
            found = _FILE_NAME.search(text, max(0, end - _FILE_NAME_SPAN), end)
            self._file = found.start() if found else -1

    def token_like(self, start: int, end: int) -> bool:
        """`token_like(text[start:end])` for a bare value (no white space in it)."""
        text = self._text
        if not 8 <= end - start <= 8192:
            return False
        self._facts(start, end)
        if self._last["://"] >= start or _DATE.match(text, start, end):
            return False
        i = start
        while i < end and text[i].isdigit():
            i += 1
        if i == end or text[start] in "/~":
            return False
        if self._last["/"] >= start and (
                _PATH_WORDS.fullmatch(text, start, end) or self._file >= start or (
                    end - start < _FILE_NAME_SPAN and _FILE_NAME.search(text, start, end))):
            return False
        return _mixed(text, start, end)


def _mixed(text: str, start: int, end: int) -> bool:
    """The character test of token_like() on `text[start:end]`, stopping as soon as it
    holds (a later key's operator settles it, so glued keys are not read to the end)."""
    digit = upper = lower = symbol = False
    for i in range(start, end):
        c = text[i]
        digit = digit or c.isdigit()
        upper = upper or c.isupper()
        lower = lower or c.islower()
        symbol = symbol or (not c.isalnum() and c not in "-_. ")
        if (digit and (upper or lower)) or (symbol and (upper or lower or digit)):
            return True
    return upper and lower and end - start >= 10 and not _WORDS.fullmatch(text, start, end)
