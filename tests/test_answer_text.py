"""Answers people read (issue 10): nothing said twice, nothing offered that is worth
nothing, and a status with several documented meanings listed as such. Slack's blocks and
the terminal text are checked alike: both render the same Answer."""

from __future__ import annotations

import json

import pytest

from bot.answers import Action, Asked, triage_answer
from bot.catalog.load import load_catalog
from bot.config import Settings
from bot.core import Core
from bot.slack.replies import reply_for
from bot.store import Store
from bot.triage.render import triage_text


@pytest.fixture
def core():
    with Store(":memory:") as store:
        yield Core.load(Settings(), load_catalog(), store)


def ask(core: Core, text: str, *, ephemeral: bool = True):
    return triage_answer(core, Asked(text=text, channel="C0CHAN", user="U0USER",
                                     surface="slash" if ephemeral else "mention",
                                     ephemeral=ephemeral))


def rendered(core: Core, answer) -> str:
    return json.dumps(reply_for(answer, core.catalog).blocks) + triage_text(answer.triage)


def test_a_meaning_that_only_repeats_the_title_is_shown_once(core):
    answer = ask(core, "AUTH_EXPIRED")
    entry = answer.triage.confident[0].entry
    assert (entry.title, entry.meaning) == ("Token expired", "Token has expired")
    text = rendered(core, answer)
    assert "Token has expired" not in text and "Token expired" in text
    # A meaning that adds something ("missing") is kept.
    assert "CSRF token missing or invalid" in rendered(core, ask(core, "CSRF_INVALID"))


def test_no_share_button_on_an_answer_that_found_nothing(core):
    found = ask(core, "RATE_LIMITED")
    nothing = ask(core, "the coffee machine on floor 3 is out of beans")
    assert Action.SHARE in {o.action for o in found.offers}
    assert not nothing.triage.confident
    assert Action.SHARE not in {o.action for o in nothing.offers}
    assert "Share in channel" not in json.dumps(reply_for(nothing, core.catalog).blocks)


def test_a_status_with_several_documented_errors_lists_them(core):
    answer = ask(core, "getting 409s from scaivault on PUT")
    t = answer.triage
    assert not t.confident
    codes = {e.code for e in t.same_status}
    assert {"version_conflict", "secret_exists", "policy_in_use"} <= codes
    assert all(e.catalog == "scaivault" and e.http_status == 409 for e in t.same_status)
    text = rendered(core, answer)
    assert f"HTTP 409 is documented for {len(codes)} ScaiVault errors" in text
    assert "version_conflict" in text and "secret_exists" in text


def test_the_default_retry_note_stands_where_it_is_shown(core):
    text = rendered(core, ask(core, "feature_disabled"))
    assert "listed above" not in text
    assert "Not in ScaiVault's retry table, so generally non-retryable." in text


def test_reasons_quote_the_words_as_written(core):
    answer = ask(core, "users get access denied when reading secrets in scaivault")
    reasons = " ".join(r for f in answer.triage.findings for r in f.evidence)
    assert "denied" in reasons and "deni," not in reasons and not reasons.endswith("deni")


def test_a_symptom_worded_as_the_meaning_is_not_said_twice(core):
    answer = ask(core, "login fails with 403 on mazevault since the proxy change")
    entry = answer.triage.confident[0].entry
    assert entry.key == "mazevault:login-fails-with-403"
    assert entry.meaning in entry.symptoms  # the guide words them alike
    text = rendered(core, answer)
    said = text.replace("\\n", "\n")
    assert said.count(entry.meaning) == 2  # once in Slack's blocks, once in the text
    others = [s for s in entry.symptoms if s != entry.meaning]
    assert all(s in said for s in others)


def test_a_bare_status_shared_across_products_is_listed_not_picked(core):
    answer = ask(core, "HTTP 429")
    assert not answer.triage.confident
    assert {e.key for e in answer.triage.same_status} == {
        "mazevault:RATE_LIMITED", "scaivault:rate_limited", "scaivault:quota_exceeded"}
    text = rendered(core, answer)
    assert "No documented error recognised" not in text
    assert text.count("The status alone does not say which documented error this is.") == 2
    named = ask(core, "HTTP 429 from the mazevault api")  # one documented there: answered
    assert [f.entry.key for f in named.triage.confident] == ["mazevault:RATE_LIMITED"]
