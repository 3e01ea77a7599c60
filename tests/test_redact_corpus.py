"""Every secret format of tests/redact_corpus/formats.yml (the gitleaks rules, the
detect-secrets plugins and their tests, the errcode issue) leaves a paste, with fresh
fake values drawn at test time (seeded: the same values on every run); the context
around it stays; redacting the result changes nothing; clean pastes stay as they are."""

from __future__ import annotations

import json
import random
import re
import time
import zlib

import pytest

from bot.redact import PLACEHOLDER_RE, Redactor, redact
from tests.redact_corpus import Format, Sample, load, sample

CORPUS = load()
DRAWS = 3  # fresh values per format
WINDOW = 10  # no 10 characters of a secret's random part may survive


def _rnd(*key: object) -> random.Random:
    return random.Random(zlib.crc32("/".join(map(str, key)).encode()))


def _samples(fmt: Format) -> list[Sample]:
    return [sample(fmt, _rnd(fmt.id, draw), CORPUS.charsets) for draw in range(DRAWS)]


def _leaks(out: str, s: Sample) -> list[str]:
    leaks = [secret for secret in s.secrets if secret in out]
    for run in s.random_runs:
        leaks += [run[i:i + WINDOW] for i in range(len(run) - WINDOW + 1)
                  if run[i:i + WINDOW] in out]
    return leaks


@pytest.mark.parametrize("fmt", CORPUS.formats, ids=lambda f: f.id)
def test_format_is_redacted_context_kept_idempotent(fmt: Format):
    for s in _samples(fmt):
        for ctx in CORPUS.contexts:
            paste = ctx.text.replace("{paste}", s.text)
            r = Redactor()
            out = r.redact(paste)
            assert not _leaks(out, s), f"{fmt.source}: secret left in\n{out}"
            for kept in (*fmt.keep, *ctx.keep):
                assert kept in out, f"{fmt.source}: {kept!r} lost from\n{out}"
            count = r.count
            assert r.redact(out) == out and r.count == count, f"second pass changed\n{out}"
            assert redact(out).text == out


@pytest.mark.parametrize("text", CORPUS.clean, ids=lambda t: re.sub(r"\W+", "_", t[:40]))
def test_clean_paste_is_unchanged(text: str):
    out = redact(text)
    assert (out.text, out.count) == (text, 0)


def test_every_rule_of_the_rule_sets_has_a_format():
    sources = " ".join(f.source for f in CORPUS.formats)
    coverage = CORPUS.coverage
    for rule in coverage["gitleaks"]:
        if rule not in coverage["not_covered"]:
            assert re.search(rf"gitleaks rule {re.escape(rule)}\b", sources), rule
    for plugin in coverage["detect-secrets"]:
        if plugin not in coverage["not_covered"]:
            assert re.search(rf"detect-secrets plugin {re.escape(plugin)}\b", sources), plugin


def test_ids_are_unique_and_templates_use_their_secrets():
    ids = [f.id for f in CORPUS.formats]
    assert len(ids) == len(set(ids))
    for f in CORPUS.formats:
        for name in f.secrets:
            assert "{" + name + "}" in f.template, (f.id, name)


def test_one_megabyte_of_all_formats_and_clean_pastes():
    """All formats at once, ~1 MB: every secret goes, every clean paste stays, in one
    call, with one placeholder per distinct secret; and it stays linear."""
    rnd = _rnd("megabyte")
    parts: list[str] = []
    secrets: list[Sample] = []
    size = 0
    while size < 1_000_000:
        for fmt in CORPUS.formats:
            s = sample(fmt, rnd, CORPUS.charsets)
            secrets.append(s)
            parts.append(s.text)
            size += len(s.text) + 2
        parts.extend(CORPUS.clean)
        size += sum(len(c) + 2 for c in CORPUS.clean)
    paste = "\n\n".join(parts)
    start = time.perf_counter()
    r = Redactor()
    out = r.redact(paste)
    elapsed = time.perf_counter() - start
    assert elapsed < 5  # a guard against blowup; measured well under 0.25 s (see redact.py)
    grams = {out[i:i + WINDOW] for i in range(len(out) - WINDOW + 1)}
    leaks = [run for s in secrets for run in s.random_runs
             if any(run[i:i + WINDOW] in grams for i in range(0, len(run) - WINDOW + 1, 3))
             and not _leaks(redact(s.text).text, s)]  # (a draw the plain text keeps too:
    assert not leaks                                   # a weak shape drawn without a digit)
    for clean in CORPUS.clean:
        assert clean in out
    assert len({m[0] for m in PLACEHOLDER_RE.finditer(out)}) == sum(r.kinds.values())


