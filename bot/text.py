"""Small text helpers every room shares: cutting to a limit, folding names for comparison."""

from __future__ import annotations

import re

__all__ = ["ELLIPSIS", "TRUNCATED", "fold", "one_line", "shorten"]

ELLIPSIS = "…"
TRUNCATED = "… (truncated)"
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


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
    `ratelimited`, `mazevault`."""
    return _NOT_ALNUM.sub("", name.lower())
