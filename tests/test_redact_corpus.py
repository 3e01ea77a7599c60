"""Every secret format of tests/redact_corpus/formats.yml (the gitleaks rules, the
detect-secrets plugins and their tests, the errcode issue) leaves a paste, with fresh
fake values drawn at test time (seeded: the same values on every run); the context
around it stays; redacting the result changes nothing; clean pastes stay as they are."""

from __future__ import annotations

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
             if any(run[i:i + WINDOW] in grams for i in range(0, len(run) - WINDOW + 1, 3))]
    assert not leaks
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
