"""Small text helpers every room shares: cutting to a limit, folding names for comparison."""

from __future__ import annotations

__all__ = ["ELLIPSIS", "TRUNCATED", "ascii_lower", "fold", "one_line", "shorten"]

ELLIPSIS = "…"
TRUNCATED = "… (truncated)"
# ASCII bytes that are not a lowercase letter or a digit: what `fold` deletes.
_NOT_ALNUM = bytes(b for b in range(128) if not (0x61 <= b <= 0x7A or 0x30 <= b <= 0x39))
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """`text` with A-Z lowercased and nothing else changed: every offset stays the same
    (`str.lower` may lengthen a string: "İ" becomes two characters), so a match in the
    lowered text is the same span of the original."""
    return text.translate(_ASCII_LOWER)


def shorten(text: str, limit: int, mark: str = ELLIPSIS) -> str:
    """`text` whole when it fits in `limit` characters, else cut so that it ends in `mark`."""
    if len(text) <= limit:
        return text
    return text[:max(limit - len(mark), 0)].rstrip() + mark


def one_line(text: str, limit: int, mark: str = ELLIPSIS) -> str:
    """`text` with every run of white space folded to one space, then shortened."""
    return shorten(" ".join(text.split()), limit, mark)


def fold(name: str) -> str:
    """`Rate-Limited`, `RATE_LIMITED`, `rate limited` and `Maze Vault` compare folded:
    `ratelimited`, `mazevault` (lowercased, then only a-z and 0-9 kept).

    Triage folds every token of every paste: three C passes, no regex (2-3x faster).
    Not remembered between calls: the tokens of a paste may be secrets."""
    return name.lower().encode("ascii", "ignore").translate(None, _NOT_ALNUM).decode("ascii")
