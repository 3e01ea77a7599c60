"""BoundedMemo computes each key once while it holds it, and never holds more than its limit."""

from __future__ import annotations

from bot.memo import BoundedMemo


def test_a_key_is_computed_once_until_the_memo_is_emptied_at_its_limit():
    calls: list[str] = []

    def shout(word: str) -> str:
        calls.append(word)
        return word.upper()

    memo: BoundedMemo[str, str] = BoundedMemo(limit=3)
    assert [memo.get(w, shout) for w in ("a", "b", "a", "c", "b")] == ["A", "B", "A", "C", "B"]
    assert calls == ["a", "b", "c"]
    assert memo.get("d", shout) == "D"  # the fourth key empties the memo first
    assert memo.get("a", shout) == "A"
    assert calls == ["a", "b", "c", "d", "a"]
    assert len(memo._values) <= 3


def test_none_is_remembered_as_an_answer():
    calls = []
    memo: BoundedMemo[str, None] = BoundedMemo(limit=10)
    for _ in range(3):
        memo.get("x", lambda k: calls.append(k))
    assert calls == ["x"]
