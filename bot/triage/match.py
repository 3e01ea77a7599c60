"""Evidence -> ranked Matches across every catalog, each saying why it matched.

Order of trust: a code written exactly as documented, then the same code with
other case or separators, then a close misspelling, then meaning/paraphrase text.
HTTP status and product hints (spelling style, envelope shape, request-id format,
product names) move scores a little and settle which product an ambiguous code
belongs to; when nothing settles it, both products are shown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from bot.catalog.model import Catalog, Entry
from bot.memo import BoundedMemo
from bot.text import ascii_lower, fold
from bot.triage.confidence import (
    CLAUSE_PLACES,
    Context,
    Model,
    context,
    decide,
    ruled_out,
    shipped_model,
)
from bot.triage.evidence import CodeMention, Evidence
from bot.triage.extract import SHORT_PASTE_CHARS, clauses
from bot.triage.http_facts import REASON_PHRASES, http_statuses
from bot.triage.negation import negated_terms, ruled_out_codes, says_all_clear
from bot.triage.objects import (
    missing_terms,
    named_among,
    object_terms,
    reason_terms,
    with_route_objects,
)
from bot.triage.product import ProductEvidence, code_style, foreign_tool, leader
from bot.triage.textindex import Phrase, TextHit, TextIndex, code_terms, terms, written_forms
from bot.triage.vocabulary import added_terms, expanded_terms

MAX_FUZZY_CANDIDATES = 300
NGRAM_TEXT_LIMIT = 400
FUZZY_CUTOFF = 85.0
FUZZY_CONFIDENT = 88.0
_CLOSEST_MEMO_MAX = 1 << 14  # distinct near-codes remembered per matcher
TEXT_CONFIDENT = 0.74


@dataclass(frozen=True, slots=True)
class Signals:
    """The evidence behind one match, as numbers the confidence rule reads
    (bot.triage.confidence). Two matches of one entry merge field by field."""

    code: str = ""  # exact | normalized | fuzzy: the best code evidence, if any
    code_source: str = ""  # mention | token | words
    similarity: float = 0.0  # fuzzy ratio of a misspelt code, 0..100
    text: float = 0.0  # meaning score of the best phrase, 0..1
    phrase_coverage: float = 0.0
    query_coverage: float = 0.0
    matched: int = 0  # distinct words shared with the best phrase
    matched_weight: float = 0.0  # their rarity (IDF) summed
    strong_phrase: bool = False  # a phrase of 3+ words wholly present
    failing: bool = False  # the sentence speaks of a failure
    negated: float = 0.0  # share of the shared words the paste negates ("not a rate limit")
    echo: bool = False  # the shared words only repeat a documented code found in the paste
    text_rank: int = 9  # rank among the meaning hits of its sentence (0 = best)
    text_margin: float = 0.0  # lead over the next hit of its sentence
    status_ok: bool = False  # its documented HTTP status is in the paste
    contested: bool = False  # respelt code the other product spells exactly in the paste
    rule: bool = False  # the matcher's own per-kind rule found it confident
    product: str = ""  # the product its sentence names, when it names exactly one
    status_words: bool = False  # its shared words are only a status number ("... 404")
    clause: int = 0  # which listed item its sentence is (1, 2, ...; 0: not a list)
    code_in_sentence: bool = False  # that item writes a documented code
    object_named: bool = False  # its item writes its status and names its object (objects)
    denied: bool = False  # its code is written only where the paste rules it out ("not X")

    @property
    def documented_code(self) -> bool:
        """Its code is a documented one, written exactly or respelt (not misspelt)."""
        return self.code in ("exact", "normalized")

    @property
    def code_written(self) -> bool:
        """... and written as a code in the paste, not said in words."""
        return self.documented_code and self.code_source != "words"

    def merge(self, other: Signals) -> Signals:
        """The stronger reading of each signal."""
        code_first = _CODE_RANK.get(self.code, 9) <= _CODE_RANK.get(other.code, 9)
        code = self if code_first else other
        text = self if (self.text, -self.text_rank) >= (other.text, -other.text_rank) else other
        # The item that names its object places the match (its clause), not a better
        # meaning hit elsewhere in the paste.
        place = self if self.object_named else other if other.object_named else text
        return Signals(
            code=code.code, code_source=code.code_source,
            similarity=max(self.similarity, other.similarity),
            text=text.text, phrase_coverage=text.phrase_coverage,
            query_coverage=text.query_coverage, matched=text.matched,
            matched_weight=text.matched_weight, strong_phrase=text.strong_phrase,
            failing=self.failing or other.failing, negated=text.negated, echo=text.echo,
            text_rank=min(self.text_rank, other.text_rank), text_margin=text.text_margin,
            status_ok=self.status_ok or other.status_ok,
            contested=code.contested, denied=code.denied, rule=self.rule or other.rule,
            product=place.product,
            status_words=text.status_words, clause=place.clause,
            code_in_sentence=place.code_in_sentence,
            object_named=self.object_named or other.object_named)


_CODE_RANK = {"exact": 0, "normalized": 1, "fuzzy": 2}


@dataclass(frozen=True)
class Match:
    """One catalog entry the paste points at, with a score and the reasons."""

    entry: Entry
    score: float  # 0..100
    confident: bool
    kind: str  # exact | normalized | fuzzy | text | status
    evidence: tuple[str, ...]
    mention: CodeMention | None = None
    line: int = 0
    signals: Signals = Signals()
    probability: float = 0.0  # the confidence rule's estimate that this match is right


@dataclass(frozen=True)
class MatchResult:
    """Every match for one paste, best first, and the product the paste concerns."""

    matches: tuple[Match, ...]
    product: str | None  # catalog name the paste most likely concerns
    product_reasons: tuple[str, ...]
    ambiguous: bool  # the best matches are the same idea in different products
    all_clear: bool = False  # the paste reports all is well: its words name no error


@dataclass(frozen=True)
class Candidates:
    """What the matcher found before the confidence rule: matches best first, the
    product, and the paste-wide context the rule reads."""

    matches: tuple[Match, ...]
    product: str | None
    product_reasons: tuple[str, ...]
    context: Context


normalize_code = fold  # `Rate-Limited`, `RATE_LIMITED`, `rate limited` -> `ratelimited`


@dataclass(frozen=True, slots=True)
class _Written:
    """Something in the paste that may be a code: as written, normalised, and its source."""

    text: str
    norm: str
    source: str  # mention | token | words
    mention: CodeMention | None = None


class Matcher:
    """The catalog indexed for matching; build once, reuse for every paste."""

    def __init__(self, catalog: Catalog, model: Model | None = None) -> None:
        self.catalog = catalog
        self.model = model or shipped_model()
        self.entries = catalog.entries
        self._index = {e.key: i for i, e in enumerate(self.entries)}
        self._status_of = tuple(e.http_status for e in self.entries)
        by_status: dict[tuple[str, int], list[Entry]] = defaultdict(list)
        for e in self.entries:
            if e.kind == "error" and e.http_status:
                by_status[(e.catalog, e.http_status)].append(e)
        self._errors_by_status = {k: tuple(v) for k, v in by_status.items()}
        by_norm: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            by_norm[normalize_code(entry.code)].append(i)
            product = catalog.products.get(entry.catalog)
            for alias in entry.aliases:
                # An alias spelled in the product's own code style is matched as a code.
                if product and code_style(alias) == product.code_style:
                    by_norm[normalize_code(alias)].append(i)
        # Tuples of ints: the cyclic garbage collector stops tracking them.
        self.by_norm: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in by_norm.items()}
        self.norm_codes = list(self.by_norm)
        self._closest_memo: BoundedMemo[str, tuple[tuple[str, float], ...]] = BoundedMemo(
            _CLOSEST_MEMO_MAX)
        # The words codes are made of: a run of words is only a code typed as words
        # ("csrf invlid") when one of its words is one of these.
        self._words_of_code = tuple(frozenset(w for w in re.split(r"[^a-z0-9]+", e.code.lower())
                                              if w) for e in self.entries)
        self.code_words = frozenset().union(*self._words_of_code)
        # A product's name is product evidence (bot.triage.product), not meaning: "the
        # mazevault token expired" must not match an alias for sharing "mazevault".
        self.product_terms = frozenset(
            t for p in catalog.products.values()
            for name in (p.name, p.catalog, *p.aliases) for t in terms(name))
        self.products = ProductEvidence(catalog)

    @cached_property
    def text(self) -> TextIndex:
        """The meaning index, built on first use: a paste that is a bare documented code
        (`errcode lookup RATE_LIMITED`) never needs it (TriageEngine.ready builds it
        before a server serves)."""
        return TextIndex(self._phrases(), len(self.entries))

    def _style_of(self, i: int) -> str | None:
        product = self.catalog.products.get(self.entries[i].catalog)
        return product.code_style if product else None

    def _phrases(self) -> list[Phrase]:
        out = []
        for i, e in enumerate(self.entries):
            texts = [("title", e.title), ("meaning", e.meaning), ("code", e.code)]
            if e.http_status:
                texts.append(("status", str(e.http_status)))
            texts += [("alias", a) for a in e.aliases]
            texts += [("said", a) for a in e.said_as]
            texts += [("keyword", k) for k in e.keywords]
            texts += [("symptom", s) for s in e.symptoms]
            texts += [("cause", c.cause) for c in e.causes]
            for kind, text in texts:
                phrase = Phrase.of(i, kind, text)
                out.append(replace(phrase, terms=tuple(
                    t for t in phrase.terms if t not in self.product_terms)))
        return out

    # ----------------------------------------------------------------------- public

    def match(self, ev: Evidence, product_hint: str | None = None, *,
              confident_only: bool = False) -> MatchResult:
        """Rank catalog entries for one paste. `product_hint` is e.g. a channel default.

        `confident_only`: the caller reads only the confident matches (the escalation
        packet), so a meaning search that cannot make any match confident is skipped; the
        confident matches are the same as without it, the other candidates may be fewer."""
        candidates = self.candidates(ev, product_hint, confident_only=confident_only)
        matches: Iterable[Match] = candidates.matches
        if confident_only:
            # A match the rules rule out is never confident, and the context it adds to
            # (the top score) is already computed: it need not be scored at all.
            matches = [m for m in matches if not ruled_out(m, candidates.context)]
        ranked = decide(list(matches), candidates.context, self.model)
        return MatchResult(matches=tuple(ranked), product=candidates.product,
                           product_reasons=candidates.product_reasons,
                           ambiguous=_ambiguous(ranked),
                           all_clear=candidates.context.all_clear)

    def candidates(self, ev: Evidence, product_hint: str | None = None, *,
                   confident_only: bool = False) -> Candidates:
        """Every entry the paste may point at, with its evidence, before the confidence
        rule decides (the accuracy fit reads these). `confident_only`: see `match`."""
        product_scores, reasons = self.products.score(ev, product_hint)
        found: dict[int, Match] = {}
        echo = self._match_codes(ev, found)
        # A paste that is nothing but a documented code needs no meaning search.
        # Other software's output naming none of our products by any evidence but the
        # spelling of a code that software shares with one (gcloud's PERMISSION_DENIED).
        foreign = foreign_tool(ev.text)
        unnamed = foreign and leader(product_scores) is None
        # Codes spelled in a product's style count as evidence for that product.
        for m in found.values():
            if m.kind == "exact":
                product_scores[m.entry.catalog] += 1.0
        product = leader(product_scores)
        if ((len(ev.text) > 120 or normalize_code(ev.text) not in self.by_norm)
                and not (confident_only and not found and self._meaning_cannot_decide(ev))):
            self._match_text(ev, found, echo, product)
        self._match_status(ev, found)
        self._match_named_objects(ev, found, product)
        ranked = _rank(found.values(), product)
        # "fixed now, nothing wrong": read only where no error status says otherwise.
        all_clear = not any(s >= 400 for s in ev.http_statuses) and says_all_clear(ev.text)
        return Candidates(tuple(ranked), product, tuple(reasons.get(product, ())) if product
                          else (), context(ranked, product, ev.http_statuses, foreign,
                                           foreign_unnamed=unnamed, all_clear=all_clear))

    def nearest(self, text: str, limit: int = 3) -> list[Entry]:
        """Codes nearest a short paste that matched nothing, for 'did you mean'.

        Only typo distance between the paste and the codes counts: small talk has no
        nearest code, and a near-miss like `RATE_LIMTD_ERR` does.
        """
        query = normalize_code(text[:80])
        if len(query) < 5:
            return []
        from rapidfuzz import fuzz, process  # on first use: see textindex._closest

        picks = process.extract(query, self.norm_codes, scorer=fuzz.ratio, limit=limit,
                                score_cutoff=62)
        return [self.entries[i] for code, _, _ in picks for i in self.by_norm[code]][:limit]

    # ----------------------------------------------------------------------- codes

    def _match_codes(self, ev: Evidence, found: dict[int, Match]) -> frozenset[str]:
        """Match codes; return the words of the documented codes found (their echo)."""
        written = self._code_candidates(ev)
        spelled_exactly = self._spelled_exactly(written)
        echo = self._echo_of_codes(written)
        fuzzy_budget = MAX_FUZZY_CANDIDATES
        word_terms: dict[str, tuple[str, ...]] = {}  # this paste's words -> their terms
        # A run of words inside a longer written code ("NOT FOUND" in "SECRET NOT FOUND",
        # `RESOURSE_NOT_FOUND`; "policy not found" in `rotation-policy-not-found`) is part
        # of that code, which is judged whole.
        documented = [w.norm for w in written
                      if w.source != "words" or w.norm in self.by_norm]
        denied = ruled_out_codes(ev.text, [w.text for w in written
                                           if w.source == "token" and w.norm in self.by_norm])
        for w in written:
            if len(w.norm) < 4:
                continue
            if w.source == "words" and any(w.norm in n and w.norm != n for n in documented):
                continue
            if w.source == "words" and w.norm in _REASON_NORMS:
                continue  # "503 Service Unavailable", .NET's `ServiceUnavailable`: a status
            if w.norm in self.by_norm:
                self._match_documented_code(w, ev.text, spelled_exactly, found,
                                            denied=w.source == "token" and w.text in denied)
            elif fuzzy_budget > 0 and self._may_be_misspelled_code(w, echo, word_terms):
                fuzzy_budget -= 1
                self._match_misspelled_code(w, found)
        return echo

    def _code_candidates(self, ev: Evidence) -> list[_Written]:
        """Every written form that may be a code, once each, first seen first: codes in
        error fields, then code-like tokens, then (in short pastes) runs of words."""
        candidates: dict[str, _Written] = {}
        for mention in ev.mentions:
            candidates.setdefault(mention.code, _Written(
                mention.code, normalize_code(mention.code), "mention", mention))
        for token in ev.tokens:
            candidates.setdefault(token, _Written(token, normalize_code(token), "token"))
        if len(ev.text) <= NGRAM_TEXT_LIMIT:
            # Word runs find codes typed as words; a run that only re-spells a code token
            # already found (`RATE LIMTD` for `RATE_LIMTD`) would drop its spelling style.
            written_norms = {w.norm for w in candidates.values()}
            for gram, norm in _ngram_norms(_PATHS.sub(" ", ev.text)):
                if norm not in written_norms:
                    candidates.setdefault(gram, _Written(gram, norm, "words"))
        return list(candidates.values())

    def _spelled_exactly(self, written: list[_Written]) -> set[str]:
        """Normalised codes written exactly as one product spells them. That product owns
        the code: the other product's same-named code is a candidate, not an answer."""
        by_norm, entries = self.by_norm, self.entries
        out = set()
        for w in written:
            ids = by_norm.get(w.norm)
            if ids and any(entries[i].code == w.text for i in ids):
                out.add(w.norm)
        return out

    def _echo_of_codes(self, written: list[_Written]) -> frozenset[str]:
        """The words of the documented codes written in the paste. `secret_not_found` is
        also the words "secret", "found": matches on those words alone only echo the code
        ("not found" ~ `ca_not_found`), they are not new errors. Runs of plain words
        ("token expired") are the person's sentence, not an echo of a code."""
        return frozenset(t for w in written if w.norm in self.by_norm and w.source != "words"
                         for t in terms(w.text))

    def _match_documented_code(self, w: _Written, text: str, spelled_exactly: set[str],
                               found: dict[int, Match], *, denied: bool = False) -> None:
        """A documented code, written exactly or with other case or separators."""
        line = w.mention.line if w.mention else _line_of_text(text, w.text)
        for i in self.by_norm[w.norm]:
            entry = self.entries[i]
            exact = w.text == entry.code
            why = (f"code `{w.text}` {_where(w.mention)}" if exact else
                   f"`{w.text}` is `{entry.code}` with different case or separators"
                   if entry.kind == "error" else f"the paste says its title: {w.text}")
            confident = exact or w.norm not in spelled_exactly
            kind = "exact" if exact else "normalized"
            _keep(found, i, Match(entry, _code_score(w, exact), confident, kind, (why,),
                                  w.mention, line, Signals(code=kind, code_source=w.source,
                                                           contested=not confident,
                                                           rule=confident, denied=denied)))

    def _may_be_misspelled_code(self, w: _Written, echo: frozenset[str],
                                word_terms: dict[str, tuple[str, ...]] | None = None) -> bool:
        """Worth a fuzzy search: long enough, and a run of words only when it has a code's
        word in it and says more than the codes already found.

        `word_terms`: a memo of this paste's words -> their terms (a run of words is made
        of [A-Za-z0-9] words, so its terms are its words' terms in order)."""
        if len(w.norm) < 6:
            return False
        if w.source != "words":
            return True
        if " " not in w.text:
            return False
        words = w.text.lower().split()
        if self.code_words.isdisjoint(words):
            return False
        if word_terms is None:
            return not echo.issuperset(terms(w.text))
        for word in words:
            found = word_terms.get(word)
            if found is None:
                found = word_terms[word] = tuple(terms(word))
            if not echo.issuperset(found):
                return True
        return False

    def _closest_codes(self, norm: str) -> tuple[tuple[str, float], ...]:
        """The (at most three) documented codes within FUZZY_CUTOFF of a written code.

        Memoized per matcher: a long thread repeats its near-codes in message after
        message, and each miss is a fuzzy scan of every code."""
        return self._closest_memo.get(norm, self._scan_codes)

    def _scan_codes(self, norm: str) -> tuple[tuple[str, float], ...]:
        from rapidfuzz import fuzz, process  # on first use: see textindex._closest

        return tuple((code_norm, similarity) for code_norm, similarity, _ in process.extract(
            norm, self.norm_codes, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3))

    def _match_misspelled_code(self, w: _Written, found: dict[int, Match]) -> None:
        """The documented codes a misspelling is closest to (at most three)."""
        hits = [(i, similarity) for code_norm, similarity in self._closest_codes(w.norm)
                for i in self.by_norm[code_norm]]
        if hits and w.source == "words":
            # Words that are a code's words less one ("not found" ~ `ca_not_found`) lack
            # the word that names the error: not a misspelling of it.
            said = frozenset(w.text.lower().split())
            hits = [(i, sim) for i, sim in hits if not said < self._words_of_code[i]]
        if not hits:
            return
        line = w.mention.line if w.mention is not None else 0
        style = code_style(w.text) or ("upper_snake" if w.text.isupper() else None)
        # A misspelling written in one product's style (VERSON_CONFLICT) is that product's.
        styled = {i for i, _ in hits if style and self._style_of(i) == style}
        for i, similarity in hits:
            entry = self.entries[i]
            confident = (similarity >= FUZZY_CONFIDENT and len(w.norm) >= 8
                         and (not styled or i in styled))
            score = round(similarity * 0.95, 1) + (1.0 if i in styled else 0.0)
            why = f"`{w.text}` looks like `{entry.code}` ({similarity:.0f}% similar)"
            _keep(found, i, Match(entry, score, confident, "fuzzy", (why,), w.mention, line,
                                  Signals(code="fuzzy", code_source=w.source,
                                          similarity=similarity, rule=confident,
                                          contested=bool(styled) and i not in styled)))

    # ----------------------------------------------------------------------- text

    def _match_text(self, ev: Evidence, found: dict[int, Match],
                    echo: frozenset[str] = frozenset(), product: str | None = None) -> None:
        """Entries whose words the paste's sentences share (meaning and paraphrase). A
        hit's rank and lead are among its sentence's hits of the product the sentence
        (else the paste) is about: the other product's entries are never its answer."""
        paste_statuses = {s for s in ev.http_statuses if s >= 400}
        for segment in ev.prose:
            if _introduces_list(segment, ev):
                continue
            item_statuses = self._item_statuses(segment, ev)
            statuses = item_statuses or paste_statuses
            status_terms = reason_terms(frozenset(statuses))
            failing = bool(statuses) or _FAILURE.search(segment) is not None
            seg_terms = self._meaning_terms(segment)
            if not seg_terms:
                continue
            negated = negated_terms(segment)
            named = self.products.named_in(segment)
            line: int | None = None
            clause, code_here = 0, False
            forms: dict[str, str] | None = None  # the words as written, once per sentence
            place: dict[str, int] = {}  # and where each term first is
            # An item that writes its status is not another status's error.
            hits = [h for h in self.text.search(seg_terms, limit=8) if h.score >= 0.34
                    and (not item_statuses or self._status_of[h.owner] in item_statuses
                         or self._status_of[h.owner] is None)]
            about = named or product
            # Each hit's rank, and the score of the next hit of its group
            ranks = _ranks_within(hits, [not about or self.entries[h.owner].catalog == about
                                         for h in hits])
            apart: list[tuple[int, frozenset[str]]] | None = None
            for hit, (rank, following) in zip(hits, ranks, strict=True):
                if line is None:
                    line = _line_of_text(ev.text, segment[:40])
                    if segment in ev.items:
                        clause, code_here = self._item_place(ev, segment)
                    elif len(ev.text) <= SHORT_PASTE_CHARS and echo:
                        apart = self._clauses_apart_from_codes(ev, segment)
                entry = self.entries[hit.owner]
                hit_clause, hit_code_here = clause, code_here
                if apart:
                    # Its words all told in a sentence without the written code: a second
                    # error ("... refused with ip_not_allowed. moved to the bastion: now it
                    # says my token has to be MFA-backed"), not the code's echo.
                    hit_clause = next((n for n, words in apart
                                       if words.issuperset(hit.matched)), 0)
                status_ok = entry.http_status in statuses
                score = (55.0 + 35.0 * hit.score + 3.0 * min(hit.query_coverage, 1.0)
                         + (4.0 if status_ok else 0.0))
                # Two shared words are not enough on their own ("bearer token" in a healthy
                # curl transcript): the paste must speak of a failure, or match a long phrase.
                strong = hit.phrase_coverage >= 0.99 and hit.phrase_size >= 3
                effective = hit.score + (0.06 if status_ok else 0.0)
                confident = (effective >= TEXT_CONFIDENT and len(hit.matched) >= 2
                             and (failing or strong) and not echo.issuperset(hit.matched))
                if forms is None:
                    forms = written_forms(segment)
                    for term, written in added_terms(segment):
                        forms.setdefault(term, written)
                    # The words in the order the paste has them ("rate, limited").
                    place = {t: i for i, t in reversed(list(enumerate(seg_terms)))}
                words = ", ".join(_not_repeated(
                    forms.get(t, t) for t in sorted(hit.matched, key=lambda t: place.get(t, 0))))
                why = [] if status_ok and hit.matched == (str(entry.http_status),) else [
                    f"words match {_KIND_SAID.get(hit.phrase_kind, 'its ' + hit.phrase_kind)}: "
                    f"{words}"]  # not "429" said twice
                if not why:  # matched on its status: say which of its words the paste has
                    own = self.text.documented_terms_of(hit.owner)
                    shared = dict.fromkeys(forms.get(t, t) for t in seg_terms
                                           if t in own and not t.isdigit())
                    if shared:
                        why.append(f"words match it: {', '.join(shared)}")
                if status_ok:
                    why.append(f"HTTP {entry.http_status} in the paste matches")
                signals = Signals(
                    text=hit.score, phrase_coverage=hit.phrase_coverage,
                    query_coverage=hit.query_coverage, matched=len(hit.matched),
                    matched_weight=sum(self.text.weight(t) for t in hit.matched),
                    strong_phrase=strong, failing=failing,
                    negated=sum(t in negated for t in hit.matched) / len(hit.matched),
                    echo=echo.issuperset(hit.matched), text_rank=rank,
                    text_margin=hit.score - following, status_ok=status_ok, rule=confident,
                    product=named, status_words=_status_words_only(
                        self.text.documented_terms_of(hit.owner), hit.matched, seg_terms,
                        _reason_not_named(status_terms, code_terms(entry.code))),
                    clause=hit_clause, code_in_sentence=hit_code_here)
                _keep(found, hit.owner, Match(entry, round(min(score, 95.0), 1), confident,
                                              "text", tuple(why), None, line, signals))

    def _match_named_objects(self, ev: Evidence, found: dict[int, Match],
                             product: str | None) -> None:
        """Each listed item that writes its own error status and names the object of one
        of the entries documenting that status in its product ("deleting webhook wh_123
        returns 404") points at that entry, whatever words it tells the rest in."""
        for item in ev.items:
            named = self.products.named_in(item)
            statuses = self._item_statuses(item, ev) if named or product else set()
            if not statuses:
                continue
            place = self._item_place(ev, item)
            if not place[1]:  # an item that writes a code: the code answers it
                self._name_by_status(ev, found, item, statuses, named, product, place)
        self._match_second_errors(ev, found, product)

    def _name_by_status(self, ev: Evidence, found: dict[int, Match], part: str,
                        statuses: set[int], named: str, product: str | None,
                        place: tuple[int, bool]) -> None:
        """The entry a part of the paste (an item, a clause) points at by the status it
        writes: the one documenting it in its product (the one the part `named`, else
        the paste's), or the one whose object it names."""
        owner = named or product
        # A route names what it ends on ("/api/v1/projects/p/certificates/c-8" a
        # certificate, not a project); a secret's path ("secrets/ci/token") is what the
        # part speaks of
        told = with_route_objects(part)
        words = terms(told)
        said = frozenset(words) - negated_terms(told)
        forms = written_forms(told)
        for status in sorted(statuses):
            peers = self._errors_by_status.get((owner or "", status), ())
            # The one entry documenting the status there needs no naming.
            for entry in peers if len(peers) == 1 else named_among(
                    peers, said, missing_terms(told) & said):
                own = object_terms(entry, peers)  # in the part's order, as written
                obj = ", ".join(_not_repeated(forms.get(t, t) for t in words
                                              if t in own and t in said))
                why = (f"HTTP {status} and its object ({obj}) in one part of the paste"
                       if obj else f"HTTP {status} in one part of the paste: its one error")
                _keep(found, self._index[entry.key], Match(
                    entry, 80.0, False, "text", (why,), None,
                    _line_of_text(ev.text, part[:40]),
                    Signals(status_ok=True, failing=True, clause=place[0],
                            code_in_sentence=place[1], object_named=True, product=named)))

    def _match_second_errors(self, ev: Evidence, found: dict[int, Match],
                             product: str | None) -> None:
        """A short paste that writes a code, and an error status in a clause without one
        ("DELETE gives policy_in_use. ... the binding ... comes back 404, binding doesn't
        exist"; "404 engine_not_found. ... then it's a 404 for the role"), tells a second
        error there: that clause names it, as a listed item would. Naming the written
        code's own entry again only repeats it."""
        said = {s for s in ev.http_statuses if s >= 400}
        if not said or ev.items or len(ev.text) > SHORT_PASTE_CHARS:
            return
        written = any(m.signals.code_written for m in found.values())
        codes = self._documented_written(ev)
        numbers = [str(s) for s in said]
        lines = [ln for ln in ev.text.splitlines() if any(x in ln for x in numbers)]
        told: list[tuple[int, str, set[int]]] = []
        for n, clause in enumerate((c for ln in lines for c in clauses(ln)), 1):
            if not any(x in clause for x in numbers) or any(c in clause for c in codes):
                continue  # no status; or the clause of a written code, its answer
            statuses = {s for s in http_statuses(ascii_lower(clause),
                                                 self.products.status_near_name)
                        if s in said}
            if statuses:
                told.append((n, clause, statuses))
        # With no code written, one status clause is the paste's one error, which its
        # words answer; two or more are several errors, each told by its own clause.
        if not written and len(told) < 2:
            return
        for n, clause, statuses in told:
            named = self.products.named_in(clause)
            if named or product:
                self._name_by_status(ev, found, clause, statuses, named, product,
                                     (CLAUSE_PLACES + n, False))

    def _clauses_apart_from_codes(self, ev: Evidence, segment: str
                                  ) -> list[tuple[int, frozenset[str]]]:
        """(place, terms) of each clause of a sentence that writes a documented code
        (`extract.clauses`) but not in this clause; [] when the sentence writes none."""
        codes = self._documented_written(ev)
        parts = clauses(segment)
        if len(parts) < 2 or not any(c in segment for c in codes):
            return []
        return [(2 * CLAUSE_PLACES + n, frozenset(expanded_terms(part)))
                for n, part in enumerate(parts, 1) if not any(c in part for c in codes)]

    def _item_statuses(self, segment: str, ev: Evidence) -> set[int]:
        """The error statuses a listed item writes itself: in "deleting the webhook returns
        404, and then recreating it returns 409", each item is judged by its own status."""
        if len(ev.items) < 2 or segment not in ev.items:
            return set()
        return {s for s in http_statuses(ascii_lower(segment), self.products.status_near_name)
                if s >= 400}

    def _item_place(self, ev: Evidence, item: str) -> tuple[int, bool]:
        """Which listed item a sentence is (1, 2, ...), and whether it writes a documented
        code: "(1) ... (2) ..." on one line are two sentences, each with its own answer."""
        return (ev.items.index(item) + 1,
                any(w in item for w in self._documented_written(ev)))

    def _documented_written(self, ev: Evidence) -> list[str]:
        """The paste's codes and code-like tokens that are documented codes, as written."""
        return [w for w in (*ev.codes, *ev.tokens) if normalize_code(w) in self.by_norm]

    def _meaning_terms(self, segment: str) -> list[str]:
        """A sentence's terms for the meaning index: product names are product evidence,
        URLs and file paths are not words of the sentence."""
        if "/" in segment:
            segment = _PATHS.sub(" ", segment)  # a path's words name files, not problems
        return [t for t in expanded_terms(segment) if t not in self.product_terms]

    def _meaning_cannot_decide(self, ev: Evidence) -> bool:
        """True when no meaning match of this paste can be confident, so a paste with no
        code match needs no meaning search to know it has no answer (the rule of
        bot.triage.confidence.ruled_out: a meaning-only match needs a sentence that speaks
        of a failure, a matching status, or a whole documented phrase). Meaning matches
        merged across sentences keep these signals only if one of them had it."""
        if any(s >= 400 for s in ev.http_statuses):
            return False
        for segment in ev.prose:
            if _FAILURE.search(segment) is not None:
                return False
            seg_terms = self._meaning_terms(segment)
            if seg_terms and self.text.may_cover_phrase(seg_terms):
                return False
        return True

    def _match_status(self, ev: Evidence, found: dict[int, Match]) -> None:
        """The paste's error status: a weak candidate on its own, a bonus for a code."""
        status = ev.error_status
        if status is None or status < 400:
            return
        for i, entry in enumerate(self.entries):
            if entry.http_status == status and i not in found:
                found[i] = Match(entry, 40.0, False, "status",
                                 (f"HTTP {status} is its documented status",),
                                 signals=Signals(status_ok=True))
        for i, m in list(found.items()):
            if m.kind in _CODE_KINDS and m.entry.http_status == status:
                found[i] = replace(_with_reason(m, f"HTTP {status} in the paste matches", 0.5),
                                   signals=replace(m.signals, status_ok=True))