@pytest.mark.parametrize("fmt", CORPUS.formats, ids=lambda f: f.id)
def test_findings_locate_every_redaction_of_a_format(fmt: Format):
    """What `errcode redact --json` reports: each replacement, at its place in the paste."""
    s = _samples(fmt)[0]
    paste = CORPUS.contexts[-1].text.replace("{paste}", s.text)
    result = redact(paste, findings=True)
    assert result.findings and len(result.findings) == result.count
    out, pos = [], 0
    for f in result.findings:
        assert f.start >= pos and f.line == paste.count("\n", 0, f.start) + 1
        out += [paste[pos:f.start], f.placeholder]
        pos = f.end
    assert "".join(out) + paste[pos:] == result.text


def _slack(text: str) -> str:
    """What Slack delivers for a typed text: `&`, `<` and `>` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unslack(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _envelope(text: str) -> str:
    return json.dumps({"error": {"code": "internal_error", "message": text,
                                 "request_id": "req_7Hq2Lm9Xv"}})


def _message(text: str) -> str:
    return json.loads(text)["error"]["message"]


# How a paste reaches the redactor besides as typed: through Slack (entities), as the
# message of a JSON error envelope, as a JSON log line holding that envelope, and both.
_WRAPPINGS = {
    "slack": (_slack, _unslack),
    "json": (_envelope, _message),
    "json-in-json": (lambda t: json.dumps(_envelope(t)), lambda t: _message(json.loads(t))),
    "slack-json": (lambda t: _slack(_envelope(t)), lambda t: _message(_unslack(t))),
}


@pytest.mark.parametrize("wrapping", _WRAPPINGS)
def test_every_format_is_redacted_however_it_is_escaped(wrapping: str):
    """Slack escapes `&<>` in every message; JSON escapes quotes, backslashes and line
    ends: the secret goes whatever the escaping, and the escaping stays valid."""
    wrap, unwrap = _WRAPPINGS[wrapping]
    failed = []
    for fmt in CORPUS.formats:
        s = _samples(fmt)[0]
        paste = wrap(s.text)
        r = Redactor()
        out = r.redact(paste)
        readable = unwrap(out)  # still valid JSON: a placeholder never splits an escape
        if _leaks(readable, s) or _leaks(out, s):
            failed.append(f"{fmt.id}: {readable[:120]!r}")
        assert r.redact(out) == out, f"{fmt.id}: second pass changed {out[:200]!r}"
        assert "req_7Hq2Lm9Xv" in out or wrapping == "slack"
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("wrapping", ["slack", "json lines"])
def test_one_megabyte_escaped_is_redacted_once_and_for_all(wrapping: str):
    """The megabyte as Slack delivers it, and as JSON log lines: every secret goes, each
    line stays valid JSON, and redacting the result changes nothing (the long text's
    second pass reads only around the placeholders that changed their context)."""
    rnd = _rnd("megabyte", wrapping)
    secrets: list[Sample] = []
    lines: list[str] = []
    size = 0
    while size < 1_000_000:
        for fmt in CORPUS.formats:
            s = sample(fmt, rnd, CORPUS.charsets)
            secrets.append(s)
            line = (json.dumps({"level": "error", "msg": s.text}) if wrapping == "json lines"
                    else _slack(s.text))
            lines.append(line)
            size += len(line) + 1
    paste = "\n".join(lines)
    out = redact(paste).text
    assert redact(out).text == out
    if wrapping == "json lines":
        readable = "\n".join(json.loads(line)["msg"] for line in out.split("\n"))
    else:
        readable = _unslack(out)
    grams = {readable[i:i + WINDOW] for i in range(len(readable) - WINDOW + 1)}
    leaks = [run for s in secrets for run in s.random_runs
             if any(run[i:i + WINDOW] in grams for i in range(0, len(run) - WINDOW + 1, 3))
             and not _leaks(redact(s.text).text, s)]  # (a draw the plain text keeps too:
    assert not leaks                                   # a weak shape drawn without a digit)
