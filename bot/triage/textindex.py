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

from rapidfuzz import fuzz, process

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
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
think thought guess maybe seems seem looks look
""".split())

# Words that differ only in form, folded so "expired", "expires" and "expiry" meet.
_SUFFIXES = ("ational", "ation", "ations", "ments", "ment", "ness", "ingly", "ings", "ing",
             "edly", "ied", "ies", "ed", "es", "s", "y")


def stem(word: str) -> str:
    """A deliberately small stemmer: enough to fold tense and plural, predictable."""
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


@dataclass(frozen=True)
class Phrase:
    """A phrase of an entry: title, meaning, alias, keyword, symptom or cause."""

    owner: int  # index of the entry in the catalog
    terms: frozenset[str]
    kind: str


@dataclass(frozen=True)
class TextHit:
    owner: int
    score: float  # 0..1
    phrase_coverage: float
    query_coverage: float
    matched: tuple[str, ...]
    phrase_kind: str
    phrase_size: int


COMMON_POSTINGS = 600


class TextIndex:
    """Inverted index of phrases with IDF weights; scores entries against a query."""

    def __init__(self, phrases: Iterable[Phrase], owners: int) -> None:
        self.phrases: list[Phrase] = [p for p in phrases if p.terms]
        self.by_term: dict[str, list[int]] = defaultdict(list)
        owner_terms: dict[int, set[str]] = defaultdict(set)
        for i, phrase in enumerate(self.phrases):
            for term in phrase.terms:
                self.by_term[term].append(i)
            owner_terms[phrase.owner] |= phrase.terms
        self.owners_by_term: dict[str, list[int]] = defaultdict(list)
        for owner, owned in owner_terms.items():
            for term in owned:
                self.owners_by_term[term].append(owner)
        n = max(owners, 1)
        self.idf = {t: math.log(1 + n / len(o)) for t, o in self.owners_by_term.items()}
        self._unknown_idf = math.log(1 + n)
        self.phrase_weight = [sum(self.idf[t] for t in p.terms) for p in self.phrases]
        self.vocab: list[str] = sorted(self.by_term)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self._unknown_idf)

    def correct(self, term: str) -> str | None:
        """The vocabulary term a typo most likely meant (None when nothing is close)."""
        if term in self.by_term:
            return term
        if len(term) < 5 or term.isdigit():
            return None
        hit = process.extractOne(term, self.vocab, scorer=fuzz.ratio, score_cutoff=84)
        return hit[0] if hit else None

    def search(self, query_terms: Sequence[str], limit: int = 8,
               max_corrections: int = 40) -> list[TextHit]:
        """Entries sharing terms with the query, each with its best phrase score.

        Scores accumulate along posting lists, so the cost is the number of postings
        of the query's terms, not the size of the catalog.
        """
        known: list[str] = []
        corrections = 0
        for term in dict.fromkeys(query_terms):
            fixed = term if term in self.by_term else None
            if fixed is None and corrections < max_corrections:
                corrections += 1
                fixed = self.correct(term)
            known.append(fixed or term)
        qset = set(known)
        qweight = sum(self.weight(t) for t in qset) or 1.0
        phrase_acc: dict[int, float] = defaultdict(float)
        phrase_shared: dict[int, list[str]] = defaultdict(list)
        owner_acc: dict[int, float] = defaultdict(float)
        owner_shared: dict[int, list[str]] = defaultdict(list)
        # A very common term (thousands of postings, little weight) is skipped when the
        # query has rarer known terms: it cannot make a weak phrase strong, only slow.
        known_terms = [t for t in qset if t in self.by_term]
        rare = [t for t in known_terms if len(self.by_term[t]) <= COMMON_POSTINGS]
        for term in rare or known_terms:
            w = self.weight(term)
            for pi in self.by_term[term]:
                phrase_acc[pi] += w
                phrase_shared[pi].append(term)
            for owner in self.owners_by_term[term]:
                owner_acc[owner] += w
                owner_shared[owner].append(term)
        short_query = len(qset) <= 12
        best: dict[int, tuple[float, int, bool]] = {}  # owner -> (score, phrase, by phrase)
        phrases, pweights = self.phrases, self.phrase_weight
        for pi, shared_weight in phrase_acc.items():
            phrase = phrases[pi]
            owner = phrase.owner
            size = len(phrase.terms)
            # A phrase fully present is strong evidence however long the paste is;
            # a short query fully explained by an entry is strong evidence too.
            phrase_score = shared_weight / pweights[pi] * (
                0.55 if size == 1 else 0.85 if size == 2 else 1.0)
            score = phrase_score
            if short_query:
                query_score = (owner_acc[owner] / qweight
                               * min(1.0, len(owner_shared[owner]) / 2) * 0.92)
                score = max(phrase_score, query_score)
            prev = best.get(owner)
            if prev is None or score > prev[0]:
                best[owner] = (score, pi, score == phrase_score)
        top = heapq.nlargest(limit, best.items(), key=lambda kv: kv[1][0])
        hits = []
        for owner, (score, pi, by_phrase) in top:
            phrase = phrases[pi]
            why = phrase_shared[pi] if by_phrase else owner_shared[owner]
            hits.append(TextHit(owner, score, phrase_acc[pi] / pweights[pi],
                                owner_acc[owner] / qweight, tuple(sorted(why)), phrase.kind,
                                len(phrase.terms)))
        return hits