# --------------------------------------------------------------------------- helpers


_CODE_KINDS = frozenset({"exact", "normalized", "fuzzy"})
_KIND_SAID = {"said": "how people say it"}  # "words match how people say it: ..."
# HTTP's reason phrases as words ("Service Unavailable", `ServiceUnavailable`) name a
# status, which `http_facts` reads; they are not a catalog code respelt.
_REASON_NORMS = frozenset(normalize_code(r) for r in REASON_PHRASES)


def _status_words_only(entry_terms: frozenset[str], matched: tuple[str, ...],
                       seg_terms: list[str], status_terms: frozenset[str]) -> bool:
    """The sentence shares nothing with the entry but a status: its number, or its reason
    phrase beside it ("403 Forbidden" is the status said twice, not a login page). The
    caller leaves out of `status_terms` the words of the entry's own code: ScaiVault's
    `service_unavailable` is named by "503 Service Unavailable"."""
    def said(t: str) -> bool:
        return t.isdigit() or t in status_terms

    if not matched or not all(said(t) for t in matched):
        return False
    return all(said(t) for t in entry_terms.intersection(seg_terms))


def _reason_not_named(status_terms: frozenset[str], code: frozenset[str]) -> frozenset[str]:
    """The status's reason words that do not name this entry: all of them, unless its
    code is its status's reason phrase ("503 Service Unavailable" names
    `service_unavailable`; "404 Not Found" names no one of the 404s)."""
    return status_terms - code if code <= status_terms else status_terms


