"""A paste again with fresh request ids is triaged once, and answered as if triaged anew."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.catalog.load import load_catalog
from bot.escalation.repeats import RepeatedPastes
from bot.triage.engine import Triage, TriageEngine, TriageHints
from tests.fakes import escalation_thread as fx

ENGINE = TriageEngine(load_catalog(None))
HINTS = TriageHints(confident_only=True, now=datetime(2026, 4, 24, 3, 10, tzinfo=UTC))


def answer(result: Triage) -> tuple[object, ...]:
    """Everything of a triage an escalation packet reads."""
    return (result.query, result.product, result.evidence.request_ids,
            result.evidence.mentions,
            [(f.entry.key, f.kind, f.mention, f.evidence, f.retry) for f in result.confident])


def copies(text: str, n: int = 6) -> list[str]:
    return [text.replace("req_", f"req_{i:05d}x") for i in range(n)]


@pytest.mark.parametrize("text", [text for _, text in [*fx.SCAI_MESSAGES, *fx.MAZE_MESSAGES]
                                  if "req_" in text or "request" in text.lower()])
def test_each_copy_is_answered_as_its_own_triage_would(text):
    pastes = RepeatedPastes(ENGINE, HINTS)
    for copy in copies(text):
        assert answer(pastes.triage(copy)) == answer(ENGINE.triage(copy, HINTS))


class CountingEngine(TriageEngine):
    """The real engine, counting the pastes it matches."""

    matched: list[str]

    def answer(self, text, ev, hints=None):  # type: ignore[no-untyped-def]
        self.matched.append(text)
        return super().answer(text, ev, hints)


def test_a_copy_is_answered_from_the_first_and_keeps_its_own_ids():
    first, again = copies('X-Request-ID: req_abc12345\n{"error":{"code":"rate_limited",'
                          '"message":"Too many requests","request_id":"req_def67890"}}', 2)
    engine = CountingEngine(ENGINE.catalog)
    engine.matched = []
    pastes = RepeatedPastes(engine, HINTS)
    pastes.triage(first)
    result = pastes.triage(again)
    assert engine.matched == [first]  # the copy is not matched again
    assert result.evidence.request_ids == ("req_00001xabc12345", "req_00001xdef67890")
    assert [f.mention.request_id for f in result.confident if f.mention] == [
        "req_00001xdef67890"]
    assert answer(result) == answer(ENGINE.triage(again, HINTS))


def test_a_copy_whose_ids_are_not_all_written_alike_is_triaged_on_its_own():
    pastes = RepeatedPastes(ENGINE, HINTS)
    texts = [f'trace-req_{i}0000abc then {{"error":{{"code":"token_expired",'
             f'"message":"Token expired","request_id":"req_{i}0000abc"}}}}' for i in (1, 2)]
    for text in texts:
        assert answer(pastes.triage(text)) == answer(ENGINE.triage(text, HINTS))


def test_ids_of_another_format_are_not_stood_for_by_this_one():
    pastes = RepeatedPastes(ENGINE, HINTS)
    pastes.triage('{"error":{"code":"rate_limited","request_id":"req_aaaa1111"}}')
    other = '{"error":{"code":"rate_limited","request_id":"job_aaaa1111"}}'
    assert pastes._as_read(other, ["job_aaaa1111"]) == other
