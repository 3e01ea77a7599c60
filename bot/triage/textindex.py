"""Words -> weighted terms, and an inverted index over catalog phrases.

Meaning matching needs to survive paraphrase ("the policy still has active
bindings") and typos, yet stay fast on 10,000 entries: terms are stemmed, weighted
by rarity (IDF), and only entries sharing a term with the query are scored.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.memo import BoundedMemo

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_WRITTEN_WORD = re.compile(_WORD.pattern, re.IGNORECASE)  # `PERMISSION_DENIED` is words too
# Short forms support engineers type, folded to the words the documents use.
SYNONYMS = {"cert": "certificate", "certs": "certificate", "db": "database",
            "dbs": "database", "creds": "credentials", "pwd": "password", "perms": "permission",
            "authn": "authentication", "authz": "authorization", "k8s": "kubernetes"}

STOPWORDS = frozenset("""
a an and are as at be been being but by can could did do does doing done for from had has
have having he her here hers him his how i if in into is it its itself just me more most my
no nor not of off on once only or other our ours out over own same she should so some such
than that the their theirs them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your yours
get gets got getting also again all any both each few further s t don't doesn't isn't
pls please hi hello hey thanks thank anyone someone somebody know help why what's it's i'm
we're they're im ive i've seeing see keep keeps kept still now today yesterday just like
error errors err issue issues problem problems happen happens happening happened
didn't doesn't don't won't can't isn't aren't wasn't weren't cannot say says said saying
think thought guess maybe seems seem looks look back
after before one two three four five six seven eight nine ten
""".split())

# Words that differ only in form, folded so "expired", "expires" and "expiry" meet.
_SUFFIXES = ("ational", "ation", "ations", "ments", "ment", "ness", "ingly", "ings", "ing",
             "edly", "ied", "ies", "ed", "es", "s", "y")


_STATUS_AS_WORD = frozenset({"s", "ing", "ed", "d"})
_CORRECTED_MAX = 1 << 16  # distinct unknown words remembered per index
_SEARCHED_MAX = 1 << 12  # distinct searches remembered per index
_SEARCHED_TERMS = 64  # ... of at most this many distinct terms (a sentence, not a log)


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately small stemmer: enough to fold tense and plural, predictable.

    Cached: a catalog and the pastes about it repeat the same few thousand words."""
    if word[:1] in ("4", "5") and word[1:3].isdigit() and word[3:] in _STATUS_AS_WORD:
        return word[:3]  # "429s", "503ing": the status, as the paste's statuses read it
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "blocked" -> "block", "committ" -> "commit"
    return word


def terms(text: str) -> list[str]:
    """Content terms of a text, stemmed, in order, stopwords dropped."""
    text = text.lower().replace("_", " ").replace("-", " ")
    out = []
    for word in _WORD.findall(text):
        if word.endswith("'s"):
            word = word[:-2]
        word = SYNONYMS.get(word, word)
        if word not in STOPWORDS and len(word) > 1:
            out.append(stem(word))
    return out


@lru_cache(maxsize=1 << 12)
def code_terms(code: str) -> frozenset[str]:
    """The terms of an entry's code (`rate_limited` -> rate, limit), read once per code:
    the matcher and the status list both weigh them."""
    return frozenset(terms(code))


def written_forms(text: str) -> dict[str, str]:
    """Each term of `text` -> the word as the person wrote it (first seen), so reasons
    quote "denied", not the stem "deni"."""
    out: dict[str, str] = {}
    for raw in _WRITTEN_WORD.findall(text.replace("_", " ").replace("-", " ")):
        for term in _word_terms(raw):
            out.setdefault(term, raw)
    return out


@lru_cache(maxsize=1 << 14)
def _word_terms(word: str) -> tuple[str, ...]:
    """`terms` of one word (cached: answers quote the same few hundred words)."""
    return tuple(terms(word))


# Phrase kinds in people's words rather than the documents' (`Entry.said_as`).
UNDOCUMENTED_KINDS = frozenset({"said"})


@dataclass(frozen=True)
class Phrase:
    """A phrase of an entry: title, meaning, alias, keyword, symptom or cause."""

    owner: int  # index of the entry in the catalog
    terms: tuple[str, ...]  # distinct and sorted: no step ever depends on hash order
    kind: str

    @classmethod
    def of(cls, owner: int, kind: str, text: str) -> Phrase:
        """The phrase of `text`, its terms deduplicated and sorted."""
        return cls(owner=owner, terms=tuple(sorted(set(terms(text)))), kind=kind)


@dataclass(frozen=True)
class TextHit:
    """An entry sharing terms with the query, scored by its best phrase (or the query)."""

    owner: int
    score: float  # 0..1
    phrase_coverage: float
    query_coverage: float
    matched: tuple[str, ...]
    phrase_kind: str
    phrase_size: int


COMMON_POSTINGS = 600


