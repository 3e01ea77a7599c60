"""`errcode shell` through its real stdin and stdout: `python -m bot shell` as a subprocess.

No Slack token anywhere in its environment, HOME and the storage path in a temporary
directory. Expected text comes from the catalog and the console's own banner.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bot.catalog.load import load_catalog
from bot.slack.console import BANNER, CHANNEL, USER

CATALOG = load_catalog(None, strict=True)
BUTTONS = re.compile(r"^Buttons: (.*)$", re.M)
CURL_429 = ["< HTTP/2 429", "< retry-after: 45", "",
            '{"error":{"code":"rate_limited","message":"Too many requests",'
            '"request_id":"req_9f8e7d6c"}}']


# --------------------------------------------------------------------------- helpers


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment minus every Slack and errcode setting; home and state in tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ERRCODE_"))}
    env.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               ERRCODE_STORAGE_PATH=str(tmp_path / "console.db"), PYTHONIOENCODING="utf-8")
    return env


def errcode(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          encoding="utf-8", capture_output=True, cwd=tmp_path,
                          env=isolated_env(tmp_path), timeout=120)


def shell(tmp_path: Path, *lines: str) -> subprocess.CompletedProcess:
    """Type `lines` into `errcode shell`; assert it ended cleanly."""
    out = errcode(tmp_path, "shell", stdin="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    return out


def header(catalog: str, code: str) -> str:
    """How the console shows an answer's header, from the catalog entry."""
    entry = next(e for e in CATALOG.entries if (e.catalog, e.code) == (catalog, code))
    status = f" · HTTP {entry.http_status}" if entry.http_status else ""
    return f"== {code} · {CATALOG.products[catalog].name}{status} =="


def buttons(stdout: str) -> list[list[tuple[int, str]]]:
    """Each answer's buttons, as (number, label)."""
    rows = []
    for line in BUTTONS.findall(stdout):
        rows.append([(int(n), label.strip())
                     for n, label in re.findall(r"\[(\d+)\] (.+?)(?=\s{2}\[\d+\]|$)", line)])
    return rows


def clock_between(day_seconds: int, start: float, end: float) -> bool:
    """Whether a UTC clock time (seconds into the day) lies between two epoch times."""
    low, high = int(start) % 86400, int(end) % 86400
    if low <= high:
        return low <= day_seconds <= high
    return day_seconds >= low or day_seconds <= high  # the window spans midnight


def number_of(row: list[tuple[int, str]], label: str) -> int:
    return next(n for n, text in row if text.endswith(label))


# --------------------------------------------------------------------------- answers


def test_a_code_is_answered_privately_with_numbered_buttons(tmp_path):
    out = shell(tmp_path, "RATE_LIMITED", ":quit").stdout
    assert "[only you can see this]" in out
    assert header("mazevault", "RATE_LIMITED") in out
    [row] = buttons(out)
    assert [n for n, _ in row] == list(range(1, len(row) + 1))
    assert row[0] == (1, "Share in channel")
    assert any(label.endswith("Helpful") for _, label in row)


def test_a_typo_is_understood(tmp_path):
    out = shell(tmp_path, "VERSON_CONFLICT", ":quit").stdout
    assert header("mazevault", "VERSION_CONFLICT") in out


def test_a_multiline_paste_between_markers_is_one_question(tmp_path):
    started = time.time()
    out = shell(tmp_path, '"""', *CURL_429, '"""', ":quit").stdout
    finished = time.time()
    assert out.count("[only you can see this]") == 1  # the lines were read as one paste
    assert header("scaivault", "rate_limited") in out
    assert "req_9f8e7d6c" in out
    # The Slack date token shows as its fallback: the clock time 45 s after the paste.
    clocks = re.findall(r"Retry after 45 s \(at (\d\d):(\d\d):(\d\d) UTC\)", out)
    assert clocks
    for h, m, s in clocks:
        assert clock_between(int(h) * 3600 + int(m) * 60 + int(s), started + 45,
                             finished + 46)


def test_backtick_fences_work_as_paste_markers_too(tmp_path):
    out = shell(tmp_path, "```", '{"error":"CSRF_INVALID"}', "and then", "```", ":quit").stdout
    assert out.count("[only you can see this]") == 1
    assert header("mazevault", "CSRF_INVALID") in out


def test_an_unterminated_paste_is_answered_at_end_of_input(tmp_path):
    out = errcode(tmp_path, "shell", stdin='"""\n{"error":"token_expired"}\n')
    assert out.returncode == 0, out.stderr
    assert header("scaivault", "token_expired") in out.stdout


