"""Evidence -> which product a paste concerns, with the reasons a person can check.

Two products may document the same code (`RATE_LIMITED`, `rate_limited`); what settles
which one a paste is about is the product's name in the text, the JSON envelope shape,
the request-id format and the channel's default product. Each adds to a score; the
leader is the product, and a tie leaves it open (both products are then shown).
"""

from __future__ import annotations

import re
from collections import defaultdict

from bot.catalog.model import Catalog
from bot.triage.evidence import Evidence

NAME_SCAN_CHARS = 200_000

ProductScores = defaultdict[str, float]
ProductReasons = defaultdict[str, list[str]]


class ProductEvidence:
    """The catalog's products indexed for recognising them in a paste."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.name_patterns = [(p.catalog, _name_pattern({p.name, p.catalog, *p.aliases}))
                              for p in catalog.products.values()]
        self.request_id_patterns = {
            p.catalog: re.compile(rf"\b(?:{p.request_id_pattern})\b")
            for p in catalog.products.values() if p.request_id_pattern
        }

    def score(self, ev: Evidence, hint: str | None) -> tuple[ProductScores, ProductReasons]:
        """Points and reasons per product catalog; `hint` is e.g. a channel's default."""
        scores: ProductScores = defaultdict(float)
        reasons: ProductReasons = defaultdict(list)
        sample = ev.text[:NAME_SCAN_CHARS]
        for catalog, pattern in self.name_patterns:
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


def leader(scores: dict[str, float]) -> str | None:
    """The product with the most points; None when none has any or the top two tie."""
    if not scores:
        return None
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if ordered[0][1] <= 0 or (len(ordered) > 1 and ordered[1][1] == ordered[0][1]):
        return None
    return ordered[0][0]


def _name_pattern(names: set[str]) -> re.Pattern[str]:
    """One pattern for every name of a product, longest first so the longest is reported;
    equal lengths in name order, so the reported name never depends on hash order."""
    ordered = sorted(names, key=lambda n: (-len(n), n))
    alt = "|".join(re.escape(n).replace(r"\ ", r"[\s_-]?") for n in ordered)
    return re.compile(rf"(?i)\b(?:{alt})\b")
