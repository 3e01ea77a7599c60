"""Passwords a command line gives by position, not by key: `curl -u user:pw`,
`mysql -pX`, `sshpass -p X`, `docker login -p X`, `redis-cli -a X`, `-p'x'`, SQL's
`IDENTIFIED BY 'x'`, `.netrc` lines and `sqlplus scott/tiger`.

Flags named for a secret (`--password x`, `--api-key=x`) are key/value pairs: see
assignments. Regexes with a literal start and bounded runs (linear time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.redact.values import Hit, lines_with, password_hit

__all__ = ["scan_cli"]

_CURL_USER_RE = re.compile(
    r"-(?:u|-user)(?:[ \t]{1,8}|=)(?:'[^'\n:]{0,256}:(?P<v1>[^'\n]{1,1024})'"
    r"|\"[^\"\n:]{0,256}:(?P<v2>[^\"\n]{1,1024})\"|\"[^\"\n:]{0,256}\":\"(?P<v3>[^\"\n]{1,1024})\""
    r"|'[^'\n:]{0,256}':'(?P<v4>[^'\n]{1,1024})'"
    r"|(?P<u>[^\s:\"']{0,256}):(?:'(?P<v5>[^'\n]{1,1024})'|\"(?P<v6>[^\"\n]{1,1024})\""
    r"|(?P<v7>[^\s\"']{1,1024})))")
_QUOTED_P_RE = re.compile(r"-p(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\")")
_ARGS = r"(?:[ \t]{1,8}[^\s]{1,256}){0,16}?[ \t]{1,8}"
_CLI_PASSWORD_RES = (
    # mysql -uroot -pS3cret (the value is glued to -p; `-p` alone prompts)
    re.compile(r"(?i:mysql|mariadb)[\w.-]{0,16}" + _ARGS
               + r"-p(?P<bare>[^\s'\"-][^\s'\"]{0,1023})"),
    re.compile(r"sshpass(?:[ \t]{1,8}-[a-oq-zA-Z][^\s]{0,64}){0,4}[ \t]{1,8}-p[ \t]{0,8}"
               r"(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s'\"]{1,1024}))"),
    re.compile(r"(?:docker|podman|buildah|skopeo|helm|nerdctl|oras)(?:[ \t]{1,8}registry)?"
               r"[ \t]{1,8}login" + _ARGS + r"-p[ \t]{1,8}"
               r"(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s'\"-][^\s'\"]{0,1023}))"),
    re.compile(r"redis-cli" + _ARGS + r"-a[ \t]{1,8}"
               r"(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s'\"-][^\s'\"]{0,1023}))"),
)
_SQL_BY_RE = re.compile(  # on the lowercase copy: IDENTIFIED [WITH plugin] BY
    r"identified[ \t]{1,8}(?:with[ \t]{1,8}[\w'\"-]{1,64}[ \t]{1,8})?by[ \t]{1,8}"
    r"(?:password[ \t]{1,8})?")
_SQL_VALUE = re.compile(
    r"'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s;'\"]{1,256})")
_NETRC_RE = re.compile(  # on the lowercase copy
    r"machine[ \t]{1,8}[^\s]{1,253}(?:[ \t\r\n]{1,16}(?:login|account)[ \t]{1,8}[^\s]{1,253})"
    r"{0,2}[ \t\r\n]{1,16}password[ \t]{1,8}")
_ORACLE_CMD_RES = tuple(re.compile(  # on the lowercase copy: sqlplus scott/tiger[@alias]
    command + r"(?:\.exe)?(?:[ \t]{1,8}-\w{1,10}){0,3}"
    r"[ \t]{1,8}[\"']?[a-z][\w$#]{0,29}/(?P<v>[^\s/@\"']{1,128})")
    for command in ("sqlplus", "rman", "expdp", "impdp", "sqlldr", "dgmgrl"))


# Characters that (?i:...) matches to an ASCII letter of `mysql`/`mariadb` though their
# lowercase form is not that letter: with one in the text, every line is read.
_CASE_FOLDS = ("\u0130", "\u0131", "\u017f")  # İ ı ſ


def _matches(regex: re.Pattern[str], text: str, low: str,
             needles: tuple[str, ...]) -> Iterator[re.Match[str]]:
    """`regex.finditer(text)` when the text holds a needle (none: always), for a regex
    matching within one line: read only on the lines that hold one."""
    if needles and not any(n in low for n in needles):
        return
    if not needles or any(c in text for c in _CASE_FOLDS):
        yield from regex.finditer(text)
    else:
        for start, end in lines_with(low, needles):
            yield from regex.finditer(text, start, end)


def _quoted_or_bare(m: re.Match[str]) -> tuple[int, str] | None:
    for g in ("sq", "dq", "bare"):
        if m.groupdict().get(g) is not None:
            return m.start(g), m[g]
    return None


def _glued_left(text: str, pos: int) -> bool:
    return pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "_-")


def scan_cli(text: str, low: str) -> Iterator[Hit]:
    """Passwords given on a command line, in SQL or in a .netrc file."""
    hits: list[Hit | None] = []
    for m in _CURL_USER_RE.finditer(text):
        g = next(f"v{i}" for i in range(1, 8) if m[f"v{i}"] is not None)
        if not _glued_left(text, m.start()) and not (
                g == "v7" and m[g].isdigit() and (m["u"] or "").isdigit()):  # -u 1000:1000
            hits.append(password_hit(m.start(g), m[g]))
    for m in _QUOTED_P_RE.finditer(text):
        if not _glued_left(text, m.start()):
            group = "sq" if m["sq"] is not None else "dq"
            hits.append(password_hit(m.start(group), m[group]))
    for needles, regex in zip((("mysql", "mariadb"), (), ("login",), ()), _CLI_PASSWORD_RES,
                              strict=True):
        for m in _matches(regex, text, low, needles):
            found = _quoted_or_bare(m)
            hits.append(found and password_hit(*found))
    for regex in (_SQL_BY_RE, _NETRC_RE):
        for m in regex.finditer(low):
            v = _SQL_VALUE.match(text, m.end())
            found = v and _quoted_or_bare(v)
            hits.append(found and password_hit(*found))
    for regex in _ORACLE_CMD_RES:
        for m in regex.finditer(low):
            if not (m.start() and low[m.start() - 1].isalnum()):
                hits.append(password_hit(m.start("v"), text[m.start("v"):m.end("v")]))
    yield from (h for h in hits if h)
