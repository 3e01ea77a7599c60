"""JSON in pastes: many objects on a line, broken and truncated JSON, odd values."""

from __future__ import annotations

import re

import pytest

from bot.triage.extract import _pattern_matches, extract


def test_envelope_inside_a_broken_outer_object_is_read():
    paste = ('2026-05-01T10:00:00Z ERROR resp={"data": {"items": [1, 2], '
             '{"error":{"code":"rate_limited","request_id":"req_in1"}} trailing')
    ev = extract(paste)
    assert [(m.code, m.shape) for m in ev.mentions] == [("rate_limited", "nested_error")]
    assert ev.mentions[0].seen_at == "2026-05-01T10:00:00Z"


def test_truncated_pretty_json_keeps_its_complete_error_object():
    paste = """{
  "request": {"method": "PUT", "path": "/v1/policies/ci"},
  "response": {
    "error": {"code": "validation_error", "message": "bad glob", "request_id": "req_tr1"},
    "headers": {"x-trace": "abc", "via": "1.1 edge"""
    ev = extract(paste)
    assert ev.codes == ("validation_error",)
    assert ev.request_ids == ("req_tr1",)


def test_several_objects_on_one_line_keep_their_order_and_line():
    paste = ('first line\n{"error":"CSRF_INVALID"} {"code":"AUTH_EXPIRED"} '
             '{"level":"error","error":"DATABASE_ERROR"}')
    ev = extract(paste)
    assert [(m.code, m.line) for m in ev.mentions] == [
        ("CSRF_INVALID", 1), ("AUTH_EXPIRED", 1), ("DATABASE_ERROR", 1)]


def test_object_larger_than_the_first_window_is_read_whole():
    filler = ", ".join(f'"k{i}": "{"x" * 40}"' for i in range(2_000))
    paste = '{"error": {"code": "internal_error", ' + filler + ', "message": "boom"}}'
    ev = extract(paste)
    assert [(m.code, m.message) for m in ev.mentions] == [("internal_error", "boom")]


@pytest.mark.parametrize("status", ["\u00b2", "\u0663\u0660\u0663", "1" * 5_000, "4O4", True])
def test_odd_status_values_are_ignored_not_raised(status):
    body = '{"error":{"code":"rate_limited"},"status":%s}' % (
        f'"{status}"' if isinstance(status, str) else "true")
    ev = extract(body)
    assert ev.codes == ("rate_limited",)
    assert ev.http_statuses == ()


def test_number_too_long_to_convert_does_not_hide_the_envelope():
    paste = '{"n": ' + "9" * 5_000 + ', "x": {"error":{"code":"rate_limited"}}}'
    assert "rate_limited" in extract(paste).codes


def test_long_string_value_is_not_taken_for_a_code():
    ev = extract('{"error": "' + "A_" * 50_000 + 'B"}')
    assert ev.mentions == ()


def test_junk_braces_and_quotes_before_an_envelope():
    paste = '{{{ "{"{"}} {"": {"" ' + '{"error":{"code":"rate_limited"}}'
    assert extract(paste).codes == ("rate_limited",)


def test_request_id_patterns_match_as_whole_words_only():
    patterns = (r"req_[A-Za-z0-9]+", r"[A-Z]{2}-\d{4}", r"#\d+", r"x")
    text = ("req_ab1 xreq_ab2 req_ab3_ AB-1234 CAB-1234 AB-12345 (#42) a#43 x y_x -x- xx "
            "req_a\u00e9 \u00e9req_b")
    for pattern in patterns:
        expected = [m.group(0) for m in re.finditer(rf"\b(?:{pattern})\b", text)]
        assert _pattern_matches(text, pattern) == expected, pattern
    assert "AB-1234" in extract(text, (patterns[1],)).request_ids


def test_an_error_named_by_type_is_read_but_is_not_our_envelope():
    """Elasticsearch's and OpenAI's envelopes name their error `type`; the code is read,
    but the shape is theirs: it says nothing of which of our products the paste is about."""
    from bot.triage.engine import engine_for

    paste = ('{"error":{"root_cause":[],"type":"version_conflict_engine_exception",'
             '"reason":"version conflict, current version [153]"},"status":409}')
    ev = extract(paste)
    assert [(m.code, m.shape) for m in ev.mentions] == [
        ("version_conflict_engine_exception", "nested_typed_error")]
    assert engine_for().triage(paste).product is None
    ours = engine_for().triage('{"error":{"type":"rate_limited","message":"slow down"}}')
    assert ours.confident and ours.confident[0].mention is not None
    assert "JSON error envelope" in " ".join(ours.confident[0].evidence)
