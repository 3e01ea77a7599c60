"""Secrets a format's structure announces: YAML block scalars, XML elements and
entries, private key blocks (PEM, SSH2, PGP, PuTTY .ppk) and connection strings.

Each reads its structure (an indent, a closing tag, an END line) so the whole secret
goes, not only its first line or word, with bounded loops and regexes (linear time).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from bot.redact.keys import key_kind
from bot.redact.values import Hit, password_hit, value_hit

__all__ = ["BLOCK_SCALAR", "block_scalar", "scan_connection_strings", "scan_private_keys",
           "scan_xml_entries", "xml_hit"]

# ---------------------------------------------------------- YAML block scalars ----
BLOCK_SCALAR = re.compile(r"[|>][-+]?[0-9]?[-+]?")  # the indicator: `|`, `>-`, `|+2`
_REST_OF_LINE_BLANK = re.compile(r"[ \t]{0,256}(?:#[^\n]{0,1024})?\r?(?:\n|$)")


def block_scalar(text: str, key_start: int, value_end: int) -> tuple[int, int] | None:
    """The lines of a YAML block scalar (`password: |` / `>-`) after its indicator."""
    rest = _REST_OF_LINE_BLANK.match(text, value_end)
    if not rest or not rest[0].endswith("\n"):
        return None
    line_start = text.rfind("\n", 0, key_start) + 1
    indent = len(text[line_start:key_start]) - len(text[line_start:key_start].lstrip(" \t"))
    pos, first, last = rest.end(), -1, -1
    for _ in range(4096):
        if pos >= len(text):
            break
        nl = text.find("\n", pos, pos + 65536)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end]
        body = line.lstrip(" \t")
        if body.strip():
            if len(line) - len(body) <= indent:
                break
            if first < 0:
                first = pos + len(line) - len(body)
            last = pos + len(line.rstrip())
        if nl < 0:
            break
        pos = nl + 1
    return (first, last) if first >= 0 else None


# --------------------------------------------------------------------- XML ----
_XML_RE = re.compile(
    r"<(?P<key>[A-Za-z_][\w.:-]{0,127})(?:[ \t][^<>]{0,512})?>[ \t\r\n]{0,256}"
    r"(?:<!\[CDATA\[(?P<cd>[^\]]{1,8192})\]\]>|(?P<v>[^<\s](?:[^<]{0,16382}[^<\s])?))"
    r"[ \t\r\n]{0,256}</(?P=key)[ \t]{0,8}>")


def xml_hit(text: str, lt: int) -> Hit | None:
    """`<password>x</password>`, `<ns:Password><![CDATA[x]]></ns:Password>` at `lt`."""
    # The next `<` (none is in the tag or the text) closes the element, named as it is
    # opened, or opens its CDATA: told first, as a failing _XML_RE tries every shorter text.
    nxt = text.find("<", lt + 1)
    closes = text.startswith("</", nxt) and text[nxt + 2:nxt + 3] == text[lt + 1:lt + 2]
    if nxt < 0 or not (closes or text.startswith("<![CDATA[", nxt)):
        return None
    m = _XML_RE.match(text, lt)
    if not m:
        return None
    verdict = key_kind(m["key"].rpartition(":")[2])
    if verdict is None:
        return None
    group = "cd" if m["cd"] is not None else "v"
    return value_hit(verdict[0], m["key"], m.start(group), m[group], True, verdict[1])


# `<entry key="password">x</entry>` (Java XML properties)
_XML_ENTRY_RES = tuple(re.compile(
    label + r"=[\"'](?P<key>[a-z_][\w.-]{0,127})[\"'][^<>\n]{0,128}?>"
    r"(?P<v>[^<\s](?:[^<\n]{0,4094}[^<\s])?)</") for label in ("key", "name"))


def scan_xml_entries(text: str, low: str) -> Iterator[Hit]:
    """`<entry key="password">x</entry>`, `<add name="ApiKey">x</add>`: the element's text."""
    for m in (m for regex in _XML_ENTRY_RES for m in regex.finditer(low)):
        verdict = key_kind(text[m.start("key"):m.end("key")])
        if verdict:
            hit = value_hit(verdict[0], m["key"], m.start("v"), text[m.start("v"):m.end("v")],
                            True, verdict[1])
            if hit:
                yield hit


