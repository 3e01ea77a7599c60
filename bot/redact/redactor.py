"""Numbering and replacing: the `Redactor`, its results and the one-shot helpers.

One `Redactor` gives the same secret the same placeholder across all its calls, so a
whole escalation packet reads consistently; placeholders already in a text keep their
numbers (new ones count on from them), so redacting twice changes nothing. Where a
replacement may change what another scanner sees (the placeholder is glued to a word,
or the span held a quote, bracket or line end), the pass runs again, at most 3 more
times, until nothing changes: `redact(redact(x)) == redact(x)`.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.redact.periodic import MIN_TEXT, Compressed, periodic_segments
from bot.redact.spans import changes_context, find_hits, merge, outside_marks
from bot.redact.values import Hit
from bot.text import one_line

__all__ = ["PLACEHOLDER_RE", "Finding", "RedactionResult", "Redactor", "redact",
           "redact_for_log"]

PLACEHOLDER_RE = re.compile(r"\[REDACTED:(?P<kind>[a-z_]{1,32})#(?P<n>[0-9]{1,9})\]")
_MORE_PASSES = 3
_NEAR = 256  # at most, each way: the lines around a placeholder read before a next pass
_NEAR_SEPARATOR = "\n\x00\n"


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret replaced: where it sat in the text given and what replaced it, never
    the secret itself, so a finding can be printed, logged or stored."""

    kind: str
    placeholder: str
    start: int  # character offsets in the text given
    end: int
    line: int  # 1-based line and column of `start`
    column: int


@dataclass(frozen=True)
class RedactionResult:
    text: str
    count: int  # occurrences replaced
    kinds: dict[str, int] = field(default_factory=dict, hash=False)  # distinct secrets per kind
    # Each occurrence replaced, in text order, when asked for (`Redactor.result`,
    # `redact(..., findings=True)`); None when not collected (they cost time on spam).
    findings: tuple[Finding, ...] | None = field(default=None, compare=False)