def _introduces_list(segment: str, ev: Evidence) -> bool:
    """The line that opens a list ("two blockers:", "summary for the 11:00-11:30 window:")
    says what follows, not an error of its own."""
    return (len(ev.items) >= 3 and segment == ev.items[0] and segment.rstrip().endswith(":"))


def _ranks_within(hits: Sequence[TextHit], ours: Sequence[bool]) -> list[tuple[int, float]]:
    """(rank, next score) of each hit (best first) among the hits of its group: the paste's
    product's, or the others'."""
    groups: dict[bool, list[int]] = {True: [], False: []}
    for i, o in enumerate(ours):
        groups[o].append(i)
    out: list[tuple[int, float]] = [(0, 0.0)] * len(hits)
    for members in groups.values():
        for rank, i in enumerate(members):
            following = hits[members[rank + 1]].score if rank + 1 < len(members) else 0.0
            out[i] = (rank, following)
    return out


def _not_repeated(written: Iterable[str]) -> list[str]:
    """The words as written, once each, without those a phrase in the list already says:
    "too many requests", not "too many requests, many, requests"."""
    said = list(dict.fromkeys(written))
    phrases = [w.lower().split() for w in said if " " in w]
    return [w for w in said if " " in w or not any(w.lower() in p for p in phrases)]


