"""When a match is an answer: one documented decision rule for `confident`.

The matcher finds candidates and the evidence behind each (`Signals`). This module turns
that evidence into a probability with a small logistic model, fitted on the dev part of
the accuracy set only (`python -m tests.triage.accuracy.fit`; the weights ship as
`confidence.json`), and applies six rules no weight may override:

1. **Product consistency**: when the paste names or implies a product (name, envelope
   shape, request-id format, channel default), the other product's entries are never
   confident unless their code is written in the paste exactly as that product spells it.
   A sentence that names one product judges its own meaning matches by that product.
2. **Negation**: a meaning match whose shared words the paste rules out ("it's not a rate
   limit") is never confident.
3. **Generic words alone never decide**: with no product, no documented code and no
   matching status, a meaning match needs distinctive words, not "not found" or "conflict";
   and a meaning match needs a sentence that speaks of a failure (or a matching status, or
   a whole documented phrase): a licensing question sharing "multi-dc" is not an error.
   Other software's output (npm, pip, kubectl, botocore, ...) that names no product gives
   no meaning answer at all: only a documented code written in it exactly can be one (a
   code respelt in it, `AccessDenied`, "Permission denied", is that software's own, and
   so is one that software writes itself: gcloud's `PERMISSION_DENIED`, OAuth's
   `insufficient_scope`).
   A misspelt code written in one product's style (`VERSON_CONFLICT`) is not the other's.
   A paste that reports all is well ("fixed now, nothing wrong on the MazeVault side")
   names no error in words either.
4. **A status is an answer only when one entry documents it**: "HTTP 409 from ScaiVault"
   names one of six errors; the answer lists them (`Triage.same_status`), it does not pick.
   A meaning match that shares nothing with its entry but the status number is the same.
   But a listed item, or a clause beside a written code, that writes its own status is
   answered by the one entry documenting that status in its product, or by the one whose
   object it names ("deleting webhook wh_123 -> 404": bot.triage.objects); and an item's
   status rules out the entries documented with another.
5. **One answer per error**: a meaning match on a sentence that already gave a confident
   answer, or that only echoes a documented code found in the paste, is a synonym of that
   answer, not a second error. Of a sentence's near-equal meaning matches (within
   EQUAL_PROBABILITY of its best), the one sharing the most distinctive words stands.
   Each item of a listed paste ("(1) ... (2) ...", "..., and separately ...") is a
   sentence of its own, even on one line; so is each clause that tells its own error by
   status and object, and the line it is on then tells none of its own.
6. **A code said in words names its error**: a code of three words or more written out
   in its product's paste ("... a 404 too (webhook not found)") is an answer; a code
   written only to rule it out ("It is NOT IP_BLOCKED") never is.

Confident answers come in the order their codes are written, then by probability;
the rest by score.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.triage.product import FOREIGN_CODES

if TYPE_CHECKING:
    from bot.triage.match import Match

MODEL_FILE = "confidence.json"
GENERIC_WEIGHT = 14.0  # summed IDF below which shared words are generic (no context)
EQUAL_PROBABILITY = 0.1  # of one sentence's meaning matches, as probable as its best
CLAUSE_PLACES = 100  # Signals.clause from here on: a clause of an unlisted paste (match)


@dataclass(frozen=True)
class Context:
    """What the whole paste says, beside one candidate's own evidence."""

    product: str | None  # the product the paste concerns, if any
    has_code: bool  # a documented code is written in the paste
    statuses: frozenset[int]  # error statuses (>= 400) in the paste
    status_peers: Mapping[str, int]  # catalog -> entries documenting the paste's status
    top_score: float
    foreign: bool = False  # the paste is other software's output and names no product
    # ... names none, a code's spelling aside (gcloud's PERMISSION_DENIED is MazeVault's too)
    foreign_unnamed: bool = False
    all_clear: bool = False  # the paste says all is well ("fixed now, nothing wrong")
    code_lines: frozenset[int] = frozenset()  # lines holding a documented code


