"""The shared text helpers: `fold` compares names and codes the same way everywhere."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import bounded_after_first, fold

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def by_definition(name: str) -> str:
    """What fold means: lowercase, then only a-z and 0-9 kept."""
    return _NOT_ALNUM.sub("", name.lower())


def test_fold_spellings_of_one_code_meet():
    assert {fold(s) for s in ("Rate-Limited", "RATE_LIMITED", "rate limited")} == {"ratelimited"}
    assert fold("Maze Vault") == "mazevault"


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("İıſ\u212aßÅΣς_- 09")))
def test_fold_is_lowercase_then_ascii_letters_and_digits(name):
    assert fold(name) == by_definition(name)
    assert fold(name * 3) == by_definition(name * 3)


def test_characters_whose_lowercase_is_ascii_fold_like_it():
    for ch in ("\u212a", "İ", "ı", "ſ", "Å", "é", "\x00", "\u0307"):
        assert fold(f"A{ch}b") == by_definition(f"A{ch}b"), hex(ord(ch))


@pytest.mark.parametrize(("regex", "before"), [("maze[\\s_-]?vault", r"\w"),
                                               (r"\.net", r"\w"),
                                               (r"vault\.example\.com", r"[\w.-]")])
def test_bounded_after_first_finds_what_the_leading_lookbehind_finds(regex, before):
    spec = re.compile(f"(?<!{before}){regex}")
    moved = re.compile(bounded_after_first(regex, before))
    rng = random.Random(3)
    pieces = ["maze vault", "mazevault", ".net", "vault.example.com", "x", "_", "-", ".", " "]
    for _ in range(5_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        assert [m.span() for m in spec.finditer(text)] == [m.span() for m in moved.finditer(text)]