# ----------------------------------------------------------- private keys ----
_PEM_BEGIN = re.compile(r"----(?:-|[ ])BEGIN [A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_PEM_END = re.compile(r"----(?:-|[ ])END [A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_PPK_BEGIN = re.compile(r"PuTTY-User-Key-File-[0-9]{1,2}:")
_PPK_END = re.compile(r"Private-(?:MAC|Hash):[ \t]{0,8}[0-9A-Fa-f]{0,256}")
_PEM_STOP = re.compile(r"\n[ \t]*\r?\n|\"|```")
_PEM_HEADER_LINE = re.compile(r"[ \t]*[A-Za-z][A-Za-z-]{0,30}:[ \t]")


def scan_private_keys(text: str, low: str) -> Iterator[Hit]:
    """Whole private key blocks (PEM, SSH2, PGP, PuTTY .ppk); a block with no end runs to
    a blank line, a quote or a fence."""
    for begin_re, end_re in ((_PEM_BEGIN, _PEM_END), (_PPK_BEGIN, _PPK_END)):
        begins = list(begin_re.finditer(text))
        if not begins:
            continue
        ends = list(end_re.finditer(text))
        end_starts = [e.start() for e in ends]
        for i, begin in enumerate(begins):
            limit = begins[i + 1].start() if i + 1 < len(begins) else len(text)
            j = bisect_left(end_starts, begin.end())
            if j < len(ends) and ends[j].start() < limit:
                stop = ends[j].end()
            else:
                stop = _truncated_stop(text, begin.end(), limit)
            body = re.sub(r"\s+|\\n", "", text[begin.end():stop])
            yield Hit(begin.start(), stop, "private_key", begin[0] + body)


def _truncated_stop(text: str, body_start: int, limit: int) -> int:
    stop = limit
    for s in _PEM_STOP.finditer(text, body_start, limit):
        line_start = text.rfind("\n", 0, s.start()) + 1
        if line_start >= body_start and _PEM_HEADER_LINE.match(text, line_start, s.start() + 1):
            continue  # `DEK-Info: ...` is followed by a blank line, `Comment: "..."` by more
        stop = s.start()
        break
    while stop > body_start and text[stop - 1].isspace():
        stop -= 1
    return stop


# ---------------------------------------------------------- connection strings ----
# `k=v;` connection strings (`AccountKey=..;`, ODBC `PWD={..};`) are key/value pairs: see
# assignments. Here the ones a key does not announce: URL userinfo and Oracle's.
_URL_CRED_RE = re.compile(r"://(?P<u>[^\s:/@?#\"'<>]{0,256}):(?P<v>[^\s/?\"'<>]{1,256})@")
_ORACLE_RE = re.compile(  # scott/tiger@//host:1521/svc, scott/tiger@host:1521/svc
    r"/(?P<v>[^\s/@\"':]{1,64})@(?://[\w.-]{1,253}|[\w.-]{1,253}:\d{2,5}/)")
_ORACLE_USER = re.compile(r"(?:^|(?<=[\s\"'=:(]))[A-Za-z][\w$#]{0,29}$")


def scan_connection_strings(text: str, low: str) -> Iterator[Hit]:
    """The password of `postgres://u:pa#ss@h/db` and of Oracle's `scott/tiger@//host/svc`."""
    hits: list[Hit | None] = []
    for m in _URL_CRED_RE.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            hits.append(password_hit(m.start("v"), m["v"]))
    for m in _ORACLE_RE.finditer(text):
        if _ORACLE_USER.search(text, max(0, m.start() - 31), m.start()):
            hits.append(password_hit(m.start("v"), m["v"]))
    yield from (h for h in hits if h)