def context(matches: Sequence[Match], product: str | None,
            statuses: Sequence[int], foreign: bool = False, *,
            foreign_unnamed: bool = False, all_clear: bool = False) -> Context:
    """The paste-wide facts the features read."""
    errors = frozenset(s for s in statuses if s >= 400)
    peers: dict[str, int] = {}
    for m in matches:
        if m.entry.http_status in errors:
            peers[m.entry.catalog] = peers.get(m.entry.catalog, 0) + 1
    return Context(product=product,
                   has_code=any(m.signals.documented_code for m in matches),
                   statuses=errors, status_peers=peers,
                   top_score=max((m.score for m in matches), default=0.0),
                   foreign=foreign and product is None, foreign_unnamed=foreign_unnamed,
                   all_clear=all_clear and not errors,
                   code_lines=frozenset(m.line for m in matches if m.signals.code_written))


def features(m: Match, ctx: Context) -> dict[str, float]:
    """The evidence of one candidate as named numbers (the model's inputs)."""
    s = m.signals
    code_written = s.code_written
    status_only = m.kind == "status" or (s.status_words and not s.code)
    # A listed item that writes no code is a sentence of its own: a meaning match there is
    # neither beside the paste's code nor apart from it ("(1) the import is rejected ...,
    # and separately the reports page throws INTERNAL_ERROR").
    by_code = ctx.has_code and not s.code and not (s.clause and not s.code_in_sentence)
    peers = ctx.status_peers.get(m.entry.catalog, 0)
    product = product_of(m, ctx)
    return {
        "exact_in_field": float(s.code == "exact" and s.code_source == "mention"),
        "exact_in_text": float(s.code == "exact" and s.code_source == "token"),
        "respelt_code": float(s.code == "normalized" and s.code_source != "words"),
        "code_as_words": float(s.documented_code and s.code_source == "words"),
        "misspelt_code": max(0.0, s.similarity - 80.0) / 20.0 if s.code == "fuzzy" else 0.0,
        "text": s.text,
        "phrase_coverage": min(s.phrase_coverage, 1.0),
        "query_coverage": min(s.query_coverage, 1.0),
        "shared_words": min(s.matched, 4) / 4.0,
        "shared_weight": min(s.matched_weight, 15.0) / 15.0,
        "strong_phrase": float(s.strong_phrase),
        "failing": float(s.failing),
        "negated": s.negated,
        "echo": float(s.echo and not code_written),
        "best_in_sentence": float(s.text > 0 and s.text_rank == 0),
        "sentence_margin": min(s.text_margin, 0.5) * 2.0 if s.text > 0 else 0.0,
        "status_agrees": float(s.status_ok),
        "status_differs": float(bool(ctx.statuses) and m.entry.http_status is not None
                                and not s.status_ok),
        "status_only": float(status_only),
        "status_only_unique": float(status_only and peers == 1),
        "status_only_share": 1.0 / peers if status_only and peers else 0.0,
        "same_product": float(product == m.entry.catalog),
        "other_product": float(product is not None and product != m.entry.catalog),
        "own_sentence_product": float(bool(s.product) and s.product == m.entry.catalog
                                      and s.product != ctx.product),
        "meaning_beside_code": float(by_code and _near(m.line, ctx)),
        "meaning_apart_from_code": float(by_code and not _near(m.line, ctx)),
        "no_context": float(product is None and not ctx.has_code and not s.status_ok
                            and not s.code),
        "behind_top": max(-3.0, (m.score - ctx.top_score) / 10.0),
        "troubleshooting": float(m.entry.kind != "error"),
        "contested": float(s.contested),
        "foreign": float(ctx.foreign),
        "meaning_only": float(not s.code and not status_only),
        "meaning_only_coverage": min(s.query_coverage, 1.0) if not s.code and not status_only
        else 0.0,
        "kind_rule": float(s.rule),
    }