def _keep(found: dict[int, Match], i: int, m: Match) -> None:
    """Keep the better match per entry; add the other's reason if it is a different kind
    of evidence (one code reason is enough: its word-run variants only repeat it). What
    each per-kind rule said merges in `Signals.rule`; `confident` is decided later."""
    old = found.get(i)
    if old is None:
        found[i] = m
        return
    best, other = (m, old) if m.score > old.score else (old, m)
    same_kind = best.kind == other.kind or {best.kind, other.kind} <= _CODE_KINDS
    merged = best.evidence if same_kind else _distinct_reasons(
        best.evidence + other.evidence)[:4]
    # The line is where the code is written, else where the best meaning match is: the
    # "one answer per sentence" rule reads it.
    at = best if best.kind in _CODE_KINDS or other.kind not in _CODE_KINDS else other
    found[i] = _evolve(best, evidence=merged,
                       mention=best.mention or other.mention, line=at.line,
                       signals=best.signals.merge(other.signals))


def _distinct_reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """Each reason once, and one "words match its title: ..." line per phrase kind, with
    the words of every sentence that matched that kind, each once ("secret, found", not
    a second line "Secret, found")."""
    words: dict[str, list[str]] = {}  # "words match its title" -> words, in order
    out: dict[str, None] = {}
    for reason in reasons:
        kind, _, said = reason.partition(": ")
        if not reason.startswith("words match") or not said:
            out.setdefault(reason)
            continue
        known = words.setdefault(kind, [])
        lower = {w.lower() for w in known}
        known += [w for w in said.split(", ") if w.lower() not in lower]
        out.setdefault(kind)
    return tuple(f"{r}: {', '.join(words[r])}" if r in words else r for r in out)


