"""The span engine: run the scanners, cut out earlier placeholders, merge overlaps.

Every scanner is one pass of a compiled regex with bounded or possessive quantifiers (or
a bounded walk), most starting with a literal (the words run on a lowercased copy of the
same length), so a paste is read in C, in linear time: 1 MB of mixed pastes in ~0.13 s
(./dev bench redact). What a hostile paste could make quadratic is worked out once: the
end of a run of glued keys (`k=k=k=`, Runs), each YAML document's `kind:`; a regex
without a literal start reads only the lines holding its words (lines_with). Escaped
text is read decoded too (find_hits: Slack's entities, JSON strings), each depth of
strings as one text. Spans from all scanners are merged (overlaps join, the most
specific kind names the result); bot.redact.redactor numbers and replaces them in one
pass.
"""

from __future__ import annotations

import json
import re
import string
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from operator import itemgetter, le, lt, sub

from bot.redact.assignments import scan_compare, scan_k8s_secret, scan_keys, scan_name_value
from bot.redact.commands import scan_cli
from bot.redact.headers import scan_bearer, scan_headers
from bot.redact.shapes import scan_shapes
from bot.redact.structured import (
    scan_connection_strings,
    scan_private_keys,
    scan_xml_entries,
)
from bot.redact.values import Hit, lines_with, lowercase, new_hit, stand_in

__all__ = ["PRIORITY", "SCANNERS", "View", "changes_context", "find_hits", "merge",
           "outside_marks"]

# When spans overlap, the lowest number names the merged span.
PRIORITY = {"private_key": 0, "authorization": 1, "cookie": 2, "jwt": 3, "password": 4,
            "secret": 5, "token": 6, "custom": 7}
# Each scanner with the (lowercase) words it needs: skipped when none is in the text.
SCANNERS: tuple[tuple[Callable[[str, str], Iterator[Hit]], tuple[str, ...]], ...] = (
    (scan_private_keys, ("private key", "putty-user-key-file")),
    (scan_headers, ("authorization", "cookie")),
    (scan_bearer, ("bearer",)),
    (scan_keys, ()),
    (scan_name_value, ("value",)),
    (scan_xml_entries, ("</",)),
    (scan_compare, ("==", "!=")),
    (scan_cli, ()),
    (scan_connection_strings, ("@",)),
    (scan_k8s_secret, ("secret",)),
    (scan_shapes, ()),
)


def find_hits(text: str, patterns: Sequence[re.Pattern[str]]) -> list[Hit]:
    """Every span any scanner (or caller pattern) finds, overlapping and unsorted.

    Scanners read text as people wrote it: a paste Slack delivered (`&lt;password&gt;`,
    `=&gt;`, `a&amp;b`) is read through Slack's three entities, and a JSON string holding
    escaped text (`"message":"password = \\"x\\""`, a `\\n`-joined YAML) is read again
    as its decoded content (to MAX_JSON_DEPTH strings deep). Spans found in a decoded view
    map back to whole escapes of the text, so a placeholder never splits one."""
    if "&" in text:
        view = View.decode(text, _ENTITY, _entity_char)
        if view is not None:
            return [view.back(h) for h in _find(view.text, patterns)]
    return _find(text, patterns)


def _find(text: str, patterns: Sequence[re.Pattern[str]]) -> list[Hit]:
    """The scanners over `text`, then over the decoded content of its escaped JSON strings
    (all of one depth read as one text, so a log of 10,000 JSON lines is read twice, not
    10,000 times), to MAX_JSON_DEPTH."""
    hits, strings = _scan(text, patterns)
    layer: _Layer | None = None
    parent = text
    for _ in range(MAX_JSON_DEPTH):
        views = _json_views(parent, strings)
        if not views:
            break
        layer = _Layer(views, layer)
        found, strings = _scan(layer.text, patterns)
        for h in found:
            back = layer.back(h.start, h.end)
            if back is not None:
                # Beside an escape in the text, but judged where it was found (an escape
                # inside it may leave its string with none, read raw next time: not quiet).
                start, end = back
                quiet = (not changes_context(layer.text, h.start, h.end)
                         and text.find("\\", start, end) < 0)
                hits.append(new_hit((start, end, h.kind, h.value, quiet)))
        parent = layer.text
    return hits


