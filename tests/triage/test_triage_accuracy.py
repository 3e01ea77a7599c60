"""Accuracy on realistic pastes: top-1 >= 95%, and no confident match on negatives.

The cases live in tests/triage_cases.yml, written by hand, each with the
answers a support engineer would accept.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.triage.engine import triage

CASES = yaml.safe_load((Path(__file__).parent / "triage_cases.yml").read_text())["cases"]
MIN_TOP1 = 0.95


def _run(case: dict) -> tuple[bool, str]:
    """(passed, what happened) for one case."""
    result = triage(case["paste"])
    confident = [f.entry.key for f in result.confident]
    if not case["expect"]:
        return not confident, f"confident: {confident}"
    top = confident[0] if confident else None
    ok = top in case["expect"] and all(a in confident for a in case.get("also", []))
    return ok, f"top: {top}, confident: {confident[:5]}"


def test_case_file_is_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 120
    assert sum(1 for c in CASES if not c["expect"]) >= 20


def test_top1_accuracy_and_no_confident_negatives(capsys):
    failures = []
    by_kind: Counter[str] = Counter()
    passed_by_kind: Counter[str] = Counter()
    for case in CASES:
        ok, what = _run(case)
        by_kind[case["kind"]] += 1
        passed_by_kind[case["kind"]] += ok
        if not ok:
            failures.append(f"{case['id']}: expected {case['expect']} {what}")
    positives = [c for c in CASES if c["expect"]]
    negatives = [c for c in CASES if not c["expect"]]
    failed_ids = {f.split(":")[0] for f in failures}
    top1 = sum(c["id"] not in failed_ids for c in positives) / len(positives)
    false_positives = sum(c["id"] in failed_ids for c in negatives)
    with capsys.disabled():
        print(f"\ntriage accuracy: top-1 {top1:.1%} on {len(positives)} positives; "
              f"{false_positives} confident matches on {len(negatives)} negatives")
        for kind in sorted(by_kind):
            print(f"  {kind:<10} {passed_by_kind[kind]}/{by_kind[kind]}")
        for failure in failures:
            print(f"  MISS {failure}")
    assert false_positives == 0, failures
    assert top1 >= MIN_TOP1, failures


@pytest.mark.parametrize("case", [c for c in CASES if not c["expect"]], ids=lambda c: c["id"])
def test_negative_has_no_confident_match(case):
    ok, what = _run(case)
    assert ok, what