# A replacement made by one pass: (start, end) in the pass's input, the placeholder.
_Replacement = tuple[int, int, str]


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
        return self._redact(text, None)

    def result(self, text: str) -> RedactionResult:
        """`redact(text)` with what this call replaced: how many occurrences, how many
        distinct secrets per kind, and each occurrence as a `Finding` (no values)."""
        passes: list[list[_Replacement]] = []
        out = self._redact(text, passes)
        findings = _findings(text, passes)
        kinds: dict[str, int] = {}
        for placeholder in {f.placeholder: f.kind for f in findings}.values():
            kinds[placeholder] = kinds.get(placeholder, 0) + 1
        return RedactionResult(out, len(findings), kinds, findings)

    def _redact(self, text: str, passes: list[list[_Replacement]] | None) -> str:
        out, again, changed = self._pass(text, passes)
        for _ in range(_MORE_PASSES):
            # A placeholder can change what is around it (a `]` glued to a word, a quote or
            # a line end it took): then go again until nothing changes, so that redacting
            # the result changes nothing. In a long text, the lines around those
            # placeholders are read first: the whole text again only if they hold more.
            if not again:
                break
            if changed is not None and passes is None and not self._more_near(out, changed):
                break
            out, again, changed = self._pass(out, passes)
        return out

    def _more_near(self, text: str, spans: list[tuple[int, int]]) -> bool:
        """Whether the lines around `spans` (placeholders just put in `text`) hold a secret
        that is not a placeholder yet."""
        windows: list[tuple[int, int]] = []
        for start, end in spans:
            # the line before, the placeholder's lines and the line after, at most _NEAR
            # characters each way
            a = text.rfind("\n", 0, max(0, text.rfind("\n", 0, start))) + 1
            nl = text.find("\n", end)
            nl = text.find("\n", nl + 1) if nl >= 0 else -1
            b = len(text) if nl < 0 else nl
            a, b = max(a, start - _NEAR), min(b, end + _NEAR)
            if windows and a <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(b, windows[-1][1]))
            else:
                windows.append((a, b))
        near = _NEAR_SEPARATOR.join(text[a:b] for a, b in windows)
        hits = find_hits(near, self._patterns)
        return bool(hits and outside_marks(near, hits, _marks(near)))

    def _pass(self, text: str, passes: list[list[_Replacement]] | None
              ) -> tuple[str, bool, list[tuple[int, int]] | None]:
        """One pass: the text with what was found replaced; whether to go again; and where
        the output's placeholders that changed their context are, when the next pass may
        read only around them (a long text, with no placeholder before) else None."""
        if not text:
            return text, False, None
        if passes is None and len(text) >= MIN_TEXT:
            segments = periodic_segments(text)
            if segments:
                return self._compressed_pass(text, Compressed(text, segments))
        hits = find_hits(text, self._patterns)
        marks = _marks(text)
        with self._lock:
            self._take_numbers(text, marks)
            merged = merge(outside_marks(text, hits, marks)) if hits else []
            if not merged:
                return text, False, None
            out, again, changed = self._replace(text, merged, passes, again=bool(marks))
            # Only a long text's next pass is narrowed, and only when no placeholder was
            # there before (those make every next pass a whole one).
            return out, again, changed if len(text) >= MIN_TEXT and not marks else None

    def _take_numbers(self, text: str, marks: list[tuple[int, int]]) -> None:
        """Numbers already in the text are taken: no reuse."""
        for start, end in marks:
            mark = PLACEHOLDER_RE.match(text, start, end)
            if mark:
                kind, n = mark["kind"], int(mark["n"])
                self._last[kind] = max(self._last.get(kind, 0), n)

    def _replace(self, text: str, merged: list[Hit], passes: list[list[_Replacement]] | None,
                 *, again: bool) -> tuple[str, bool, list[tuple[int, int]]]:
        """`text` with `merged` replaced; whether to go again, and where in the output the
        placeholders that changed their context are."""
        out: list[str] = []
        append = out.append
        replaced: list[_Replacement] = []
        changed: list[tuple[int, int]] = []
        pos = shift = 0  # shift: how much longer the output is than the text, so far
        names, kinds, last = self._names, self._kinds, self._last  # (key spam: many hits)
        for start, end, kind, value, quiet in merged:
            name = names.get(value)
            if name is None:  # self._placeholder, inline
                kinds[kind] = kinds.get(kind, 0) + 1
                last[kind] = n = last.get(kind, 0) + 1
                name = names[value] = f"[REDACTED:{kind}#{n}]"
            append(text[pos:start])
            append(name)
            if passes is not None:
                replaced.append((start, end, name))
            pos = end
            if not quiet and changes_context(text, start, end):
                again = True
                changed.append((start + shift, start + shift + len(name)))
            shift += len(name) - (end - start)
        self._count += len(merged)
        append(text[pos:])
        if passes is not None:
            passes.append(replaced)
        return "".join(out), again, changed

    def _compressed_pass(self, text: str, short: Compressed
                         ) -> tuple[str, bool, list[tuple[int, int]] | None]:
        """One pass over a text with long repetitive stretches (see bot.redact.periodic):
        scanned as the compressed text, its R's output repeated for the copies R stands
        for. A span reaching across R (glued keys: one value to the end of the run) is
        mapped back over every copy instead."""
        hits = find_hits(short.text, self._patterns)
        marks = _marks(short.text)
        with self._lock:
            self._take_numbers(short.text, marks)
            merged = merge(outside_marks(short.text, hits, marks)) if hits else []
            if not merged:
                return text, False, None
            if any(short.crosses(h.start, h.end) for h in merged):
                spread, again, _ = self._replace(text, merge(_spread(text, short, merged)),
                                                 None, again=bool(marks))
                return spread, again, None
            edges = sorted((edge, i) for i, k in enumerate(short.kept) for edge in (k.r0, k.r1))
            at: dict[tuple[int, int], int] = {}  # (kept, r0 or r1) -> where it is in `out`
            out: list[str] = []
            size = pos = e = 0
            again = bool(marks)
            inside = [0] * len(short.kept)
            for h in [*merged, None]:
                upto = h.start if h is not None else len(short.text)
                while e < len(edges) and edges[e][0] <= upto:
                    x, i = edges[e]
                    at[i, x] = size + x - pos
                    e += 1
                if h is None:
                    break
                piece = short.text[pos:h.start]
                name = self._placeholder(h.kind, h.value)
                out += (piece, name)
                size += len(piece) + len(name)
                pos = h.end
                k = short.within(h.start, h.end)
                if k is not None:
                    inside[short.kept.index(k)] += 1
                again = again or (not h.quiet and changes_context(short.text, h.start, h.end))
            out.append(short.text[pos:])
            self._count += len(merged) + sum((k.reps - 1) * n
                                             for k, n in zip(short.kept, inside, strict=True))
        flat = "".join(out)
        pieces: list[str] = []
        done = 0
        for i, k in enumerate(short.kept):
            o0, o1 = at[i, k.r0], at[i, k.r1]
            pieces += (flat[done:o1], flat[o0:o1] * (k.reps - 1))
            done = o1
        pieces.append(flat[done:])
        return "".join(pieces), again, None

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