class TextIndex:
    """Inverted index of phrases with IDF weights; scores entries against a query.

    Phrases are kept as columns of ints, strings and tuples of strings, and postings as
    tuples of ints: the cyclic garbage collector stops tracking those, so a 10,000-entry
    index adds almost nothing to the work of every full collection (the p99 tail).
    """

    def __init__(self, phrases: Iterable[Phrase], owners: int) -> None:
        kept = [p for p in phrases if p.terms]
        self.phrase_owner: list[int] = [p.owner for p in kept]
        self.phrase_terms: list[tuple[str, ...]] = [p.terms for p in kept]
        self.phrase_kind: list[str] = [p.kind for p in kept]
        by_term: dict[str, list[int]] = defaultdict(list)
        owner_terms: dict[int, dict[str, None]] = defaultdict(dict)
        for i, phrase in enumerate(kept):
            for term in phrase.terms:
                by_term[term].append(i)
            owner_terms[phrase.owner].update(dict.fromkeys(phrase.terms))
        # An entry's documented terms, where they differ from all its terms: only entries
        # with phrasings in people's words (most catalogs have none) keep a second set.
        undocumented = {p.owner for p in kept if p.kind in UNDOCUMENTED_KINDS}
        documented: dict[int, dict[str, None]] = defaultdict(dict)
        for phrase in kept:
            if phrase.owner in undocumented and phrase.kind not in UNDOCUMENTED_KINDS:
                documented[phrase.owner].update(dict.fromkeys(phrase.terms))
        owners_by_term: dict[str, list[int]] = defaultdict(list)
        for owner, owned in owner_terms.items():
            for term in owned:
                owners_by_term[term].append(owner)
        self.by_term: dict[str, tuple[int, ...]] = {t: tuple(p) for t, p in by_term.items()}
        self.owners_by_term: dict[str, tuple[int, ...]] = {
            t: tuple(o) for t, o in owners_by_term.items()}
        n = max(owners, 1)
        self.idf = {t: math.log(1 + n / len(o)) for t, o in self.owners_by_term.items()}
        self._unknown_idf = math.log(1 + n)
        self.phrase_weight = [sum(self.idf[t] for t in ts) for ts in self.phrase_terms]
        self._phrase_set = [frozenset(ts) for ts in self.phrase_terms]
        self._owner_set = {o: frozenset(ts) for o, ts in owner_terms.items()}
        self._documented_set = {o: frozenset(documented.get(o, ())) for o in undocumented}
        self.vocab: list[str] = sorted(self.by_term)
        # The vocabulary by term length and first letter: fuzz.ratio >= 84 needs lengths
        # within 84/116 of each other, and a typo keeps its first letter, so a typo is only
        # compared with terms it can be (in vocabulary order: ties go the same way).
        self._vocab_by_len: dict[tuple[int, str], list[str]] = {}
        self._corrected: BoundedMemo[str, str | None] = BoundedMemo(_CORRECTED_MAX)
        self._searched: BoundedMemo[tuple, tuple[TextHit, ...]] = BoundedMemo(_SEARCHED_MAX)
        # Phrases of 3+ terms ("a whole documented phrase"), keyed by their heaviest term:
        # a query without that term covers at most 1 - 1/size of the phrase's weight.
        self._long_by_key: dict[str, list[int]] = defaultdict(list)
        self._long_always: list[int] = []
        for pi, ts in enumerate(self.phrase_terms):
            if len(ts) < 3:
                continue
            if len(ts) >= 100:
                self._long_always.append(pi)
            else:
                self._long_by_key[max(ts, key=self.idf.__getitem__)].append(pi)

    def terms_of(self, owner: int) -> frozenset[str]:
        """Every term of an entry, all its phrases together."""
        return self._owner_set.get(owner, frozenset())

    def documented_terms_of(self, owner: int) -> frozenset[str]:
        """The terms of an entry's documented phrases (not of how people say it)."""
        documented = self._documented_set.get(owner)
        return self.terms_of(owner) if documented is None else documented

    def weight(self, term: str) -> float:
        """How much a term says: rare terms (few entries use them) weigh more."""
        return self.idf.get(term, self._unknown_idf)

    def correct(self, term: str) -> str | None:
        """The vocabulary term a typo most likely meant (None when nothing is close)."""
        if term in self.by_term:
            return term
        if len(term) < 5 or term.isdigit():
            return None
        # Memoized per index: a long thread repeats its typos and unknown words (ids,
        # hostnames) in message after message, and each miss costs a fuzzy scan.
        return self._corrected.get(term, self._closest)

    def _closest(self, term: str) -> str | None:
        # People rarely mistype a word's first letter: "slack" is not "lack", nor "block"
        # "lock". Only terms of about the same length could reach the cutoff.
        key = (len(term), term[0])
        choices = self._vocab_by_len.get(key)
        if choices is None:
            size = len(term)
            low, high = (size * 84) // 116, -(-size * 116 // 84)
            choices = self._vocab_by_len[key] = [
                t for t in self.vocab if low <= len(t) <= high and t[0] == term[0]]
        # Imported on first use (memoized above): ~15 ms of a CLI start that meets no
        # typo, such as `errcode lookup RATE_LIMITED`.
        from rapidfuzz import fuzz, process

        hit = process.extractOne(term, choices, scorer=fuzz.ratio, score_cutoff=84)
        return hit[0] if hit else None

    def may_cover_phrase(self, query_terms: Sequence[str], max_corrections: int = 40,
                         coverage: float = 0.99) -> bool:
        """Whether `search(query_terms)` could find a phrase of 3+ terms at least
        `coverage` present (`phrase_coverage`): False only when no such phrase can be.
        Counts every known query term (a superset of what `search` counts)."""
        query = {t for t in self._known_terms(query_terms, max_corrections)
                 if t in self.by_term}
        if not query:
            return False
        picks = [pi for t in query for pi in self._long_by_key.get(t, ())]
        for pi in picks + self._long_always:
            shared = sum(self.idf[t] for t in self.phrase_terms[pi] if t in query)
            if shared >= (coverage - 1e-6) * self.phrase_weight[pi]:
                return True
        return False

    def search(self, query_terms: Sequence[str], limit: int = 8,
               max_corrections: int = 40) -> list[TextHit]:
        """Entries sharing terms with the query, each with its best phrase score.

        Scores accumulate along posting lists, so the cost is the number of postings
        of the query's terms, not the size of the catalog. Terms are taken in query
        order; of equal scores the entry sharing more of the query ranks first, then the
        earlier phrase and entry, so equal scores rank the same way in every process
        (never by hash order).
        """
        query = self._known_terms(query_terms, max_corrections)
        # The hits depend on the known terms, in order, and on how many unknown ones
        # there are (each weighs the same): sentences that differ only by their ids,
        # hosts or numbers (a long thread's pastes) are searched once.
        if len(query) > _SEARCHED_TERMS:  # a long line's words: rarely again, and big
            return self._search(query, limit)
        key = (tuple(t if t in self.by_term else "" for t in query), limit)
        return list(self._searched.get(key, lambda _: tuple(self._search(query, limit))))

    def _search(self, query: list[str], limit: int) -> list[TextHit]:
        qweight = sum(self.weight(t) for t in query) or 1.0
        phrase_acc: dict[int, float] = defaultdict(float)
        owner_acc: dict[int, float] = defaultdict(float)
        owner_count: dict[int, int] = defaultdict(int)
        # A very common term (thousands of postings, little weight) is skipped when the
        # query has rarer known terms: it cannot make a weak phrase strong, only slow.
        known_terms = [t for t in query if t in self.by_term]
        rare = [t for t in known_terms if len(self.by_term[t]) <= COMMON_POSTINGS]
        used = rare or known_terms
        for term in used:
            w = self.weight(term)
            for pi in self.by_term[term]:
                phrase_acc[pi] += w
            for owner in self.owners_by_term[term]:
                owner_acc[owner] += w
                owner_count[owner] += 1
        short_query = len(query) <= 12
        best: dict[int, tuple[float, int, bool]] = {}  # owner -> (score, phrase, by phrase)
        owners, pweights = self.phrase_owner, self.phrase_weight
        for pi, shared_weight in phrase_acc.items():
            owner = owners[pi]
            size = len(self.phrase_terms[pi])
            # A phrase fully present is strong evidence however long the paste is;
            # a short query fully explained by an entry is strong evidence too.
            phrase_score = shared_weight / pweights[pi] * (
                0.55 if size == 1 else 0.85 if size == 2 else 1.0)
            score = phrase_score
            if short_query:
                query_score = (owner_acc[owner] / qweight
                               * min(1.0, owner_count[owner] / 2) * 0.92)
                score = max(phrase_score, query_score)
            prev = best.get(owner)
            if prev is None or score > prev[0] or (score == prev[0] and pi < prev[1]):
                best[owner] = (score, pi, score == phrase_score)
        # Of equal scores, the entry sharing more of the query ranks first ("token" +
        # "offboarded" over "token" + "expiry" when the sentence says more of the first).
        top = heapq.nlargest(limit, best.items(),
                             key=lambda kv: (kv[1][0], owner_acc[kv[0]], -kv[0]))
        hits = []
        for owner, (score, pi, by_phrase) in top:
            # The shared terms, found again for the few hits kept (`used` is distinct).
            shared = self._phrase_set[pi] if by_phrase else self._owner_set[owner]
            why = [t for t in used if t in shared]
            hits.append(TextHit(owner, score, phrase_acc[pi] / pweights[pi],
                                owner_acc[owner] / qweight, tuple(sorted(why)),
                                self.phrase_kind[pi], len(self.phrase_terms[pi])))
        return hits

    def _known_terms(self, query_terms: Sequence[str], max_corrections: int) -> list[str]:
        """The query's distinct terms in order, typos corrected to vocabulary terms."""
        known: dict[str, None] = {}
        corrections = 0
        for term in dict.fromkeys(query_terms):
            fixed = term if term in self.by_term else None
            if fixed is None and corrections < max_corrections:
                corrections += 1
                fixed = self.correct(term)
            known[fixed or term] = None
        return list(known)
