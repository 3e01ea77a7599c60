"""A bounded memo for pure functions on hot paths (typo corrections, near-code lookups)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """Answers of one pure function by key, emptied whenever `limit` keys are held.

    Emptied, not evicted one by one: a long thread's repeats are found again within a
    few messages, and clearing costs nothing per lookup. Safe across threads: a race
    only computes a value twice."""

    __slots__ = ("_limit", "_values")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: dict[K, V] = {}

    def get(self, key: K, compute: Callable[[K], V]) -> V:
        try:  # not `in` then `[]`: another thread may empty the memo between them
            return self._values[key]
        except KeyError:
            pass
        if len(self._values) >= self._limit:
            self._values.clear()
        value = self._values[key] = compute(key)
        return value
