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
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.catalog.model import Catalog, Entry
from bot.triage.extract import CodeMention, Evidence
from bot.triage.textindex import Phrase, TextIndex, terms

MAX_FUZZY_CANDIDATES = 300
NGRAM_TEXT_LIMIT = 400
FUZZY_CUTOFF = 85.0
FUZZY_CONFIDENT = 88.0
TEXT_CONFIDENT = 0.74


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


@dataclass(frozen=True)
class MatchResult:
    matches: tuple[Match, ...]
    product: str | None  # catalog name the paste most likely concerns
    product_reasons: tuple[str, ...]
    ambiguous: bool  # the best matches are the same idea in different products


def normalize_code(code: str) -> str:
    """`Rate-Limited`, `RATE_LIMITED` and `rate limited` all become `ratelimited`."""
    return re.sub(r"[^a-z0-9]", "", code.lower())


def code_style(word: str) -> str | None:
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", word):
        return "upper_snake"
    if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", word):
        return "lower_snake"
    return None


class Matcher:
    """The catalog indexed for matching; build once, reuse for every paste."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.entries = catalog.entries
        self.by_norm: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            self.by_norm[normalize_code(entry.code)].append(i)
            product = catalog.products.get(entry.catalog)
            for alias in entry.aliases:
                # An alias spelled in the product's own code style is matched as a code.
                if product and code_style(alias) == product.code_style:
                    self.by_norm[normalize_code(alias)].append(i)
        self.norm_codes = list(self.by_norm)
        # The words codes are made of: a run of words is only a code typed as words
        # ("csrf invlid") when one of its words is one of these.
        self.code_words = frozenset(w for e in self.entries
                                    for w in re.split(r"[^a-z0-9]+", e.code.lower()) if w)
        self.text = TextIndex(self._phrases(), len(self.entries))
        self.product_names = self._product_patterns()
        self.request_id_patterns = {
            p.catalog: re.compile(rf"\b(?:{p.request_id_pattern})\b")
            for p in catalog.products.values() if p.request_id_pattern
        }

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
            texts += [("keyword", k) for k in e.keywords]
            texts += [("symptom", s) for s in e.symptoms]
            texts += [("cause", c.cause) for c in e.causes]
            for kind, text in texts:
                out.append(Phrase(owner=i, terms=frozenset(terms(text)), kind=kind))
        return out

    def _product_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        out = []
        for p in self.catalog.products.values():
            names = sorted({p.name, p.catalog, *p.aliases}, key=len, reverse=True)
            alt = "|".join(re.escape(n).replace(r"\ ", r"[\s_-]?") for n in names)
            out.append((p.catalog, re.compile(rf"(?i)\b(?:{alt})\b")))
        return out

    # ----------------------------------------------------------------------- public

    def match(self, ev: Evidence, product_hint: str | None = None) -> MatchResult:
        """Rank catalog entries for one paste. `product_hint` is e.g. a channel default."""
        product_scores, reasons = self._product_evidence(ev, product_hint)
        found: dict[int, Match] = {}
        echo = self._match_codes(ev, found)
        # A paste that is nothing but a documented code needs no meaning search.
        if len(ev.text) > 120 or normalize_code(ev.text) not in self.by_norm:
            self._match_text(ev, found, echo)
        self._match_status(ev, found)
        # Codes spelled in a product's style count as evidence for that product.
        for m in found.values():
            if m.kind == "exact":
                product_scores[m.entry.catalog] += 1.0
        product = _leader(product_scores)
        ranked = []
        for m in found.values():
            bonus = 0.0
            if product and m.entry.catalog == product:
                bonus = 1.5
            elif product:
                bonus = -4.0
            ranked.append(_rescore(m, m.score + bonus))
        ranked.sort(key=lambda m: (-m.score, m.line, m.entry.catalog))
        return MatchResult(
            matches=tuple(ranked),
            product=product,
            product_reasons=tuple(reasons.get(product, ())) if product else (),
            ambiguous=_ambiguous(ranked),
        )

    # ----------------------------------------------------------------------- codes

    def _match_codes(self, ev: Evidence, found: dict[int, Match]) -> frozenset[str]:
        """Match codes; return the words of the documented codes found (their echo)."""
        candidates: dict[str, tuple[str, CodeMention | None]] = {}
        for mention in ev.mentions:
            candidates.setdefault(mention.code, ("mention", mention))
        for token in ev.tokens:
            candidates.setdefault(token, ("token", None))
        if len(ev.text) <= NGRAM_TEXT_LIMIT:
            # Word runs find codes typed as words; a run that only re-spells a code token
            # already found (`RATE LIMTD` for `RATE_LIMTD`) would drop its spelling style.
            written_norms = {normalize_code(w) for w in candidates}
            for gram in _ngrams(ev.text):
                if normalize_code(gram) not in written_norms:
                    candidates.setdefault(gram, ("words", None))
        # A code written exactly as one product spells it is that product's: the other
        # product's same-named code is then only a candidate, not a confident answer.
        spelled_exactly = {normalize_code(w) for w in candidates
                           if any(self.entries[i].code == w
                                  for i in self.by_norm.get(normalize_code(w), ()))}
        # `secret_not_found` is also the words "secret", "found": matches on those words
        # alone only echo the code ("not found" ~ `ca_not_found`), they are not new errors.
        echo = frozenset(t for w in candidates if normalize_code(w) in self.by_norm
                         for t in terms(w))
        fuzzy_budget = MAX_FUZZY_CANDIDATES
        for written, (source, mention) in candidates.items():
            norm = normalize_code(written)
            if len(norm) < 4:
                continue
            hits = self.by_norm.get(norm)
            line = 0
            if hits:
                line = mention.line if mention else _line_of_text(ev.text, written)
                for i in hits:
                    entry = self.entries[i]
                    exact = written == entry.code
                    score = (100.0 if source == "mention" else 99.0) if exact else 96.0
                    if not exact and code_style(written):
                        score -= 1.0  # written in the other product's style
                    if source == "words":
                        score = 88.0  # plain words: a full meaning match may explain more
                    why = (f"code `{written}` {_where(source, mention)}" if exact else
                           f"`{written}` is `{entry.code}` with different case or separators")
                    confident = exact or norm not in spelled_exactly
                    _keep(found, i, Match(entry, score, confident,
                                          "exact" if exact else "normalized", (why,), mention,
                                          line))
                continue
            if fuzzy_budget <= 0 or len(norm) < 6 or (source == "words" and (
                    " " not in written or echo.issuperset(terms(written))
                    or self.code_words.isdisjoint(written.lower().split()))):
                continue
            fuzzy_budget -= 1
            if mention is not None:
                line = mention.line
            style = code_style(written) or ("upper_snake" if written.isupper() else None)
            hits = [(i, similarity) for code_norm, similarity, _ in process.extract(
                norm, self.norm_codes, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3)
                for i in self.by_norm[code_norm]]
            # A misspelling written in one product's style (VERSON_CONFLICT) is that product's.
            styled = {i for i, _ in hits if style and self._style_of(i) == style}
            for i, similarity in hits:
                entry = self.entries[i]
                confident = (similarity >= FUZZY_CONFIDENT and len(norm) >= 8
                             and (not styled or i in styled))
                score = round(similarity * 0.95, 1) + (1.0 if i in styled else 0.0)
                why = f"`{written}` looks like `{entry.code}` ({similarity:.0f}% similar)"
                _keep(found, i, Match(entry, score, confident, "fuzzy", (why,), mention, line))
        return echo

    # ----------------------------------------------------------------------- text

    def _match_text(self, ev: Evidence, found: dict[int, Match],
                    echo: frozenset[str] = frozenset()) -> None:
        statuses = {s for s in ev.http_statuses if s >= 400}
        for segment in ev.prose:
            failing = bool(statuses) or _FAILURE.search(segment) is not None
            seg_terms = terms(segment)
            if not seg_terms:
                continue
            line: int | None = None
            for hit in self.text.search(seg_terms, limit=8):
                if hit.score < 0.34:
                    continue
                if line is None:
                    line = _line_of_text(ev.text, segment[:40])
                entry = self.entries[hit.owner]
                status_ok = entry.http_status in statuses
                score = (55.0 + 35.0 * hit.score + 3.0 * min(hit.query_coverage, 1.0)
                         + (4.0 if status_ok else 0.0))
                # Two shared words are not enough on their own ("bearer token" in a healthy
                # curl transcript): the paste must speak of a failure, or match a long phrase.
                strong = hit.phrase_coverage >= 0.99 and hit.phrase_size >= 3
                effective = hit.score + (0.06 if status_ok else 0.0)
                confident = (effective >= TEXT_CONFIDENT and len(hit.matched) >= 2
                             and (failing or strong) and not echo.issuperset(hit.matched))
                why = [f"words match its {hit.phrase_kind}: {', '.join(hit.matched)}"]
                if status_ok:
                    why.append(f"HTTP {entry.http_status} in the paste matches")
                _keep(found, hit.owner, Match(entry, round(min(score, 95.0), 1), confident,
                                              "text", tuple(why), None, line))

    def _match_status(self, ev: Evidence, found: dict[int, Match]) -> None:
        status = ev.error_status
        if status is None or status < 400:
            return
        for i, entry in enumerate(self.entries):
            if entry.http_status == status and i not in found:
                found[i] = Match(entry, 40.0, False, "status",
                                 (f"HTTP {status} is its documented status",))
        for m in list(found.values()):
            if m.kind in ("exact", "normalized", "fuzzy") and m.entry.http_status == status:
                idx = self.entries.index(m.entry)
                found[idx] = _with_reason(m, f"HTTP {status} in the paste matches", 0.5)

    # ----------------------------------------------------------------------- product

    def _product_evidence(self, ev: Evidence, hint: str | None
                          ) -> tuple[defaultdict[str, float], dict[str, list[str]]]:
        scores: defaultdict[str, float] = defaultdict(float)
        reasons: dict[str, list[str]] = defaultdict(list)
        sample = ev.text[:200_000]
        for catalog, pattern in self.product_names:
            m = pattern.search(sample)
            if m:
                scores[catalog] += 3.0
                reasons[catalog].append(f"names the product ({m.group(0)})")
        for shape in ev.shapes:
            owners = [p.catalog for p in self.catalog.products.values() if shape in p.envelopes]
            for catalog in owners:
                scores[catalog] += 2.0 / len(owners)
                reasons[catalog].append(f"{shape.replace('_', ' ')} JSON shape")
        for catalog, pattern in self.request_id_patterns.items():
            if any(pattern.fullmatch(r) for r in ev.request_ids):
                scores[catalog] += 2.0
                reasons[catalog].append("request id format")
        if hint and hint in self.catalog.products:
            scores[hint] += 1.5
            reasons[hint].append("channel default")
        return scores, reasons

    def nearest(self, text: str, limit: int = 3) -> list[Entry]:
        """Codes nearest a short paste that matched nothing, for 'did you mean'.

        Only typo distance between the paste and the codes counts: small talk has no
        nearest code, and a near-miss like `RATE_LIMTD_ERR` does.
        """
        query = normalize_code(text[:80])
        if len(query) < 5:
            return []
        picks = process.extract(query, self.norm_codes, scorer=fuzz.ratio, limit=limit,
                                score_cutoff=62)
        return [self.entries[i] for code, _, _ in picks for i in self.by_norm[code]][:limit]


# --------------------------------------------------------------------------- helpers


_CODE_KINDS = frozenset({"exact", "normalized", "fuzzy"})


def _keep(found: dict[int, Match], i: int, m: Match) -> None:
    """Keep the better match per entry; add the other's reason if it is a different kind
    of evidence (one code reason is enough: its word-run variants only repeat it)."""
    old = found.get(i)
    if old is None:
        found[i] = m
        return
    best, other = (m, old) if m.score > old.score else (old, m)
    same_kind = best.kind == other.kind or {best.kind, other.kind} <= _CODE_KINDS
    merged = best.evidence if same_kind else tuple(
        dict.fromkeys(best.evidence + other.evidence))[:4]
    confident = best.confident if same_kind else best.confident or other.confident
    found[i] = Match(best.entry, best.score, confident, best.kind, merged,
                     best.mention or other.mention, min(best.line, other.line))


def _with_reason(m: Match, reason: str, bonus: float) -> Match:
    return Match(m.entry, m.score + bonus, m.confident, m.kind,
                 tuple(dict.fromkeys((*m.evidence, reason))), m.mention, m.line)


def _rescore(m: Match, score: float) -> Match:
    return Match(m.entry, round(max(0.0, min(100.0, score)), 1), m.confident, m.kind,
                 m.evidence, m.mention, m.line)


def _leader(scores: dict[str, float]) -> str | None:
    if not scores:
        return None
    ordered = sorted(scores.items(), key=lambda kv: -kv[1])
    if ordered[0][1] <= 0 or (len(ordered) > 1 and ordered[1][1] == ordered[0][1]):
        return None
    return ordered[0][0]


def _ambiguous(ranked: list[Match]) -> bool:
    confident = [m for m in ranked if m.confident]
    if len(confident) < 2:
        return False
    a, b = confident[0], confident[1]
    return (a.entry.catalog != b.entry.catalog and abs(a.score - b.score) < 1.5
            and normalize_code(a.entry.code) == normalize_code(b.entry.code))


def _where(source: str, mention: CodeMention | None) -> str:
    if mention is None:
        return "written in the paste"
    shape = {"nested_error": "a JSON error envelope", "flat_error": "a JSON error object",
             "code_field": "a JSON `code` field", "json_log": "a JSON log line"}
    if mention.shape:
        return f"in {shape[mention.shape]} (line {mention.line + 1})"
    return f"in a key=value log line (line {mention.line + 1})"


_SPLIT = re.compile(r"[A-Za-z0-9]+")
_EDGE_WORDS = frozenset("a an the to of in on at for and or with is are was my our".split())
_FAILURE = re.compile(
    r"(?i)\b(?:errors?|fail\w*|denied|invalid|expired?|refused|unhealthy|unreachable|conflicts?"
    r"|forbidden|unauthori[sz]ed|time[sd]? ?out|exceptions?|cannot|can't|unable|not found"
    r"|rejected|blocked|locked( out)?|mismatch\w*|exceeded|too many|won't|doesn't|broken|down"
    r"|panic|fatal|unknown|missing|wrong|denies|refuses)\b"
)


def _ngrams(text: str, most: int = 4) -> list[str]:
    """Words and runs of up to 4 words, for codes typed as words: `csrf invalid`,
    `policy in use`, `versionconflict`; a run never starts or ends on a filler word."""
    words = _SPLIT.findall(text)
    grams = []
    for n in range(1, most + 1):
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if n > 1 and (run[0].lower() in _EDGE_WORDS or run[-1].lower() in _EDGE_WORDS):
                continue
            grams.append(" ".join(run))
    return grams


def _line_of_text(text: str, needle: str) -> int:
    pos = text.find(needle)
    return text.count("\n", 0, pos) if pos > 0 else 0