def _evolve(m: Match, **changes: object) -> Match:
    """`dataclasses.replace` for a Match without its per-call field introspection (the
    matcher copies every candidate a few times per paste)."""
    new = object.__new__(Match)
    state = new.__dict__
    state.update(m.__dict__)
    state.update(changes)
    return new


def _with_reason(m: Match, reason: str, bonus: float) -> Match:
    return replace(m, score=m.score + bonus, evidence=tuple(dict.fromkeys((*m.evidence, reason))))


def _rank(found: Iterable[Match], product: str | None) -> list[Match]:
    """Best first; the paste's product (when known) a little ahead of the others.

    Ties keep the order found: codes in paste order, then meaning hits in catalog
    order. Neither depends on hash order, so ranking is the same in every process.
    """
    ranked = []
    for m in found:
        bonus = 0.0
        if product and m.entry.catalog == product:
            bonus = 1.5
        elif product:
            bonus = -4.0
        ranked.append(_evolve(m, score=round(max(0.0, min(100.0, m.score + bonus)), 1)))
    ranked.sort(key=lambda m: (-m.score, m.line, m.entry.catalog))
    return ranked


def _code_score(w: _Written, exact: bool) -> float:
    """How sure a documented code is: spelled exactly in an error field beats spelled
    exactly in prose, which beats other case or separators; a run of plain words scores
    below a full meaning match, which may explain more of the paste."""
    if w.source == "words":
        return 88.0
    if exact:
        return 100.0 if w.source == "mention" else 99.0
    return 95.0 if code_style(w.text) else 96.0  # a styled respelling is the other product's