def _scan(text: str, patterns: Sequence[re.Pattern[str]]
          ) -> tuple[list[Hit], list[tuple[int, int]]]:
    """Every scanner over `text`, and its JSON strings holding escapes (found only on the
    lines that have a backslash), which the caller reads decoded. Here such a string reads
    as a random-looking stand-in of its length: a secret key's value still (all of it
    goes), and nothing is read twice. No span may split an escape."""
    strings = [] if "\\" not in text else [
        m.span("s") for start, end in lines_with(text, ("\\",))
        for m in _JSON_STRING.finditer(text, start, end)
        if 8 <= m.end("s") - m.start("s") <= _MAX_JSON_STRING and "\\" in m["s"]]
    read = _masked(text, strings) if strings else text
    low = lowercase(read)
    hits = [h for scan, needles in SCANNERS
            if not needles or any(n in low for n in needles) for h in scan(read, low)]
    hits.extend(scan_custom(text, patterns))
    if not strings and "\\" not in text:
        return hits, strings
    return _clear_of_escapes(text, read, hits, strings), strings


def _clear_of_escapes(text: str, read: str, hits: list[Hit], strings: list[tuple[int, int]]
                      ) -> list[Hit]:
    """Hits of `read` as spans of `text`: none splitting an escape or running out of the
    escaped string it starts in (`_whole_escapes`), and one over a string `read` masks
    holding what the text holds there, not the stand-in."""
    starts = [start for start, _ in strings]
    kept: list[Hit] = []
    for h in hits:
        start, end = h[0], h[1]
        i = bisect_right(starts, start) - 1  # the string starting last at or before `h`
        if (text[start - 1:start] == "\\" or text[end - 1:end] == "\\"
                or (i >= 0 and start < strings[i][1] < end)):
            whole = _whole_escapes(text, h, strings)
            if whole is not None:
                kept.append(whole)
        elif read is text:
            kept.append(h)
        else:
            i = bisect_left(starts, end) - 1  # the string starting last before its end
            kept.append(h if i < 0 or strings[i][1] <= start
                        else new_hit((start, end, h.kind, text[start:end], False)))
    return kept


def _json_views(text: str, strings: list[tuple[int, int]]) -> list[View]:
    """`View.decode` of each escaped JSON string of `text` that holds an escape: those
    without `\\u` decoded by one `json.loads` of them all (a log of 10,000 JSON lines
    makes one call, not 10,000), each alone if one of them is no valid JSON."""
    raw = [text[start:end] for start, end in strings]
    plain = [i for i, s in enumerate(raw) if "\\u" not in s]
    decoded: dict[int, str] = {}
    if plain:
        try:
            found = json.loads("[" + ",".join(f'"{raw[i]}"' for i in plain) + "]", strict=False)
        except ValueError:
            found = None
        if isinstance(found, list) and len(found) == len(plain):
            decoded = dict(zip(plain, found, strict=True))
    views: list[View] = []
    for i, (start, _) in enumerate(strings):
        value = decoded.get(i)
        if value is None:
            view = View.decode(raw[i], _JSON_ESCAPE, _json_char, offset=start)
        else:
            view = View(value, raw[i], _JSON_ESCAPE, start) if len(value) < len(raw[i]) else None
        if view is not None:
            views.append(view)
    return views


