"""A long stretch repeating one unit (key spam) is read as a few copies of its unit
(bot.redact.periodic), and redacts exactly as if every copy had been read; where it
cannot (a value running across the copies), it covers them all."""

from __future__ import annotations

import random
import zlib

import pytest

import bot.redact.redactor as redactor_module
from bot.redact import Redactor, redact
from bot.redact.periodic import MIN_TEXT, Compressed, periodic_segments
from tests.redact_corpus import load, sample

CORPUS = load()
SIZE = 96_000  # past MIN_TEXT, small enough to read the slow way too


def _rnd(*key: object) -> random.Random:
    return random.Random(zlib.crc32("/".join(map(str, ("periodic", *key))).encode()))


def _fill(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _slowly(text: str) -> tuple[str, int]:
    """Redacted reading every copy (compression off), and how many replacements."""
    saved = redactor_module.MIN_TEXT
    redactor_module.MIN_TEXT = 1 << 62
    try:
        r = Redactor()
        return r.redact(text), r.count
    finally:
        redactor_module.MIN_TEXT = saved


def _block(seed: str, formats: int = 12) -> str:
    rnd = _rnd(seed)
    picked = rnd.sample(CORPUS.formats, formats)
    return "\n\n".join(sample(f, rnd, CORPUS.charsets).text for f in picked) + "\n\n"


UNITS = {
    "password lines": "password=x\n",
    "AKIA keys": "AKIAQ3EGRZ7X4MPLW2NB\n",
    "AKIA run": "AKIAQ3EGRZ7X4MPLW2NB ",
    "key: value": "api_key: Zm9vYmFyYmF6MTIzNDU2Nzg5\n",
    "log line": ("2026-02-10T14:22:07Z level=error request_id=req_9f8e7d code=RATE_LIMITED "
                 "password=hunter2 path=/v1/secrets/environments/production/db\n"),
    "json line": '{"msg":"db: password=\\"S3cr3tPw\\" failed","request_id":"req_1"}\n',
    "slack-escaped xml": "&lt;password&gt;Tr0ub4dor&amp;3&lt;/password&gt;\n",
    "k8s items": "  key: dmFsdWUxMjM0NTY3OA==\n",
    "corpus block a": _block("a"),
    "corpus block b": _block("b"),
}


@pytest.mark.parametrize("name", UNITS)
def test_key_spam_redacts_as_if_every_copy_was_read(name: str):
    unit = UNITS[name]
    head = "first line, no secret\n" if name != "k8s items" else "kind: Secret\ndata:\n"
    text = head + _fill(unit) + "\nlast token=Zq8PzW4nXbT2 line\n"
    assert periodic_segments(text), "the stretch is found"
    r = Redactor()
    fast = r.redact(text)
    slow, count = _slowly(text)
    assert fast == slow
    assert r.count == count


def test_the_compressed_text_maps_back_to_the_original():
    text = "x" * 100 + _fill("password=x\n", 70_000) + "tail"
    [seg] = periodic_segments(text)
    short = Compressed(text, [seg])
    assert len(short.text) < len(text) // 10
    [kept] = short.kept
    period = kept.r1 - kept.r0
    assert short.text[kept.r0:kept.r1] == text[short.start(kept.r0):short.start(kept.r0) + period]
    assert short.end(kept.r1) == short.start(kept.r0) + kept.reps * period
    assert short.text[kept.r1:] == text[short.end(kept.r1):]


@pytest.mark.parametrize("unit", ["key=", "--key=x", "Authorization: Bearer "])
def test_a_value_running_across_the_copies_covers_them_all(unit: str):
    text = _fill(unit, 200_000)
    out = redact(text).text
    assert len(out) < 200, out[:200]  # one value: the run, whole


def test_text_shorter_than_the_threshold_or_not_repetitive_is_read_as_it_is():
    assert periodic_segments("password=x\n" * 1000) == []  # under MIN_TEXT
    rnd = _rnd("noise")
    noise = "".join(rnd.choice("abcdefghij \n=") for _ in range(MIN_TEXT * 2))
    assert periodic_segments(noise) == []
