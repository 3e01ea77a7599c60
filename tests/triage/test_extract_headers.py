"""Retry-After, X-RateLimit-* and Date, read from every shape people paste them in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.triage.extract import extract


@pytest.mark.parametrize(("paste", "seconds"), [
    # header lines, curl -v and -sI, any case
    ("< HTTP/1.1 429 Too Many Requests\n< Retry-After: 30\n", 30),
    ("HTTP/2 429\nretry-after: 120\n", 120),
    ("RETRY-AFTER: 9", 9),
    # mid-line, in a log line, with text after the value
    ("2026-02-11 10:44:03,512 WARNING mv_sync: 429 from vault.example.com, Retry-After: 120 "
     "(request_id=8d3e1f70-2a6b-4c95-b0d4-7e1f3a5c9b26), pausing worker", 120),
    ("12:01:07 PUT apps/a/x -> 429 rate_limited (retry-after: 15) req_b01", 15),
    # JSON, as a header map or a field of the error body
    ('{"Retry-After": "30"}', 30),
    ('{"error":{"code":"rate_limited","retry_after": 31}}', 31),
    ('{"http.response.headers":{"retry-after":"15","x-request-id":"req_otel15"}}', 15),
    ('"{\\"retry-after\\":\\"16\\"}"', 16),  # JSON inside a JSON string
    # Python dict repr, Node Headers and Map dumps, HAR name/value pairs
    ("{'Date': 'Wed, 11 Feb 2026 11:02:17 GMT', 'Retry-After': '60'}", 60),
    ("Headers { 'retry-after': '7', 'content-type': 'application/json' }", 7),
    ("Map(1) { 'retry-after' => { name: 'retry-after', value: '8' } }", 8),
    ('{"name": "Retry-After", "value": "44"}', 44),
    # Go, Java, Ruby, logfmt, nginx variables, JS camelCase
    ("header=map[Content-Type:[application/json] Retry-After:[10]]", 10),
    ('http.Header{"Retry-After":[]string{"5"}}', 5),
    ('headers=[Content-Type:"application/json", Retry-After:"90"]', 90),
    ('{"retry-after" => "33"}', 33),
    ("level=warn status=429 retry_after=15 attempt=3/5", 15),
    ('upstream_http_retry_after="90"', 90),
    ("{ status: 429, code: 'rate_limited', retryAfter: 45 }", 45),
    # inline code and Slack bold
    ("the API said `Retry-After: 11` so we wait", 11),
    ("*Retry-After*: 17", 17),
    # a REPL: the lookup, then its value on the next line
    (">>> r.headers['Retry-After']\n'60'\n>>> r.status_code\n429", 60),
    ('>>> resp.headers.get("retry-after")\n\'61\'', 61),
    ("PS> $r.Headers['Retry-After']\n75\nPS> $r.Content", 75),
    # units
    ("retry_after_ms=1500", 2),
    ("retry-after-ms: 250", 1),
    ("retry_after=2.5", 3),
    ("retry_after_seconds: 12", 12),
    # cited in a sentence, a bare number of seconds
    ("this morning it was throttling us (429, Retry-After 30, fine we waited)", 30),
    ("the response had retry-after 45s and we slept", 45),
    ("Retry-After 20", 20),
])
def test_retry_after_is_read_in_every_shape(paste, seconds):
    assert extract(paste).retry_after_s == seconds


@pytest.mark.parametrize("paste", [
    "&lt; HTTP/1.1 429 Too Many Requests\n&lt; Retry-After: 12\n&lt; X-RateLimit-Limit: 100",
    "&gt; GET /v1/x\n&lt; retry-after: 12 &amp;&amp; then",
    "see <https://example.com/docs#retry|the docs>: Retry-After: 12",
    "mail <mailto:ops@example.com|ops@example.com> Retry-After: 12",
])
def test_slack_escaping_and_link_markup_do_not_hide_retry_after(paste):
    assert extract(paste).retry_after_s == 12


def test_first_retry_after_in_the_paste_wins():
    paste = '{"retry_after": 5}\n< Retry-After: 30\nretry_after=60'
    assert extract(paste).retry_after_s == 5


@pytest.mark.parametrize("paste", [
    "max_retry_after=30",  # a setting, not a response
    "default-retry-after: 30",
    "retry after 30 attempts",  # no separator: prose
    "Retry-After 2 minutes",  # a sentence's duration, not seconds
    "retry-after 3 hours",
    "Retry-After:",
    "Retry-After: soon",
    "Retry-After: 99999999999",  # not a delay
    "Retry-After: 30abc",
    "wait = headers['Retry-After']\nattempts = 5",
])
def test_what_is_not_a_retry_after(paste):
    ev = extract(paste)
    assert ev.retry_after_s is None
    assert ev.retry_at is None


def test_retry_after_as_http_date_in_a_dict_dump():
    ev = extract("{'Retry-After': 'Fri, 15 May 2026 10:30:00 GMT', 'Date': "
                 "'Fri, 15 May 2026 10:29:00 GMT'}")
    assert ev.retry_after_s is None
    assert ev.retry_at == datetime(2026, 5, 15, 10, 30, tzinfo=UTC)
    assert ev.response_date == datetime(2026, 5, 15, 10, 29, tzinfo=UTC)


def test_rate_limit_headers_from_a_go_header_map():
    ev = extract("unexpected status 429 Too Many Requests, header=map[Content-Type:"
                 "[application/json] Date:[Wed, 11 Feb 2026 11:20:40 GMT] Retry-After:[10] "
                 "X-Ratelimit-Limit:[100] X-Ratelimit-Remaining:[0] "
                 "X-Ratelimit-Reset:[1770808850]]")
    assert ev.retry_after_s == 10
    assert ev.response_date == datetime(2026, 2, 11, 11, 20, 40, tzinfo=UTC)
    assert (ev.rate_limit.limit, ev.rate_limit.remaining, ev.rate_limit.reset) == (
        100, 0, 1770808850)


@pytest.mark.parametrize("paste", [
    "{'X-RateLimit-Limit': '1000', 'X-RateLimit-Remaining': '0', "
    "'X-RateLimit-Reset': '1714478400'}",
    '{"x-ratelimit-limit":"1000","x-ratelimit-remaining":"0","x-ratelimit-reset":"1714478400"}',
    "x_ratelimit_limit=1000 x_ratelimit_remaining=0 x_ratelimit_reset=1714478400",
    "RateLimit-Limit: 1000\nRateLimit-Remaining: 0\nRateLimit-Reset: 1714478400",
    "X-Rate-Limit-Limit: 1000\nX-Rate-Limit-Remaining: 0\nX-Rate-Limit-Reset: 1714478400000",
])
def test_rate_limit_headers_in_other_shapes(paste):
    rl = extract(paste).rate_limit
    assert (rl.limit, rl.remaining, rl.reset) == (1000, 0, 1714478400)


def test_rate_limit_header_with_a_longer_name_is_another_header():
    ev = extract("x-ratelimit-reset-requests: 6m0s\nx-ratelimit-reset-after: 30")
    assert ev.rate_limit is None


def test_date_needs_an_http_date_and_a_header_name():
    assert extract("update: Wed, 11 Feb 2026 11:20:40 GMT").response_date is None
    assert extract('{"date": "2026-02-11"}').response_date is None
    assert extract("< date: Wed, 11 Feb 2026 11:20:40 GMT").response_date == datetime(
        2026, 2, 11, 11, 20, 40, tzinfo=UTC)


def test_request_id_header_in_a_dict_dump():
    ev = extract("{'Retry-After': '20', 'X-Request-ID': 'req_90fa1c'}")
    assert ev.request_ids == ("req_90fa1c",)
    ev = extract('headers=[X-Request-ID:"REQ-77AB-xy12"]')
    assert ev.request_ids == ("REQ-77AB-xy12",)
