"""Small text helpers every room shares: cutting to a limit, folding names for comparison."""

from __future__ import annotations

__all__ = ["ELLIPSIS", "TRUNCATED", "ascii_lower", "bounded_after_first", "fold", "one_line",
           "shorten"]

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


def bounded_after_first(regex: str, before: str) -> str:
    r"""`regex` with "not right after `before`" checked once its first character (or
    escape) has matched: `m(?<!\wm)aze`, the same as `(?<!\w)maze`. A pattern that opens
    with a lookbehind or `\b` is tried at every offset of a paste; one that opens with a
    character only where that character is. `regex` must open with one plain character
    or escape, not a group, class or alternation."""
    first = regex[:2] if regex.startswith("\\") else regex[:1]
    return f"{first}(?<!{before}{first}){regex[len(first):]}"


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
