"""The text index's search is remembered by what decides its hits: the known terms in
order and how many unknown ones there are. Sentences that differ only by their ids or
hosts (a long thread's pastes) get the very hits a fresh search gives."""

from __future__ import annotations

import random

from bot.triage.engine import engine_for
from bot.triage.textindex import Phrase, TextIndex, terms


def fresh(index: TextIndex, query: list[str]) -> list:
    """The hits computed anew, past the memo."""
    return index._search(index._known_terms(query, 40), 8)


def test_sentences_differing_only_by_ids_get_the_hits_a_fresh_search_gives():
    index = engine_for().matcher.text
    rng = random.Random(7)
    template = "write to scaivault failed with 429 too many requests for {} on host {}"
    for _ in range(50):
        rid = "req_" + "".join(rng.choice("0123456789abcdef") for _ in range(12))
        host = f"app-{rng.randint(1, 999)}.corp"
        query = terms(template.format(rid, host))
        assert index.search(query) == fresh(index, query)


def test_a_different_known_word_is_a_different_search():
    index = engine_for().matcher.text
    first = index.search(terms("token expired on read"))
    second = index.search(terms("token revoked on read"))
    assert first != second
    assert second == fresh(index, terms("token revoked on read"))


def test_how_many_unknown_words_there_are_still_counts():
    index = engine_for().matcher.text
    few = terms("rate limited qqzzyx")
    many = terms("rate limited qqzzyx wwvvkj ppllmm ttrrss")
    assert index.search(few) == fresh(index, few)
    assert index.search(many) == fresh(index, many)
    assert [h.query_coverage for h in index.search(few)] != [
        h.query_coverage for h in index.search(many)]


def test_a_long_lines_search_is_not_kept():
    """What the memo holds stays small: a megabyte line's distinct words are searched
    and let go."""
    index = engine_for().matcher.text
    words = [f"word{i}x" for i in range(500)]
    before = len(index._searched._values)
    hits = index.search(["rate", "limited", *words])
    assert hits == fresh(index, ["rate", "limited", *words])
    assert len(index._searched._values) == before


def test_a_typo_keeps_its_first_letter():
    index = engine_for().matcher.text
    assert index.correct("slack") is None  # a word of its own, not "lack" misspelt
    assert index.correct(terms("permision")[0]) == terms("permission")[0]


def test_of_equal_scores_the_entry_sharing_more_of_the_sentence_ranks_first():
    # Entries 0 and 1 each hold a two-word phrase the query has whole (equal scores);
    # entry 1 shares one more word of the query through another phrase. Entry 2 pads the
    # index so no word is in every entry.
    phrases = [Phrase.of(0, "alias", "token expiry"), Phrase.of(1, "alias", "token offboarded"),
               Phrase.of(1, "meaning", "security sessions"),
               Phrase.of(2, "alias", "disk full"), Phrase.of(2, "alias", "quota reached")]
    index = TextIndex(phrases, owners=3)
    hits = index.search(terms("offboarded token security expiry"))
    assert hits[0].score == hits[1].score
    assert [h.owner for h in hits[:2]] == [1, 0]
