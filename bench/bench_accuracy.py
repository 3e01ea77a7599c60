"""Triage accuracy on the dev and holdout sets, per category (protocol: docs/accuracy.md).

top-1: the first confident answer is acceptable (and every `also` entry is confident);
prec: share of positive pastes whose confident answers are all acceptable;
clean: share of negatives with no confident answer; retry: stated Retry-After read right.
`./dev bench accuracy -v` also lists every miss.
"""

from __future__ import annotations

import sys

from tests.triage.accuracy.scoring import PARTS, score, table

TARGETS = "targets (issue 10): top-1 >= 97 %, prec >= 95 %, clean >= 99 % on both parts"


def main() -> None:
    verbose = "-v" in sys.argv
    for part in PARTS:
        by = score(part)
        print(table(part, by))
        if verbose:
            for o in by["all"].misses:
                print(f"    MISS {o.case.id} [{o.case.category}] expect={list(o.case.expect)} "
                      f"confident={list(o.confident[:4])} retry={o.retry_after_s}")
        print()
    print(TARGETS)
