"""The confidence rule (bot/triage/confidence.py): the shipped model and the four rules
no weight overrides, on pastes a support engineer would send."""

from __future__ import annotations

import json

import pytest

from bot.triage.confidence import Model, decide, shipped_model
from bot.triage.extract import extract
from bot.triage.negation import negated_terms, ruled_out_codes
from tests.triage import confident_keys


def test_shipped_model_is_data_with_a_threshold_and_named_weights():
    model = shipped_model()
    assert 0.0 < model.threshold < 1.0
    assert {"exact_in_field", "negated", "other_product", "meaning_beside_code"} <= set(
        model.weights)
    # An exact code in an error field is strong evidence; a code of the other product is not.
    assert model.weights["exact_in_field"] > 0 > model.weights["echo"]


def test_model_round_trips_through_its_json_shape():
    model = shipped_model()
    again = Model.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    with pytest.raises(ValueError):
        Model.from_dict({"bias": 0, "threshold": 0.5, "weights": [1, 2]})


def test_other_products_code_is_not_confident_when_the_paste_names_a_product(engine):
    # ScaiVault's envelope shape and request id: MazeVault's RATE_LIMITED is a candidate at
    # most, even though it is the same code in other case.
    paste = ('{"error":{"code":"rate_limited","message":"Too many requests",'
             '"request_id":"req_8f3a2c"}}')
    assert confident_keys(engine, paste) == ["scaivault:rate_limited"]


def test_exact_code_of_the_other_product_still_counts(engine):
    # The paste names ScaiVault but quotes MazeVault's code exactly: both are errors shown.
    paste = ("scaivault sync job logs: upstream mazevault said VERSION_CONFLICT, "
             "then scaivault returned version_conflict")
    keys = confident_keys(engine, paste)
    assert "mazevault:VERSION_CONFLICT" in keys and "scaivault:version_conflict" in keys


def test_negated_words_count_against_an_entry():
    assert {"rate", "limit"} <= negated_terms("it's not a rate limit, writes fail with 503")
    assert negated_terms("secret not found") == frozenset()
    assert negated_terms("could not connect to database") == frozenset()
    assert "certificate" in negated_terms("the cert is fine but login fails")


def test_a_ruled_out_error_is_never_the_answer(engine):
    paste = "it's not a rate limit, we are way under quota; scaivault is just slow today"
    keys = confident_keys(engine, paste)
    assert "scaivault:rate_limited" not in keys and "mazevault:RATE_LIMITED" not in keys
    # Without the negation, the same words do point at the rate limit.
    assert confident_keys(engine, "scaivault says we hit the rate limit, too many requests")


def test_a_code_named_to_rule_it_out_is_never_the_answer(engine):
    paste = ("staging MazeVault login gives 403 again. It is NOT IP_BLOCKED, we are inside the "
             "allowlisted range. The POST answers\nHTTP/1.1 403 Forbidden\n"
             '{"code":"CSRF_INVALID","message":"CSRF token missing or invalid"}')
    assert ruled_out_codes(paste, ["IP_BLOCKED", "CSRF_INVALID"]) == {"IP_BLOCKED"}
    assert "mazevault:IP_BLOCKED" not in confident_keys(engine, paste)
    # ... nor offered among the other candidates.
    assert "mazevault:IP_BLOCKED" not in [f.entry.key for f in engine.triage(paste).findings]
    assert confident_keys(engine, paste)[0] == "mazevault:CSRF_INVALID"
    # "not a X problem" rules it out too; a code written again elsewhere is said, not denied.
    assert ruled_out_codes("not a DUPLICATE_NAME problem, the name is unique",
                           ["DUPLICATE_NAME"]) == {"DUPLICATE_NAME"}
    assert ruled_out_codes("it isn't `rate_limited` at all", ["rate_limited"]) == {
        "rate_limited"}
    assert ruled_out_codes('it is not IP_BLOCKED? {"code":"IP_BLOCKED"}',
                           ["IP_BLOCKED"]) == frozenset()
    assert ruled_out_codes("secret_not_found on the path", ["secret_not_found"]) == frozenset()


@pytest.mark.parametrize("paste", [
    "Module not found: Error: Can't resolve './components/Header' in '/app/src'",
    "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\n"
    "npm ERR! Found: react@18.2.0\nnpm ERR!   react@\"^18.2.0\" from the root project",
    "ERROR: Cannot install -r requirements.txt because these package versions have "
    "conflicting dependencies.",
    "Failed to pull image \"registry/app:1.2\": manifest unknown: manifest unknown",
])
def test_generic_words_of_other_software_are_not_answers(engine, paste):
    assert confident_keys(engine, paste) == []


def test_a_question_sharing_a_keyword_is_not_an_error(engine):
    paste = "multi-dc licensing question: do we need a license per datacenter for mazevault?"
    assert confident_keys(engine, paste) == []


def test_one_answer_per_error_in_an_envelope(engine):
    # The message's words also describe token_invalid / invalid_request: they are echoes of
    # the one error the envelope carries, not further findings.
    paste = '{"error":"CSRF_INVALID","message":"CSRF token missing or invalid"}'
    assert confident_keys(engine, paste) == ["mazevault:CSRF_INVALID"]


def test_two_errors_in_one_paste_are_both_answers(engine):
    paste = ('{"level":"error","code":"RATE_LIMITED","msg":"too many requests"}\n'
             '{"level":"error","code":"DATABASE_ERROR","msg":"connection reset"}')
    assert set(confident_keys(engine, paste)) == {"mazevault:RATE_LIMITED",
                                             "mazevault:DATABASE_ERROR"}


def test_a_stricter_threshold_is_never_more_confident(engine):
    ev = extract("users get access denied when reading secrets in scaivault")
    loose = shipped_model()
    strict = Model(loose.weights, loose.bias, 0.999)
    found = engine.matcher.candidates(ev)
    few = {m.entry.key for m in decide(found.matches, found.context, strict) if m.confident}
    many = {m.entry.key for m in decide(found.matches, found.context, loose) if m.confident}
    assert few <= many
    assert all(0.0 <= m.probability <= 1.0 for m in decide(found.matches, found.context, loose))


def test_a_paste_that_reports_all_is_well_names_no_error(engine):
    paste = ("fixed now, thanks - it was a wrong namespace in our own Helm values, nothing "
             "wrong on the MazeVault side. Closing the ticket.")
    assert confident_keys(engine, paste) == []
    assert engine.triage(paste).findings == ()  # no "nearest" guess under it either
    # A code or an error status still says what went wrong.
    assert confident_keys(engine, "works now after re-login, but what was the "
                          "AUTH_EXPIRED we saw in mazevault?") == ["mazevault:AUTH_EXPIRED"]
    assert confident_keys(engine, "mazevault project lookups fail: the project is not found")
