"""Hostile 1 MB pastes are read right (issue 11). Behaviour only: the figures are in
`./dev bench pathological`; a quadratic scan shows here as a test that never ends."""

from __future__ import annotations

import pytest

from bot.triage.envelopes import MAX_JSON_OBJECTS
from bot.triage.extract import extract

MB = 1_000_000
CURL_TAIL = ("< HTTP/1.1 429 Too Many Requests\n< Date: Wed, 11 Feb 2026 08:14:02 GMT\n"
             "< Retry-After: 30\n< X-RateLimit-Remaining: 0\n< X-Request-ID: req_tail01\n")
ENVELOPE_TAIL = '{"error":{"code":"rate_limited","message":"slow down","request_id":"req_tail02"}}'


def fill(unit: str, size: int = MB) -> str:
    return (unit * (size // len(unit) + 1))[:size]


@pytest.mark.parametrize("filler", ["\n", " \t\n", "> \n", "<\n", "*\n", "```"])
def test_headers_after_a_megabyte_of_blank_lines(filler):
    ev = extract(fill(filler) + "\n" + CURL_TAIL)
    assert ev.retry_after_s == 30
    assert ev.http_statuses == (429,)
    assert ev.rate_limit is not None and ev.rate_limit.remaining == 0
    assert "req_tail01" in ev.request_ids


@pytest.mark.parametrize("filler", ["=", ":", '"', "{", '{"', "[", "}", "\\", "'", "<", "&lt;",
                                    "<http://a", "<@U1 ", "429 ", "HTTP/1.1 ", "status=",
                                    "retry-after: ", "'Retry-After': '", "request_id=",
                                    "Error: ", "Zm9vYmFy+/0123456789abcdefABCDEF"])
def test_envelope_after_a_megabyte_of_one_character_run(filler):
    ev = extract(fill(filler) + "\n" + ENVELOPE_TAIL)
    assert "rate_limited" in ev.codes
    assert "req_tail02" in ev.request_ids


def test_many_envelopes_on_one_line_are_all_read_in_order():
    # issue 11: 4,000 envelopes on one 280 KB line took 21 s
    envelopes = [f'{{"error":{{"code":"rate_limited","request_id":"req_{i:05d}x"}}}}'
                 for i in range(4_000)]
    paste = "ERROR batch failed: " + " ".join(envelopes) + " " * (MB // 2)
    ev = extract(paste)
    assert len(ev.mentions) == 4_000
    assert ev.request_ids == tuple(f"req_{i:05d}x" for i in range(4_000))
    assert {m.line for m in ev.mentions} == {0}


def test_json_objects_read_are_capped_not_quadratic():
    distinct = "".join(f'{{"a":{i}}}' for i in range(MB // 8))
    ev = extract(distinct[:MB] + "\n" + ENVELOPE_TAIL)
    assert "rate_limited" in ev.tokens  # the words are still read
    assert ev.mentions == ()  # the object budget went to the tiny objects


def test_an_object_repeated_as_written_costs_nothing_of_the_budget():
    ev = extract(fill('{"a":1}') + "\n" + ENVELOPE_TAIL)
    assert [m.code for m in ev.mentions] == ["rate_limited"]


def test_one_megabyte_line_without_newline():
    unit = ("2026-02-10T14:22:07Z level=info request_id=req_9f8e7d path=/v1/secrets/db ok ")
    ev = extract(fill(unit) + " status=503 code=SERVICE_UNAVAILABLE retry_after=15")
    assert ev.http_statuses == (503,)
    assert ev.retry_after_s == 15
    assert "SERVICE_UNAVAILABLE" in ev.codes


@pytest.mark.parametrize("deep", [
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"a":[' * 50_000 + "1" + "]}" * 50_000,
    '{"a":\n' * 50_000 + "1" + "}\n" * 50_000,
])
def test_deep_json_gives_a_clear_result(deep):
    ev = extract(deep + "\n" + ENVELOPE_TAIL)
    assert [m.code for m in ev.mentions if m.source == "envelope"] == ["rate_limited"]
    assert "req_tail02" in ev.request_ids


@pytest.mark.parametrize("deep", ['{"a":' * 50_000, '{"a":\n' * 50_000, '{"a":[' * 50_000])
def test_deep_json_never_closed_gives_a_clear_result(deep):
    # The envelope ends a chain of 50,000 open objects: each of the last thousand fails
    # where the paste ends, and the decode budget runs out before the envelope's turn.
    # The code is still read as a word.
    ev = extract(deep + "\n" + ENVELOPE_TAIL)
    assert "rate_limited" in ev.tokens
    assert "req_tail02" in ev.request_ids


def test_envelope_with_details_nested_near_the_interpreter_limit():
    for depth in (900, 990, 1_200):
        ev = extract('{"error":{"code":"rate_limited","details":' + '{"a":' * depth + "1"
                     + "}" * depth + "}}")
        assert "rate_limited" in ev.tokens + ev.codes


def test_never_closed_nest_with_a_long_tail_then_an_envelope():
    paste = '{"a":' * 900 + fill("1,", MB // 2) + "\n" + ENVELOPE_TAIL
    assert extract(paste).codes == ("rate_limited",)


def test_near_codes_repeated_are_one_token():
    assert extract(fill("RATE_LIMITD ")).tokens == ("RATE_LIMITD",)


def test_kv_codes_repeated_are_one_mention():
    ev = extract(fill("code=RATE_LIMITED ") + "\ncode=DATABASE_ERROR")
    assert [m.code for m in ev.mentions] == ["RATE_LIMITED", "DATABASE_ERROR"]
    assert ev.mentions[1].line == 1


def test_header_lines_repeated_keep_the_first_values():
    ev = extract(fill(CURL_TAIL))
    assert ev.retry_after_s == 30
    assert ev.http_statuses == (429,)
    assert ev.request_ids == ("req_tail01",)


def test_the_object_cap_is_above_a_real_log():
    line = '{"level":"info","ts":"2026-02-12T16:39:58Z","msg":"GET /heartbeat","status":200}\n'
    log = line * (MAX_JSON_OBJECTS - 10) + (
        '{"level":"error","msg":"query failed","error":"DATABASE_ERROR"}\n')
    assert extract(log).codes == ("DATABASE_ERROR",)


def test_a_repeated_envelope_is_read_once_and_a_changed_one_again():
    same = '{"error":{"code":"rate_limited","request_id":"req_same01"}} '
    other = '{"error":{"code":"rate_limited","request_id":"req_other2"}}'
    ev = extract(same * 5_000 + "\n" + other)
    assert [m.request_id for m in ev.mentions] == ["req_same01", "req_other2"]
    assert ev.mentions[1].line == 1


@pytest.mark.parametrize("filler", ["scaivault ", "s", "scaivault 2.8.3 ", "from ",
                                    "429 from x ", "mazevault's "])
def test_statuses_beside_product_names_after_a_megabyte_of_near_misses(filler):
    """The names and "from" are looked for in the paste's first 200k characters, where
    product names are read, and only so many times: a megabyte of near misses is read
    once, and a status beside a name early on is still found."""
    from bot.triage.engine import engine_for

    engine = engine_for()
    ev = engine.evidence("scaivault 503 since noon\n" + fill(filler))
    assert ev.http_statuses[0] == 503
    ev = engine.evidence(fill(filler) + "\nscaivault 401 on every call")
    assert 401 not in ev.http_statuses  # past where names are read