def test_a_mention_is_answered_in_a_thread(tmp_path):
    out = shell(tmp_path, "@errcode csrf invalid", ":quit").stdout
    assert f"[posted in {CHANNEL} (in thread)]" in out
    assert header("mazevault", "CSRF_INVALID") in out
    assert "[only you can see this]" not in out
    assert not any(label == "Share in channel" for row in buttons(out) for _, label in row)


# --------------------------------------------------------------------------- buttons


def test_pressing_share_posts_the_answer_in_the_channel(tmp_path):
    out = shell(tmp_path, "RATE_LIMITED", "!1", ":quit").stdout
    private, public = out.split(f"[posted in {CHANNEL}]")
    assert header("mazevault", "RATE_LIMITED") in private
    assert header("mazevault", "RATE_LIMITED") in public
    assert f"Shared by @{USER}" in public
    assert "(the private answer was removed)" in public


def test_pressing_helpful_records_feedback_for_the_report(tmp_path):
    first = shell(tmp_path, "RATE_LIMITED", ":quit").stdout
    helpful = number_of(buttons(first)[0], "Helpful")
    out = shell(tmp_path, "RATE_LIMITED", f"!{helpful}", ":quit").stdout
    assert "Thanks, glad it helped." in out
    report = errcode(tmp_path, "report", "feedback")
    assert report.returncode == 0, report.stderr
    assert re.search(r"^\s*1\s+0\s+mazevault:RATE_LIMITED$", report.stdout, re.M), report.stdout


def test_pressing_show_other_matches_shows_the_candidates(tmp_path):
    first = shell(tmp_path, "too many requests", ":quit").stdout
    others = number_of(buttons(first)[0], "Show other matches")
    out = shell(tmp_path, "too many requests", f"!{others}", ":quit").stdout
    second = out.split("[only you can see this]")[2]
    assert "Other candidates" in second
    assert second.count("== ") > first.count("== ")


# --------------------------------------------------------------------------- session


def test_help_shows_the_banner(tmp_path):
    out = shell(tmp_path, ":help", ":quit").stdout
    assert BANNER in out


def test_quit_ends_the_session(tmp_path):
    out = shell(tmp_path, "RATE_LIMITED", ":quit", "CSRF_INVALID").stdout
    assert header("mazevault", "RATE_LIMITED") in out
    assert "CSRF_INVALID" not in out


def test_end_of_input_ends_the_session_cleanly(tmp_path):
    out = errcode(tmp_path, "shell", stdin="RATE_LIMITED\n")
    assert out.returncode == 0, out.stderr
    assert header("mazevault", "RATE_LIMITED") in out.stdout


def test_bad_lines_do_not_crash_it(tmp_path):
    out = shell(tmp_path, "!9", "!", "!0", "!99999999999999999999", "\x00\x01\x1b[2J ]]]",
                "@errcode", '"""', '"""', "é¿ ☃ \ud7ff", "x" * 100_000,
                "lunch at noon?", "RATE_LIMITED", "!42", ":quit").stdout
    # !9 before any answer; !0, !999... and !42 out of range; a bare "!" is a paste
    assert out.count("(no such button)") == 4
    assert re.search(r"(?i)no documented error", out)  # lunch was answered, not a crash
    assert header("mazevault", "RATE_LIMITED") in out  # and it still answers


def test_it_runs_without_tokens_and_keeps_data_in_the_given_path(tmp_path):
    shell(tmp_path, "the frobnicator exploded password=hunter2xyz", ":quit")
    assert (tmp_path / "console.db").is_file()
    report = errcode(tmp_path, "report", "unmatched")
    assert report.returncode == 0, report.stderr
    assert "frobnicator" in report.stdout and "hunter2xyz" not in report.stdout


def test_escalate_everything_pasted_in_the_session(tmp_path):
    from tests.fakes import escalation_thread as fx

    out = shell(tmp_path, "@errcode escalate",
                '"""', *fx.CURL_RATE_LIMITED.splitlines(), '"""',
                "we run ScaiVault 2.8.3 on AKS", "@errcode escalate", "!2", ":quit")
    text = out.stdout
    assert "paste the thread's messages first" in text  # nothing pasted yet
    assert "[uploaded to the thread]" in text
    assert "# Escalation: ScaiVault: rate_limited" in text
    assert "req_9f8e7d6c" in text and "- **version**: 2.8.3" in text
    assert fx.BEARER not in text and fx.COOKIE not in text
    assert re.search(r"secrets? redacted", text)