def _marks(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in PLACEHOLDER_RE.finditer(text)] if "[REDACTED:" in text else []


def _spread(text: str, short: Compressed, merged: list[Hit]) -> list[Hit]:
    """Spans of the compressed text as spans of `text`: one inside R for each copy R
    stands for, and one reaching across R over all of them."""
    out: list[Hit] = []
    for h in merged:
        k = short.within(h.start, h.end)
        start = short.start(h.start)
        if k is None:
            end = short.end(h.end)
            out.append(Hit(start, end, h.kind, text[start:end]))
            continue
        period, length = k.r1 - k.r0, h.end - h.start
        out.extend(Hit(start + i * period, start + i * period + length, h.kind, h.value)
                   for i in range(k.reps))
    return out


def _findings(text: str, passes: list[list[_Replacement]]) -> tuple[Finding, ...]:
    """The replacements of every pass, as spans of the original `text`. A later pass reads
    the earlier one's output; between two placeholders that output is the input as it was,
    so each span maps back exactly."""
    shifted = [_output_starts(replaced) for replaced in passes]
    spans: list[tuple[int, int, str]] = []
    for i, replaced in enumerate(passes):
        for start, end, name in replaced:
            for j in range(i - 1, -1, -1):
                start = _back(passes[j], shifted[j], start, True)
                end = _back(passes[j], shifted[j], end, False)
            spans.append((start, end, name))
    if len(passes) > 1:
        spans.sort()
    newlines = [m.start() for m in re.finditer("\n", text)] if spans else []
    out = []
    line, line_start = 0, 0
    for start, end, name in spans:
        if line < len(newlines) and newlines[line] < start:
            line = bisect_left(newlines, start, line)
            line_start = newlines[line - 1] + 1
        kind = name[len("[REDACTED:"):name.rindex("#")]
        out.append(Finding(kind, name, start, end, line + 1, start - line_start + 1))
    return tuple(out)


def _output_starts(replaced: list[_Replacement]) -> list[int]:
    """Where each replacement's placeholder starts in the output of its pass."""
    starts, shift = [], 0
    for start, end, name in replaced:
        starts.append(start + shift)
        shift += len(name) - (end - start)
    return starts


def _back(replaced: list[_Replacement], starts: list[int], pos: int, is_start: bool) -> int:
    """`pos` in the output of the pass that made `replaced`, as a position in its input
    (an end that meets a placeholder's start maps to the start of what it replaced)."""
    i = (bisect_right(starts, pos) if is_start else bisect_left(starts, pos)) - 1
    if i < 0:
        return pos
    start, end, name = replaced[i]
    end_out = starts[i] + len(name)
    if pos >= end_out:
        return end + (pos - end_out)
    return start if is_start else end


def redact(text: str, extra_patterns: Sequence[str | re.Pattern[str]] = (), *,
           findings: bool = False) -> RedactionResult:
    """One-shot redaction with a fresh `Redactor`; with `findings`, what it replaced where."""
    redactor = Redactor(extra_patterns)
    if findings:
        return redactor.result(text)
    out = redactor.redact(text)
    return RedactionResult(out, redactor.count, redactor.kinds)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def redact_for_log(text: str, limit: int = 200) -> str:
    """Redacted, on one line, at most `limit` characters (cut with "…"): for log lines."""
    return one_line(_CONTROL.sub(" ", redact(text).text), limit)
