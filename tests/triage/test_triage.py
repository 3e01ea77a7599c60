"""Matching, product disambiguation and retry advice, through the one triage entry point."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.catalog.load import load_catalog
from bot.triage.engine import TriageEngine, TriageHints, triage

NOW = datetime(2024, 4, 30, 12, 0, 0, tzinfo=UTC)


def keys(text: str, **hints) -> list[str]:
    return [f.entry.key for f in triage(text, TriageHints(**hints)).confident]


def test_exact_code_spelling_picks_the_product():
    assert keys("RATE_LIMITED")[0] == "mazevault:RATE_LIMITED"
    assert keys("rate_limited")[0] == "scaivault:rate_limited"


def test_envelope_shape_and_request_id_settle_the_product():
    t = triage('{"error":{"code":"RATE_LIMITED","request_id":"req_77aa"}}')
    assert t.product == "scaivault"
    assert "nested error JSON shape" in t.product_reasons


def test_product_name_in_the_paste_is_a_hint():
    assert keys("scaivault says rate limited")[0] == "scaivault:rate_limited"
    assert keys("MazeVault: rate limited")[0] == "mazevault:RATE_LIMITED"


def test_ambiguous_code_shows_both_products():
    t = triage("rate limited")
    assert t.ambiguous
    assert {f.entry.key for f in t.confident[:2]} == {"mazevault:RATE_LIMITED",
                                                      "scaivault:rate_limited"}


def test_channel_default_product_breaks_the_tie():
    assert keys("rate limited", product="scaivault")[0] == "scaivault:rate_limited"


def test_fuzzy_codes_typos_case_separators():
    assert keys("VERSON_CONFLICT")[0] == "mazevault:VERSION_CONFLICT"
    assert keys("token-expired")[0] == "scaivault:token_expired"
    assert keys("csrf invalid")[0] == "mazevault:CSRF_INVALID"


def test_paraphrase_finds_the_meaning():
    assert keys("the policy still has active bindings")[0] == "scaivault:policy_in_use"
    assert keys("login fails with 403")[0] == "mazevault:login-fails-with-403"


def test_several_errors_in_one_paste_give_several_matches():
    paste = ('{"error":{"code":"internal_error","request_id":"req_1aa"}}\n'
             '{"error":{"code":"secret_not_found","request_id":"req_2bb"}}')
    found = keys(paste)
    assert found[:2] == ["scaivault:internal_error", "scaivault:secret_not_found"]


def test_not_documented_errors_are_not_confident():
    for paste in ("lunch at noon?", "HTTP/1.1 200 OK",
                  'Exception in thread "main" java.lang.NullPointerException\n'
                  "\tat com.acme.Foo.bar(Foo.java:42)"):
        t = triage(paste)
        assert not t.confident, paste


def test_each_match_says_why():
    t = triage('{"error":{"code":"policy_in_use"}}')
    assert any("JSON error envelope" in why for why in t.confident[0].evidence)


def test_retry_after_header_sets_retry_time():
    paste = ("< HTTP/2 429\n< date: Tue, 30 Apr 2024 12:00:00 GMT\n< retry-after: 45\n"
             '{"error":{"code":"rate_limited"}}')
    advice = triage(paste, TriageHints(now=NOW)).confident[0].retry
    assert advice.policy == "yes"
    assert advice.wait_s == 45
    assert advice.retry_at == datetime(2024, 4, 30, 12, 0, 45, tzinfo=UTC)
    assert "Retry after 45 s (at 12:00:45 UTC)" in advice.advice


def test_rate_limit_reset_header_gives_the_reset_time():
    paste = "HTTP/1.1 429\nX-RateLimit-Reset: 1714478700\nRATE_LIMITED"
    advice = triage(paste, TriageHints(now=NOW)).confident[0].retry
    assert advice.retry_at == datetime.fromtimestamp(1714478700, UTC)
    assert "12:05:00 UTC" in advice.advice
    assert "derived" in advice.advice  # MazeVault's policy is implied, and says so


def test_internal_error_retry_once_then_escalate():
    advice = triage('{"error":{"code":"internal_error"}}').confident[0].retry
    assert advice.policy == "once" and advice.escalate
    assert advice.advice.lower().startswith("retry once with backoff, then escalate")


def test_validation_error_do_not_retry_and_fields_verbatim():
    paste = ('{"error":{"code":"validation_error","message":"Request validation failed",'
             '"details":{"fields":[{"field":"rules[0].path_pattern","error":"required"}]}}}')
    finding = triage(paste).confident[0]
    assert finding.retry.advice.startswith("Don't retry: fix the request.")
    assert finding.mention.fields == ("rules[0].path_pattern: required",)


def test_unlisted_scaivault_code_gets_the_documented_default():
    advice = triage('{"error":{"code":"ca_not_found"}}').confident[0].retry
    assert advice.policy == "no" and advice.source == "default"


def test_commands_have_the_host_filled_in():
    t = triage("ocsp errors", TriageHints(hosts={"mazevault": "vault.acme.test"}))
    runs = [c.run for c in t.confident[0].commands]
    assert any("https://vault.acme.test/ocsp/health" in r for r in runs)
    assert not any("{host}" in r for r in runs)


def test_huge_paste_still_finds_the_error():
    noise = "2026-05-01T10:00:00Z INFO GET /api/v1/certs 200 12ms\n" * 20_000
    t = triage(noise + "level=error code=DATABASE_ERROR msg=\"pool exhausted\"\n" + noise)
    assert t.confident[0].entry.key == "mazevault:DATABASE_ERROR"


def test_a_bare_code_needs_no_meaning_index_and_ready_builds_it():
    engine = TriageEngine(load_catalog())
    assert [f.entry.key for f in engine.triage("RATE_LIMITED").confident] == [
        "mazevault:RATE_LIMITED"]
    assert "text" not in vars(engine.matcher)  # `errcode lookup CODE` never builds it
    assert "text" in vars(engine.ready().matcher)
