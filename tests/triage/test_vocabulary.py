"""Pastes in people's own words and pastes listing several problems: the support-English
folds (bot/triage/vocabulary.py), list items as sentences of their own, a sentence's own
product, and file paths that are not codes."""

from __future__ import annotations

import pytest

from bot.triage.confidence import ruled_out
from bot.triage.extract import extract
from bot.triage.negation import negated_terms
from bot.triage.textindex import terms
from bot.triage.vocabulary import added_terms, expanded_terms


@pytest.mark.parametrize(("sentence", "documents_say"), [
    ("we keep getting throttled by the api", "rate limit"),
    ("it asks for a second factor before deleting", "mfa"),
    ("the job only fails outside business hours", "time window"),
    ("two admins saved it and someone else changed it in the meantime",
     "concurrent modification"),
    ("the upstream never responds, the call hangs", "timeout"),
    ("security says the rule only applies mon-fri 08:00-18:00", "time window"),
    ("the window is 8:00 to 18:00", "time window"),
])
def test_support_english_adds_the_documents_words(sentence, documents_say):
    added = dict(added_terms(sentence))
    assert set(terms(documents_say)) <= set(expanded_terms(sentence))
    # The reason quotes what the person wrote, not the documents' word.
    assert all(written in sentence for written in added.values())


def test_plain_words_add_nothing():
    assert added_terms("the certificate import returned a validation error") == ()
    assert expanded_terms("token expired") == terms("token expired")


def test_a_ruled_out_paraphrase_is_ruled_out_in_the_documents_words():
    assert {"rate", "limit"} <= negated_terms("it's not throttling, we are way under quota")


def test_each_listed_problem_is_a_sentence_of_its_own():
    paste = ("Two things from one customer:\n"
             "1) MazeVault UI logs everyone out with \"Token has expired\"\n"
             "2) their ScaiVault deploy job gets 403 insufficient_scope\n")
    prose = extract(paste).prose
    assert any(p.startswith("1) MazeVault") for p in prose)
    assert any(p.startswith("2) their ScaiVault") for p in prose)
    bullets = extract("since the new root CA:\n- the weekly report fails\n- OCSP says unknown\n")
    assert {"the weekly report fails", "OCSP says unknown"} <= set(bullets.prose)
    assert extract("one sentence, no list").prose == ("one sentence, no list",)


def test_a_sentence_naming_the_other_product_is_judged_by_its_own_product(engine):
    paste = ("Two separate things:\n"
             "1) MazeVault UI logs everyone out with \"Token has expired\" after 15 minutes\n"
             "2) their deploy job against ScaiVault fails with "
             '{"error":{"code":"token_revoked","message":"Token was explicitly revoked"}}\n')

    def judged(text: str) -> dict[str, bool]:
        found = engine.matcher.candidates(extract(text))
        assert found.product == "scaivault"  # the envelope and the written code
        return {m.entry.key: ruled_out(m, found.context) for m in found.matches}

    named = judged(paste)
    assert named["mazevault:AUTH_EXPIRED"] is False  # its sentence names MazeVault
    assert named["scaivault:token_expired"] is True  # ... so ScaiVault's synonym is out
    unnamed = judged(paste.replace("MazeVault UI", "The UI"))
    assert unnamed["mazevault:AUTH_EXPIRED"] is True  # judged by the paste's product


def test_file_paths_are_not_codes(engine):
    paste = ("*  CAfile: /etc/ssl/certs/ca-certificates.crt\n"
             "More details here: https://example.com/docs/errors/20003")
    assert "ca-certificates" not in extract(paste).tokens
    keys = [f.entry.key for f in engine.triage(paste).confident]
    assert "scaivault:ca_has_certificates" not in keys  # neither as a code nor as words
    assert "mazevault:ocsp-errors" not in keys  # `docs/errors` is not "ocsp errors"
    assert "ca_has_certificates" in extract("DELETE failed: ca_has_certificates").tokens


@pytest.mark.parametrize(("paste", "only"), [
    ("SECRET NOT FOUND", "scaivault:secret_not_found"),  # not also `ca_not_found`
    ("RESOURSE_NOT_FOUND", "mazevault:RESOURCE_NOT_FOUND"),
    ("rotation-policy-not-found", "scaivault:rotation_policy_not_found"),  # not policy_...
])
def test_words_inside_a_written_code_are_part_of_it(engine, paste, only):
    assert [f.entry.key for f in engine.triage(paste).confident] == [only]


@pytest.mark.parametrize("sentence", [
    "the PKI part was never switched on in the helm values",
    "ops didn't switch that capability on when they deployed",
    "the feature was never enabled on this tenant",
])
def test_never_switched_on_is_a_disabled_feature(sentence):
    assert {"feature", "disabl"} <= set(expanded_terms(sentence))


@pytest.mark.parametrize(("sentence", "ruled_out"), [
    ("the path pattern isn't a valid wildcard pattern", set()),
    ("that is not a supported duration", set()),
    ("it's not a rate limit", {"rate", "limit"}),
])
def test_not_a_valid_x_says_the_error_not_against_it(sentence, ruled_out):
    assert ruled_out <= negated_terms(sentence)
    if not ruled_out:
        assert negated_terms(sentence) == frozenset()


@pytest.mark.parametrize("sentence", ["until I sign in again it fails",
                                      "they have to log in again to get a fresh one"])
def test_signing_in_again_is_a_session_that_ended(sentence):
    assert {"session", "expir"} <= set(expanded_terms(sentence))


def test_a_role_that_just_does_not_include_it_is_a_missing_permission():
    assert {"permission", "rbac", "role"} <= set(
        expanded_terms("I assume his role just doesn't include that action"))


@pytest.mark.parametrize(("sentence", "added"), [
    ("prod can't verify the signature on them", {"invalid", "token", "signature"}),
    ("tokens minted by a different identity provider", {"invalid", "token", "signature"}),
    ("apps still hold credentials handed out from it", {"active", "leas"}),
    ("the server refuses him because of his address", {"ip", "allowlist"}),
    ("server says the token can't be parsed", {"malform"}),
])
def test_support_english_gains_the_documents_words(sentence, added):
    assert added <= set(expanded_terms(sentence))


def test_sentences_that_differ_by_ids_share_one_reading():
    first = added_terms("request req_9f8e7d6c throttled again, key a1b2c3d4e5:read")
    again = added_terms("request req_00aa11bb22 throttled again, key f0e9d8c7b6:read")
    assert first == again and ("rate", "throttled") in first
    assert not any("id0" in written for _, written in first)  # no fold through an id
    assert added_terms("rotate every 90 days") == (("duration", "90 days"),)


def test_a_timestamp_is_not_a_time_window():
    assert "window" not in expanded_terms("2026-05-01 10:04:29-10:05:00 GET /v1/secrets")
