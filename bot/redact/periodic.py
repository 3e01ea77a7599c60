"""Repetition read once: a long stretch of text that repeats one unit (the same line, key,
token or block pasted thousands of times) is scanned as a few copies of its unit.

What is cheap to send is repetitive: 1 MB of `password=x` lines is 90,000 secrets for the
scanners to judge one by one, in Python. A stretch periodic with period P (found from a
few sample points, extended with slice comparisons in C) is scanned as `before` copies, one
copy R standing for all the middle ones, and `after` copies, keeping at least CONTEXT
characters on each side of R: every scanner looks less far than that without reporting a
span that reaches it (a span that does reach past R is stretched over all the copies it
stands for). So R's middle copies redact as R does; the output is R's output repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTEXT", "MIN_TEXT", "Compressed", "Segment", "periodic_segments"]

MIN_TEXT = 65_536  # shorter texts are scanned as they are
MIN_SEGMENT = 16_384  # a stretch shorter than this is not worth compressing
MAX_PERIOD = 262_144
CONTEXT = 1_024  # characters kept on each side of R: beyond every bounded look of a scanner
_WINDOW = 32  # characters sampled to find a period
_SAMPLE_EVERY = 32_768


@dataclass(frozen=True)
class Segment:
    """`copies` whole periods of `period` characters from `start` (in the original)."""

    start: int
    period: int
    copies: int

    @property
    def end(self) -> int:
        return self.start + self.period * self.copies

    @property
    def side(self) -> int:
        """Copies kept on each side of R."""
        return max(1, -(-CONTEXT // self.period))

    @property
    def reps(self) -> int:
        """How many copies R stands for."""
        return self.copies - 2 * self.side


def periodic_segments(text: str) -> list[Segment]:
    """Non-overlapping stretches of `text` worth compressing, in text order."""
    n = len(text)
    if n < MIN_TEXT:
        return []
    found: list[Segment] = []
    covered_to = 0
    for p in range(_SAMPLE_EVERY, n - _WINDOW, _SAMPLE_EVERY):
        if p < covered_to:
            continue
        window = text[p:p + _WINDOW]
        j = text.rfind(window, max(covered_to, p - MAX_PERIOD), p)
        if j < 0:
            continue
        period = p - j
        # [j, p + right) repeats with `period`: text[x] == text[x + period] from j on.
        right = _extend(text, j, p, n - p)
        left = _extend_left(text, j, p, j - covered_to)
        start, end = j - left, p + right
        copies = (end - start) // period
        seg = Segment(start, period, copies)
        if end - start >= MIN_SEGMENT and seg.reps >= 2:
            found.append(seg)
            covered_to = seg.end
    return found


def _extend(text: str, a: int, b: int, most: int) -> int:
    """The largest L <= most with text[a:a+L] == text[b:b+L] (galloping, then halving)."""
    good, step = 0, _WINDOW
    while good < most:
        probe = min(good + step, most)
        if text[a + good:a + probe] != text[b + good:b + probe]:
            break
        good = probe
        step *= 2
    else:
        return good
    lo, hi = good, min(good + step, most)  # text[..lo] equal, text[..hi] not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if text[a + lo:a + mid] == text[b + lo:b + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _extend_left(text: str, a: int, b: int, most: int) -> int:
    """The largest L <= most with text[a-L:a] == text[b-L:b]."""
    good, step = 0, _WINDOW
    while good < most:
        probe = min(good + step, most)
        if text[a - probe:a - good] != text[b - probe:b - good]:
            break
        good = probe
        step *= 2
    else:
        return good
    lo, hi = good, min(good + step, most)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if text[a - mid:a - lo] == text[b - mid:b - lo]:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class Kept:
    """R of one segment: where it is in the compressed text and what it stands for."""

    r0: int
    r1: int
    reps: int  # copies of the original R stands for
    shift: int  # characters elided at R: (reps - 1) * period
    before: int  # characters elided by earlier segments


class Compressed:
    """The text with each segment's middle copies elided (R stands for them), and the way
    back to positions of the original."""

    def __init__(self, text: str, segments: list[Segment]) -> None:
        pieces: list[str] = []
        kept: list[Kept] = []
        pos = elided = 0
        for seg in segments:
            r_start = seg.start + seg.side * seg.period
            pieces.append(text[pos:r_start])
            pieces.append(text[r_start:r_start + seg.period])  # R
            r0 = r_start - elided
            shift = (seg.reps - 1) * seg.period
            kept.append(Kept(r0, r0 + seg.period, seg.reps, shift, elided))
            elided += shift
            pos = r_start + seg.reps * seg.period
        pieces.append(text[pos:])
        self.text = "".join(pieces)
        self.kept = kept

    def start(self, pos: int) -> int:
        """A span's start in the original (inside R: in the first copy R stands for)."""
        extra = 0
        for k in self.kept:
            if pos < k.r1:
                return pos + k.before
            extra = k.before + k.shift
        return pos + extra

    def end(self, pos: int) -> int:
        """A span's end in the original (inside R: in the last copy R stands for)."""
        extra = 0
        for k in self.kept:
            if pos <= k.r0:
                return pos + k.before
            extra = k.before + k.shift
            if pos <= k.r1:
                return pos + extra
        return pos + extra

    def within(self, start: int, end: int) -> Kept | None:
        """The R that holds the span [start, end) whole, if one does."""
        for k in self.kept:
            if k.r0 <= start and end <= k.r1:
                return k
        return None

    def crosses(self, start: int, end: int) -> bool:
        """Whether the span reaches across an edge of some R."""
        return any(start < k.r0 < end or start < k.r1 < end for k in self.kept)