def _masked(text: str, strings: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    pos = 0
    for start, end in strings:
        pieces += (text[pos:start], (_STAND_IN * ((end - start) // 2 + 1))[:end - start])
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


_STAND_IN = "a1"  # token-like (a weak key's value), no known shape, no stand-in word


_SEPARATOR = "\n\x00\n"  # between the strings of one depth: no span reads across it


class _Layer:
    """The decoded JSON strings of one depth, as one text, and the way back from it."""

    def __init__(self, views: list[View], parent: _Layer | None) -> None:
        self.views = views
        self.parent = parent
        self.starts: list[int] = []
        at = 0
        for view in views:
            self.starts.append(at)
            at += len(view.text) + len(_SEPARATOR)
        self.text = _SEPARATOR.join(view.text for view in views)

    def back(self, start: int, end: int) -> tuple[int, int] | None:
        """The span [start, end) of this text (cut at the end of its string) in the
        original text."""
        i = bisect_right(self.starts, start) - 1
        view = self.views[i]
        base = self.starts[i]
        end = min(end, base + len(view.text))
        if start >= end:
            return None  # in a separator
        up = view.position(start - base), view.position(end - base)
        return self.parent.back(*up) if self.parent is not None else up


def _whole_escapes(text: str, h: Hit, strings: list[tuple[int, int]]) -> Hit | None:
    """`h` kept clear of escapes it would split (a placeholder after a backslash, or one
    that took a backslash without what it escapes, would break the JSON at some depth),
    and inside the JSON string it starts in (a header value runs to the line end, which in
    an escaped string is the end of the whole JSON line). What it gives up, the string's
    decoded view covers."""
    start, end = h.start, h.end
    i = bisect_right(strings, (start, len(text) + 1)) - 1
    if i >= 0 and strings[i][0] <= start < strings[i][1] < end:
        end = strings[i][1]
    while start < end and text[start - 1:start] == "\\":
        start += 1
    while end > start and text[end - 1] == "\\":
        end -= 1
    if (start, end) == (h.start, h.end):
        return h
    return Hit(start, end, h.kind, text[start:end]) if start < end else None


# Slack sends `&`, `<` and `>` in message text as these entities, and nothing else.
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
# A JSON string (not one starting right after a backslash: that quote is escaped); its
# escapes. The unrolled loop reads each character once; a line with no closing quote
# fails once (every later quote on it is escaped).
_JSON_STRING = re.compile(r'(?<!\\)"(?P<s>[^"\\\n]*+(?:\\.[^"\\\n]*+)*+)"')
_JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[\"\\/bfnrt])")
_JSON_CHARS = {"\"": "\"", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
               "t": "\t"}
_MAX_JSON_STRING = 1 << 20
MAX_JSON_DEPTH = 3  # a JSON log line quoted in an error envelope pasted as a JSON string


def _entity_char(m: re.Match[str]) -> str:
    return _ENTITIES[m[0]]


def _json_char(m: re.Match[str]) -> str:
    escape = m[0]
    return chr(int(escape[2:], 16)) if escape[1] == "u" else _JSON_CHARS[escape[1]]


class View:
    """A text with its escapes decoded, each to one character, and the way back: a span
    of the view is the span of the text that holds the same characters and escapes. The
    way back is worked out when first asked (most views hold no secret)."""

    __slots__ = ("_at", "_escape", "_extra", "_source", "offset", "text")

    def __init__(self, text: str, source: str, escape: re.Pattern[str], offset: int) -> None:
        self.text = text
        self.offset = offset  # where the decoded text starts in the original
        self._source, self._escape = source, escape
        self._at: list[int] | None = None  # view positions of the decoded characters
        self._extra: list[int] = []  # characters the escapes up to each added, cumulated

    @classmethod
    def decode(cls, text: str, escape: re.Pattern[str], char: Callable[[re.Match[str]], str],
               offset: int = 0) -> View | None:
        """`text` with each match of `escape` replaced by `char(match)`; None: none found."""
        if escape is _JSON_ESCAPE and "\\u" not in text:
            try:  # in C; \u escapes (surrogate pairs make one character of two) by hand
                decoded = json.loads(f'"{text}"', strict=False)
            except ValueError:
                decoded = None
            if isinstance(decoded, str):
                return cls(decoded, text, escape, offset) if len(decoded) < len(text) else None
        if escape is _ENTITY:  # &lt; and &gt; first: `&amp;lt;` reads `&lt;`
            decoded = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        else:
            decoded = escape.sub(char, text)
        return cls(decoded, text, escape, offset) if len(decoded) < len(text) else None

    def position(self, pos: int) -> int:
        """Where the character at view position `pos` starts in the original (and, for
        `pos` at the end of a span, where the span ends: after the escape it came from)."""
        if self._at is None:  # (in C, escape by escape: a view per JSON log line)
            found = list(self._escape.finditer(self._source))
            starts = list(map(_MATCH_START, found))
            # what the escapes up to each added (one of n characters reads as one)
            self._extra = list(map(sub, accumulate(map(sub, map(_MATCH_END, found), starts)),
                                   range(1, len(found) + 1)))
            # where each escape's character is in the view: its start, less what the
            # escapes before it added
            self._at = list(map(sub, starts, [0, *self._extra]))
        i = bisect_left(self._at, pos)
        return self.offset + pos + (self._extra[i - 1] if i else 0)

    def back(self, h: Hit) -> Hit:
        return Hit(self.position(h.start), self.position(h.end), h.kind, h.value)


def scan_custom(text: str, patterns: Sequence[re.Pattern[str]]) -> Iterator[Hit]:
    """Caller patterns: the group named `secret`, else group 1, else the whole match."""
    for pattern in patterns:
        group: int | str = ("secret" if "secret" in pattern.groupindex
                            else 1 if pattern.groups else 0)
        for m in pattern.finditer(text):
            start, end = m.span(group)
            if start < end and not stand_in(m[group]):
                yield Hit(start, end, "custom", m[group])


def outside_marks(text: str, hits: list[Hit], marks: list[tuple[int, int]]) -> list[Hit]:
    """Hits with the parts that are earlier placeholders cut out: what is left between
    them is still redacted (so a second pass finds nothing new)."""
    if not marks:
        return hits
    mark_starts = [s for s, _ in marks]
    out: list[Hit] = []
    for h in hits:
        i = max(bisect_right(mark_starts, h.start) - 1, 0)
        if not (i < len(marks) and marks[i][0] < h.end and (
                marks[i][1] > h.start or (i + 1 < len(marks) and marks[i + 1][0] < h.end))):
            out.append(h)
            continue
        pos = h.start
        pieces: list[tuple[int, int]] = []
        while i < len(marks) and marks[i][0] < h.end:
            ms, me = marks[i]
            if me > pos:
                if ms > pos:
                    pieces.append((pos, ms))
                pos = me
            i += 1
        if pos < h.end:
            pieces.append((pos, h.end))
        for a, b in pieces:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if any(c.isalnum() for c in text[a:b]):
                out.append(Hit(a, b, h.kind, text[a:b]))
    return out


def merge(hits: list[Hit]) -> list[Hit]:
    """Join overlapping spans under the best kind."""
    ordered = sorted(hits, key=_START)
    starts = list(map(_START, ordered))
    # Spans that all start apart and none reaching the next (key spam: thousands of them)
    # are their own merge, in that order: checked in C, not span by span.
    if all(map(lt, starts, starts[1:])) and all(map(le, map(_END, ordered), starts[1:])):
        return ordered
    merged: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end, PRIORITY[h.kind])):
        if merged and h.start < merged[-1].end:
            last = merged[-1]
            best = h if PRIORITY[h.kind] < PRIORITY[last.kind] else last
            merged[-1] = Hit(last.start, max(last.end, h.end), best.kind, best.value,
                             last.quiet and h.quiet)
        else:
            merged.append(h)
    return merged


_START, _END = itemgetter(0), itemgetter(1)
_MATCH_START, _MATCH_END = re.Match.start, re.Match.end
_GLUE = frozenset(string.ascii_letters + string.digits + "_.-$\\+")
_STRUCTURE = re.compile(r"[\"'`<>()\[\]{}\r\n\\]")


def changes_context(text: str, start: int, end: int) -> bool:
    """Whether replacing the span can make another scanner see something new: the
    placeholder is glued to a word, or the span held a quote, bracket or line end."""
    return (text[end:end + 1] in _GLUE or text[start - 1:start] in _GLUE
            or _STRUCTURE.search(text, start, end) is not None)
