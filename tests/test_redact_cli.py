"""`errcode redact [FILE|-]`, run for real (`python -m bot`): a file with a planted secret of
every corpus format comes out with none of them, `--json` names kind, line and placeholder
but never a value, `--check` exits 1 when something was redacted, 0 when not, 2 on a bad
file; the bytes around the secrets are kept as they were."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from bot.cli import MAX_STDIN_BYTES
from bot.redact import KINDS, PLACEHOLDER_RE, redact
from tests.redact_corpus import Sample, load, sample

ROOT = Path(__file__).resolve().parents[1]
CORPUS = load()
WINDOW = 10  # no 10 characters of a secret's random part may survive


def errcode(*args: str, stdin: bytes | None = None, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "redact", *args], input=stdin,
                          capture_output=True, cwd=cwd, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


def _leaks(out: str, samples: list[Sample]) -> list[str]:
    grams = {out[i:i + WINDOW] for i in range(len(out) - WINDOW + 1)}
    leaks = [secret for s in samples for secret in s.secrets if secret in out]
    return leaks + [run for s in samples for run in s.random_runs
                    if any(run[i:i + WINDOW] in grams for i in range(len(run) - WINDOW + 1))]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[Sample]]:
    """One sample of every format, then the clean pastes, blank lines between."""
    rnd = random.Random(zlib.crc32(b"errcode redact"))
    samples = [sample(fmt, rnd, CORPUS.charsets) for fmt in CORPUS.formats]
    text = "\n\n".join([s.text for s in samples] + list(CORPUS.clean)) + "\n"
    path = tmp_path_factory.mktemp("redact") / "support.log"
    path.write_text(text, encoding="utf-8")
    return path, text, samples


def test_prints_the_file_with_no_planted_secret_and_the_clean_text_kept(planted):
    path, text, samples = planted
    run = errcode(str(path), cwd=path.parent)
    assert run.returncode == 0, run.stderr
    out = run.stdout.decode()
    assert not _leaks(out, samples)
    for clean in CORPUS.clean:
        assert clean in out
    assert out == redact(text).text
    assert re.search(rb"support\.log: \d+ secrets? redacted in \d+ places?", run.stderr)
    assert not _leaks(run.stderr.decode(), samples)


def test_json_lists_kind_line_and_placeholder_never_a_value(planted):
    path, text, samples = planted
    run = errcode("--json", str(path), cwd=path.parent)
    assert run.returncode == 0, run.stderr
    assert not _leaks(run.stdout.decode(), samples)
    doc = json.loads(run.stdout)
    assert set(doc) == {"source", "count", "kinds", "findings", "text"}
    assert doc["text"] == redact(text).text
    findings = doc["findings"]
    assert doc["count"] == len(findings) >= len(samples)
    assert sum(doc["kinds"].values()) == len({f["placeholder"] for f in findings})
    for f in findings:
        assert set(f) == {"kind", "line", "column", "placeholder"}
        assert f["kind"] in KINDS and PLACEHOLDER_RE.fullmatch(f["placeholder"])
        assert f["placeholder"].startswith(f"[REDACTED:{f['kind']}#")
        assert f["placeholder"] in doc["text"]
    api = redact(text, findings=True).findings or ()
    assert [(f["line"], f["column"], f["placeholder"]) for f in findings] == [
        (f.line, f.column, f.placeholder) for f in api]


def test_every_planted_sample_has_a_finding_on_its_lines(planted):
    path, _text, samples = planted
    doc = json.loads(errcode("--json", str(path), cwd=path.parent).stdout)
    lines = {f["line"] for f in doc["findings"]}
    first = 1
    for s in samples:
        last = first + s.text.count("\n")
        assert lines & set(range(first, last + 1)), f"no finding on lines {first}-{last}"
        first = last + 2


def test_check_lists_where_secrets_are_and_exits_1(planted):
    path, text, samples = planted
    run = errcode("--check", path.name, cwd=path.parent)
    assert run.returncode == 1
    out = run.stdout.decode()
    assert not _leaks(out, samples)
    rows = out.splitlines()
    assert len(rows) == redact(text).count
    assert all(re.fullmatch(r"support\.log:\d+:\d+: [a-z_]+ \[REDACTED:[a-z_]+#\d+\]", row)
               for row in rows), rows[:3]
    run = errcode("--check", "--json", path.name, cwd=path.parent)
    assert run.returncode == 1 and json.loads(run.stdout)["count"] == len(rows)


def test_check_on_a_clean_file_exits_0_and_prints_it_unchanged_without_check(tmp_path: Path):
    clean = tmp_path / "clean.log"
    clean.write_text("\n\n".join(CORPUS.clean) + "\n", encoding="utf-8")
    run = errcode("--check", str(clean), cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, b"")
    assert b"nothing to redact" in run.stderr
    run = errcode(str(clean), cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, clean.read_bytes())


@pytest.mark.parametrize("target", ["missing.log", "."])
def test_a_file_that_cannot_be_read_exits_2(tmp_path: Path, target: str):
    for args in (("--check", target), (target,), ("--json", target)):
        run = errcode(*args, cwd=tmp_path)
        assert (run.returncode, run.stdout) == (2, b"")
        assert run.stderr.startswith(b"errcode: cannot read ")


def test_stdin_with_dash_or_no_argument(tmp_path: Path):
    paste = b"db auth failed: postgres://svc:Hunter2Secret99@db/app\n"
    for args in ((), ("-",)):
        run = errcode(*args, stdin=paste, cwd=tmp_path)
        assert run.returncode == 0
        assert run.stdout == b"db auth failed: postgres://svc:[REDACTED:password#1]@db/app\n"
    run = errcode("--check", "-", stdin=paste, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (1, b"stdin:1:32: password [REDACTED:password#1]\n")


def test_input_over_the_cap_is_refused_not_cut(tmp_path: Path):
    big = b"password=hunter2\n" + b"x" * MAX_STDIN_BYTES
    run = errcode("--check", stdin=big, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (2, b"")
    assert b"over 8 MB" in run.stderr and b"nothing redacted" in run.stderr


def test_bytes_around_the_secrets_are_kept(tmp_path: Path):
    raw = b"caf\xe9 latin-1\r\npassword=hunter2\r\n\xff\xfe token: \"abc123XYZ\"\r\n"
    path = tmp_path / "mixed.log"
    path.write_bytes(raw)
    run = errcode(str(path), cwd=tmp_path)
    assert run.stdout == (b"caf\xe9 latin-1\r\npassword=[REDACTED:password#1]\r\n"
                          b"\xff\xfe token: \"[REDACTED:token#1]\"\r\n")
    doc = json.loads(errcode("--json", str(path), cwd=tmp_path).stdout)
    assert [(f["kind"], f["line"], f["column"]) for f in doc["findings"]] == [
        ("password", 2, 10), ("token", 3, 12)]
    assert "hunter2" not in doc["text"] and "abc123XYZ" not in doc["text"]


def test_redact_patterns_of_errcode_yml_apply(tmp_path: Path):
    (tmp_path / "errcode.yml").write_text("redact_patterns: ['LIC-[0-9A-F]{4}-[0-9A-F]{4}']\n",
                                          encoding="utf-8")
    run = errcode("-", stdin=b"license LIC-AB12-CD34 rejected\n", cwd=tmp_path)
    assert run.stdout == b"license [REDACTED:custom#1] rejected\n"