def _ambiguous(ranked: list[Match]) -> bool:
    confident = [m for m in ranked if m.confident]
    if len(confident) < 2:
        return False
    a, b = confident[0], confident[1]
    return (a.entry.catalog != b.entry.catalog and abs(a.score - b.score) < 1.5
            and normalize_code(a.entry.code) == normalize_code(b.entry.code))


def _where(mention: CodeMention | None) -> str:
    if mention is None:
        return "written in the paste"
    shape = {"nested_error": "a JSON error envelope", "nested_typed_error": "a JSON error envelope",
             "flat_error": "a JSON error object", "ok_error": "a JSON error object",
             "code_field": "a JSON `code` field", "json_log": "a JSON log line"}
    if mention.shape:
        return f"in {shape[mention.shape]} (line {mention.line + 1})"
    return f"in a key=value log line (line {mention.line + 1})"


_SPLIT = re.compile(r"[A-Za-z0-9]+")
# URLs and file paths (a run of non-space holding `x/y`): their words are not prose. Tried
# at the start of each run only: `\S*\w/\w\S*` retried every offset of a long run.
_PATHS = re.compile(r"(?<!\S)(?=\S*?\w/\w)\S+")
_EDGE_WORDS = frozenset("a an the to of in on at for and or with is are was my our".split())
_FAILURE = re.compile(
    r"(?i)\b(?:errors?|fail\w*|denied|invalid|expired?|refused|unhealthy|unreachable|conflicts?"
    r"|forbidden|unauthori[sz]ed|time[sd]? ?out|exceptions?|can ?not|can't|could not|unable"
    r"|not found|rejected|blocked|locked( out)?|mismatch\w*|exceeded|too many|won't|doesn't"
    r"|broken|down|panic|fatal|unknown|missing|wrong|denies|refuses"
    # ... and in the words of people reporting one
    r"|stop(?:s|ped)? working|not working|no longer|kick(?:s|ed)? (?:us |me |them )?out"
    r"|logged out|log(?:s|ged)? (?:us |me |them )?out|hang(?:s|ing)?|stuck|crash\w*|slow\w*"
    r"|couldn't|wouldn't|isn't|aren't|keeps? (?:asking|failing|saying|returning|getting)"
    r"|breaks?|broke|lost|disappear\w*|complain\w*|outage|flak\w*|intermittent\w*"
    r"|reject\w*|throttl\w*|spik\w*|[45]xx|not allowed|not permitted|refus\w*|bounc\w*|no such"
    r"|does not|did not|didn't|unauthenticated"
    # a status, not a port (`port 443`, `:443`, `443/tcp`, `->443`)
    r"|(?<![:.>\d])(?<!port )[45]\d\d(?:s|'s)?(?![/\d]|[.:]\d))\b"
)