@dataclass(frozen=True)
class Model:
    """A logistic model over `features`, and the probability from which a match is
    confident (both chosen on the dev part of the accuracy set)."""

    weights: Mapping[str, float]
    bias: float
    threshold: float

    def probability(self, x: Mapping[str, float]) -> float:
        weights = self.weights
        z = self.bias
        for k, v in x.items():
            if v:  # most features of a candidate are 0
                z += weights.get(k, 0.0) * v
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, object]:
        return {"bias": self.bias, "threshold": self.threshold, "weights": dict(self.weights)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> Model:
        weights = raw.get("weights")
        if not isinstance(weights, dict):
            raise ValueError("confidence model: `weights` must be a mapping")
        return cls(weights={str(k): float(v) for k, v in weights.items()},
                   bias=float(raw.get("bias", 0.0)),  # type: ignore[arg-type]
                   threshold=float(raw.get("threshold", 0.5)))  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    """The model fitted on dev, shipped beside this module. Read as a plain file when it
    is one (always, from a wheel or a checkout): importlib.resources pulls in zipfile,
    tempfile and more, ~4 ms of `errcode lookup`'s start; the resource API stays for a
    package imported from an archive."""
    beside = Path(__file__).with_name(MODEL_FILE)
    if beside.is_file():
        text = beside.read_text(encoding="utf-8")
    else:
        from importlib import resources

        text = resources.files("bot.triage").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return Model.from_dict(json.loads(text))


def decide(matches: Sequence[Match], ctx: Context, model: Model | None = None) -> list[Match]:
    """Every match with its probability and `confident` set by the rule; confident first
    (`_answer_order`), then the rest by score."""
    model = model or shipped_model()
    scored = []
    for m in matches:
        p = model.probability(features(m, ctx))
        ok = (p >= model.threshold or m.signals.object_named or _long_code_said(m, ctx)
              ) and not ruled_out(m, ctx)
        scored.append(replace(m, probability=round(p, 4), confident=ok))
    scored = _one_per_sentence(scored)
    confident = sorted((m for m in scored if m.confident), key=_answer_order)
    rest = [m for m in scored if not m.confident]
    return confident + rest


def _long_code_said(m: Match, ctx: Context) -> bool:
    """A code of three words or more written out as words in the paste of its product
    ("... is also a 404 (webhook not found)"): the person names the error, whatever else
    the paste holds."""
    s = m.signals
    return (s.documented_code and s.code_source == "words" and _words_in_code(m) >= 3
            and product_of(m, ctx) == m.entry.catalog and (s.status_ok or s.failing))


def product_of(m: Match, ctx: Context) -> str | None:
    """The product a match is judged against: its sentence's, when the sentence names
    one (a paste about two products), else the paste's."""
    return m.signals.product or ctx.product


def _near(line: int, ctx: Context) -> bool:
    """On a line holding a code, or next to one (an envelope's message line)."""
    return any(abs(line - code_line) <= 2 for code_line in ctx.code_lines)


def _answer_order(m: Match) -> tuple[float, ...]:
    """Codes written in the paste first, in the order written; then the rest, the items
    of a listed paste in their order, most probable first."""
    if m.signals.code_written:
        return (0, m.line, -m.score)
    return (1, m.signals.clause, -m.probability, -m.score)


def ruled_out(m: Match, ctx: Context) -> bool:
    """Rules 1-4 of the module docstring, and the denial of rule 6."""
    s = m.signals
    product = product_of(m, ctx)
    if product and m.entry.catalog != product and s.code != "exact":
        return True
    if s.negated >= 0.5 and s.code_source in ("", "words") and not s.object_named:
        # ruled out in the person's words ("not a rate limit"); not an object a status
        # says is missing ("-> 404, that engine isn't mounted")
        return True
    if s.denied:
        return True  # a code named to rule it out ("It is NOT IP_BLOCKED")
    if ctx.foreign and not s.product and s.code and s.code != "exact":
        return True  # other software's output: a code respelt in it is that software's
    if (ctx.foreign_unnamed and not s.product and s.code == "exact"
            and m.entry.code in FOREIGN_CODES):
        return True  # ... and so is one it writes itself (gcloud's PERMISSION_DENIED)
    if s.code == "fuzzy" and s.contested and product != m.entry.catalog:
        return True  # misspelt in the other product's style (VERSON_CONFLICT): not this one
    if s.code:
        return False
    if s.status_words and not s.status_ok:
        return True  # a number the paste does not say is a status ("... 401 ...") names nothing
    # Peers within the product the paste names or implies; with none, across catalogs:
    # a bare "HTTP 429" is one of three documented errors, not MazeVault's one.
    peers = (ctx.status_peers.get(m.entry.catalog, 0) if product
             else sum(ctx.status_peers.values()))
    if (m.kind == "status" or s.status_words) and peers > 1 and not s.object_named:
        return True  # one of several errors with this status: the answer lists them all
    if not (s.failing or s.status_ok or s.strong_phrase):
        return True  # a question or a healthy transcript sharing a few words
    if ctx.foreign and not s.product:
        return True  # other software's output, no product named: its words are its own
    if ctx.all_clear:
        return True  # "fixed now, nothing wrong on the MazeVault side": no error to name
    return (product is None and not ctx.has_code and not s.status_ok
            and s.matched_weight < GENERIC_WEIGHT and not s.strong_phrase)


def _written_code(m: Match) -> bool:
    """A code the paste writes, exactly, respelt or misspelt, or says in three words or
    more ("agent registration failed"); not two prose words that only look like one ("the
    per-window rate limit" is like `rate_limited`: a meaning, judged as one)."""
    s = m.signals
    return bool(s.code) and not (s.code == "fuzzy" and s.code_source == "words"
                                 and _words_in_code(m) < 3)


def _words_in_code(m: Match) -> int:
    """How many words its entry's code has (`agent-registration-fails`: 3)."""
    return len(m.entry.code.replace("-", "_").split("_"))


def _one_per_sentence(matches: list[Match]) -> list[Match]:
    """Rule 5: of the meaning-only matches on one sentence, one stands: the one sharing
    the most distinctive words with it among those within EQUAL_PROBABILITY of the most
    probable (the model tells an answer from noise better than two siblings apart, "two
    datacenters" from "current plan"); beside a documented code on the same line, none
    does."""
    code_lines = {m.line for m in matches if m.confident and _written_code(m)}
    # Where a confident code sits, and in which listed item (its words' item, for a code
    # written out as words: "- binding ... -> 404, identity not found").
    code_items = {(m.line, m.signals.clause) for m in matches
                  if m.confident and m.signals.code_source == "words" and m.signals.clause}
    # Lines whose clauses each told their own error by status and object: the line as a
    # whole tells none of its own ("GET rotation policy rp_88 -> 404, DELETE event
    # subscription sub_12 -> 404" is not also `policy_not_found`).
    told_by_clause = {m.line for m in matches if m.confident and m.signals.object_named
                      and m.signals.clause >= CLAUSE_PLACES}
    kept: set[tuple[int, int]] = set()
    out = list(matches)
    best: dict[tuple[int, int], float] = {}  # the most probable of each sentence
    for m in out:
        if m.confident and not _written_code(m):
            at = (m.line, m.signals.clause)
            best[at] = max(best.get(at, 0.0), m.probability)

    def standing(i: int) -> tuple[float, ...]:
        m = out[i]
        near_best = m.probability >= best.get((m.line, m.signals.clause), 1.0) - EQUAL_PROBABILITY
        return (not m.signals.object_named, not near_best, -m.signals.matched_weight,
                -m.probability)

    for i in sorted(range(len(out)), key=standing):
        m = out[i]
        if m.confident and not _written_code(m):
            s = m.signals
            # A listed item ("(1) ... (2) ...", even on one line) is a sentence of its
            # own: beside a code on its line only when it writes that code itself.
            beside_code = m.line in code_lines and (
                not s.clause or s.code_in_sentence or (m.line, s.clause) in code_items)
            whole_line = not s.clause and m.line in told_by_clause
            if beside_code or whole_line or (m.line, s.clause) in kept:
                out[i] = replace(m, confident=False)
            else:
                kept.add((m.line, s.clause))
    return out
