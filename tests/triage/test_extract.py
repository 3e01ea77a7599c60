"""Extraction of each kind of paste people bring to errcode."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.triage.extract import extract, unescape_slack


def test_slack_escaping_and_link_markup_are_undone():
    text = ("&lt;@U012ABC&gt; see <https://vault.example.com/api/v1/health|vault health> "
            "&amp;&amp; {&quot;x&quot;} <@U0123ABCD> <!here>")
    out = unescape_slack(text)
    assert "vault health" in out
    assert "https://" not in out
    assert "<@U012ABC>" in out  # literal escaped text is restored, not a real mention
    assert "&&" in out
    assert "<@U0123ABCD>" not in out and "<!here>" not in out


def test_code_fence_json_envelope_is_read():
    paste = ("```\n{\"error\":{\"code\":\"rate_limited\",\"message\":\"Too many requests\","
             "\"request_id\":\"req_9f8e7d\"}}\n```")
    ev = extract(paste)
    assert ev.codes == ("rate_limited",)
    m = ev.mentions[0]
    assert (m.shape, m.message, m.request_id) == ("nested_error", "Too many requests",
                                                  "req_9f8e7d")
    assert ev.request_ids == ("req_9f8e7d",)


def test_pretty_printed_envelope_with_details_fields_verbatim():
    paste = """{
  "error": {
    "code": "validation_error",
    "message": "Request validation failed",
    "details": {
      "fields": [
        {"field": "rules[0].path_pattern", "error": "required"},
        {"field": "rules[0].permissions", "error": "must include at least one permission"}
      ]
    }
  }
}"""
    ev = extract(paste)
    m = ev.mentions[0]
    assert m.code == "validation_error"
    assert m.fields == ("rules[0].path_pattern: required",
                        "rules[0].permissions: must include at least one permission")


def test_several_envelopes_inside_log_lines():
    paste = "\n".join([
        '2026-05-01T10:00:00Z ERROR call failed {"error":{"code":"internal_error",'
        '"message":"Unexpected","request_id":"req_aaa111"}}',
        "2026-05-01T10:00:01Z INFO retrying",
        '2026-05-01T10:00:02Z ERROR call failed {"error":{"code":"rate_limited",'
        '"message":"slow down","request_id":"req_bbb222"}}',
    ])
    ev = extract(paste)
    assert ev.codes == ("internal_error", "rate_limited")
    assert ev.request_ids == ("req_aaa111", "req_bbb222")
    assert ev.mentions[0].seen_at == "2026-05-01T10:00:00Z"
    assert ev.mentions[1].line == 2


def test_flat_and_code_field_and_json_log_shapes():
    ev = extract('{"error":"CSRF_INVALID"}\n{"code":"AUTH_EXPIRED","message":"Token has expired"}'
                 '\n{"level":"error","msg":"query failed","error":"DATABASE_ERROR"}')
    shapes = {m.code: m.shape for m in ev.mentions}
    assert shapes == {"CSRF_INVALID": "flat_error", "AUTH_EXPIRED": "code_field",
                      "DATABASE_ERROR": "json_log"}


def test_curl_verbose_headers():
    paste = """> GET /v1/secrets/prod/db HTTP/2
> Host: api.scaivault.example
> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc
>
< HTTP/2 429
< date: Wed, 01 May 2024 12:00:00 GMT
< retry-after: 45
< x-ratelimit-limit: 1000
< x-ratelimit-remaining: 0
< x-ratelimit-reset: 1714564845
< x-request-id: req_9f8e7d
<
{"error":{"code":"rate_limited","message":"Too many requests"}}"""
    ev = extract(paste)
    assert ev.error_status == 429
    assert ev.retry_after_s == 45
    assert ev.response_date == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert ev.rate_limit.limit == 1000 and ev.rate_limit.remaining == 0
    assert ev.rate_limit.reset == 1714564845
    assert "req_9f8e7d" in ev.request_ids


def test_retry_after_as_http_date():
    ev = extract("HTTP/1.1 503 Service Unavailable\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT")
    assert ev.retry_after_s is None
    assert ev.retry_at == datetime(2026, 10, 21, 7, 28, tzinfo=UTC)
    assert ev.error_status == 503


def test_http_200_is_not_an_error_status():
    ev = extract("HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"status\":\"ok\"}")
    assert ev.http_statuses == (200,)
    assert ev.error_status == 200
    assert ev.codes == ()


def test_status_in_words():
    assert extract("login fails with 403").error_status == 403
    assert extract("server returned 500 again").error_status == 500
    assert extract("got a 409 Conflict").error_status == 409


def test_key_value_log_lines():
    ev = extract('ts=2026-05-01T10:00:00Z level=error code=ENCRYPTION_ERROR '
                 'msg="decrypt failed for key v3" request_id=abc123def')
    assert "ENCRYPTION_ERROR" in ev.codes
    assert "decrypt failed for key v3" in ev.prose
    assert "abc123def" in ev.request_ids


def test_traceback_exception_line_is_prose():
    paste = """Traceback (most recent call last):
  File "sync.py", line 42, in <module>
    client.policies.delete("p-1")
scaivault.errors.APIError: 409 policy_in_use: Policy has active bindings"""
    ev = extract(paste)
    assert "policy_in_use" in ev.tokens
    assert any("Policy has active bindings" in p for p in ev.prose)
    assert 409 in ev.http_statuses


def test_malformed_json_does_not_break_extraction():
    ev = extract('{"error": {"code": "rate_limited", "message": "unterminated\n'
                 '{{{{ not json }}}} RATE_LIMITED')
    assert "RATE_LIMITED" in ev.tokens


def test_binary_and_odd_input_never_raises():
    for paste in ("", "\x00\x01\x02", "{" * 10_000, '{"a":' * 5_000, "\ud800 lone surrogate"):
        extract(paste)


def test_one_megabyte_log_is_read_in_linear_time():
    line = ('2026-05-01T10:00:00Z INFO GET /api/v1/certs 200 12ms user=alice '
            'trace=8f9e7d6c5b4a\n')
    big = line * (1_000_000 // len(line))
    big += '2026-05-01T10:00:05Z ERROR {"level":"error","error":"DATABASE_ERROR"}\n'
    start = time.perf_counter()
    ev = extract(big)
    elapsed = time.perf_counter() - start
    assert "DATABASE_ERROR" in ev.codes
    # A generous guard against quadratic behaviour, not a performance target (see bench/).
    assert elapsed < 10