def _ngram_norms(text: str, most: int = 4) -> list[tuple[str, str]]:
    """Words and runs of up to 4 words, for codes typed as words: `csrf invalid`,
    `policy in use`, `versionconflict`; a run never starts or ends on a filler word.
    Each with its normal form (`normalize_code`), made from the words once: a run is
    ASCII letters and digits joined by spaces, so its normal form is its words
    lowercased and joined."""
    out: list[tuple[str, str]] = []
    for part in _RUN_BREAK.split(text):
        words = _SPLIT.findall(part)
        lowered = [w.lower() for w in words]
        out += zip(words, lowered, strict=True)
        edge = [w in _EDGE_WORDS for w in lowered]
        # The "t" of "can't", "doesn't": a run through a contraction is a sentence ("can't
        # be found"), never a code typed as words (`ca_not_found`).
        cut = [w in ("t", "s", "re", "ve", "ll") for w in lowered]
        count = len(words)
        for n in range(2, most + 1):
            for i in range(count - n + 1):
                if edge[i] or edge[i + n - 1] or any(cut[i:i + n]):
                    continue
                out.append((" ".join(words[i:i + n]), "".join(lowered[i:i + n])))
    return out


# Where a run of words ends: a code typed as words is written between spaces, never across
# JSON or log syntax (`"code":"internal_error"` is not the words "code internal").
_RUN_BREAK = re.compile(r"[\"{}\[\]:,;=()<>|`]+")


def _line_of_text(text: str, needle: str) -> int:
    """The line a sentence starts on (its first words, when the sentence was joined
    from several lines)."""
    pos = text.find(needle)
    if pos < 0:
        pos = text.find(needle[:16])
    return text.count("\n", 0, pos) if pos > 0 else 0
