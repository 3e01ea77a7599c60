"""`errcode shell` through its real stdin and stdout: `python -m bot shell` as a subprocess.

No Slack token anywhere in its environment; HOME and state in a temporary directory.
Expected answers come from the other doors: `errcode lookup` for the same paste (the
console must say exactly what the CLI says) and the Slack reply built from the same core.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.answers import Asked, answer
from bot.catalog.load import load_catalog
from bot.config import Settings
from bot.console import BANNER, NOTHING_TO_ESCALATE
from bot.core import Core
from bot.slack.replies import reply_for
from bot.store import Store
from tests.fakes import escalation_thread as fx
from tests.fakes.servers import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(None, strict=True)
# A 429 whose Date header fixes the retry moment, so every door gives the same clock.
CURL_429 = ["< HTTP/2 429", "< retry-after: 45", "< date: Thu, 30 Apr 2026 12:00:00 GMT",
            "< x-request-id: req_9f8e7d6c", "",
            '{"error":{"code":"rate_limited","message":"Too many requests",'
            '"request_id":"req_9f8e7d6c"}}']
RETRY_AT = "Retry after 45 s (at 2026-04-30 12:00:45 UTC)"
ANSWER = re.compile(r"^\[([^\]\n]+)\]$", re.M)


# --------------------------------------------------------------------------- helpers


def isolated_env(tmp_path: Path, *, storage: bool = True) -> dict[str, str]:
    """The caller's environment minus every Slack and errcode setting; home and state in tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ERRCODE_"))}
    env.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               PYTHONIOENCODING="utf-8", USER="ana")
    if storage:
        env["ERRCODE_STORAGE_PATH"] = str(tmp_path / "console.db")
    return env


def errcode(tmp_path: Path, *args: str, stdin: str = "", storage: bool = True,
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          encoding="utf-8", capture_output=True, cwd=tmp_path,
                          env=isolated_env(tmp_path, storage=storage), timeout=120)


def shell(tmp_path: Path, *lines: str, args: tuple[str, ...] = (),
          storage: bool = True) -> str:
    """Type `lines` into `errcode shell`; assert it ended cleanly; what it printed."""
    out = errcode(tmp_path, "shell", *args, stdin="\n".join(lines) + "\n", storage=storage)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    return out.stdout


@dataclass(frozen=True)
class Shown:
    """One answer as printed: where it went, its text, its numbered buttons."""

    where: str
    text: str
    buttons: dict[str, int]


def answers(stdout: str) -> list[Shown]:
    marks = list(ANSWER.finditer(stdout))
    shown = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = stdout[mark.end() + 1: following.start() if following else len(stdout)]
        row = re.search(r"^Buttons: (.*)$", body, re.M)
        buttons = {label.strip(): int(n) for n, label in
                   re.findall(r"\[(\d+)\] (.+?)(?=\s{2}\[\d+\]|$)", row.group(1))} if row else {}
        text = body[: row.start()] if row else body
        shown.append(Shown(mark.group(1), text.strip("\n"), buttons))
    return shown


def lookup(tmp_path: Path, paste: str) -> str:
    out = errcode(tmp_path, "lookup", "-", stdin=paste)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip("\n")


def codes(text: str) -> list[str]:
    """The codes an answer leads with, in order (`CODE · Product ...` lines)."""
    return re.findall(r"^(\S+) · ", text, re.M)


# --------------------------------------------------------------------------- answers


def test_a_code_gets_the_same_answer_as_errcode_lookup(tmp_path):
    [shown] = answers(shell(tmp_path, "VERSON_CONFLICT", ":quit"))
    assert shown.where == "only you can see this"
    assert shown.text == lookup(tmp_path, "VERSON_CONFLICT")
    assert codes(shown.text)[0] == "VERSION_CONFLICT"  # the typo was understood
    assert list(shown.buttons) == ["Share in channel", "Show other matches", "Helpful",
                                   "Not helpful"]
    assert list(shown.buttons.values()) == [1, 2, 3, 4]


def test_a_paste_between_markers_is_one_question_answered_as_lookup_answers_it(tmp_path):
    [shown] = answers(shell(tmp_path, '"""', *CURL_429, '"""', ":quit"))
    assert shown.text == lookup(tmp_path, "\n".join(CURL_429))
    assert RETRY_AT in shown.text
    assert "req_9f8e7d6c" in shown.text


def test_the_console_gives_the_codes_and_retry_advice_slack_gives(tmp_path):
    [shown] = answers(shell(tmp_path, '"""', *CURL_429, '"""', ":quit"))
    with Store(tmp_path / "slack.db") as store:
        slack = reply_for(answer(Core.load(Settings(), CATALOG, store),
                                 Asked("\n".join(CURL_429), ephemeral=True)), CATALOG)
    headers = [b["text"]["text"] for b in slack.blocks if b["type"] == "header"]
    assert codes(shown.text) == [h.split(" · ")[0] for h in headers]
    retry = [b["text"]["text"] for b in slack.blocks
             if b["type"] == "section" and b["text"]["text"].startswith("*Retry:*")]
    assert len(retry) == len(headers) == shown.text.count(RETRY_AT)


def test_backtick_fences_work_as_paste_markers_too(tmp_path):
    [shown] = answers(shell(tmp_path, "```", '{"error":"CSRF_INVALID"}', "and then", "```",
                            ":quit"))
    assert codes(shown.text) == ["CSRF_INVALID"]


def test_an_unterminated_paste_is_answered_at_end_of_input(tmp_path):
    out = errcode(tmp_path, "shell", stdin='"""\n{"error":"token_expired"}\n')
    assert out.returncode == 0, out.stderr
    assert codes(answers(out.stdout)[0].text) == ["token_expired"]


def test_a_mention_is_answered_in_the_thread_and_offers_escalation(tmp_path):
    [shown] = answers(shell(tmp_path, "@errcode csrf invalid", ":quit"))
    assert shown.where == "in the thread"
    assert codes(shown.text) == ["CSRF_INVALID"]
    assert "Escalate" in shown.buttons and "Share in channel" not in shown.buttons


def test_help_list_and_unknown_products_answer_as_in_slack(tmp_path):
    help_, listing, unknown = answers(shell(tmp_path, "help", "/errcode list scaivault",
                                            "list nosuch", ":quit"))
    assert "/errcode list [product]" in help_.text and "*" not in help_.text
    assert all(f" {e.code} " in listing.text for e in CATALOG.by_catalog("scaivault"))
    assert "RATE_LIMITED" not in listing.text
    assert "nosuch" in unknown.text and "`mazevault`" in unknown.text


def slack_reply(tmp_path: Path, paste: str, *, ephemeral: bool):
    """What the Slack door answers for the same paste, from the same core."""
    with Store(tmp_path / "slack.db") as store:
        return reply_for(answer(Core.load(Settings(), CATALOG, store),
                                Asked(paste, ephemeral=ephemeral)), CATALOG)


SECRET = "Hunter2Secret99x"
SECRET_PASTE = ['POST /v1/login -> 401 {"error":"token_expired"}', f"db_password={SECRET}"]


def test_a_paste_with_a_secret_tells_only_the_paster_what_was_hidden_as_slack_does(tmp_path):
    paste = "\n".join(SECRET_PASTE)
    out = shell(tmp_path, '"""', *SECRET_PASTE, '"""', f"@errcode {' '.join(SECRET_PASTE)}",
                ":quit")
    assert SECRET not in out
    private, thread, note = answers(out)
    # Asked privately (as /errcode): the note leads the answer only the paster sees.
    told, _, rest = private.text.partition("\n\n")
    assert private.where == "only you can see this" and codes(rest) == ["token_expired"]
    assert told == ("I hid 1 secret from your paste (1 password) in my answer; your command "
                    "was not posted, but rotate it if you pasted it anywhere else.")
    slack_private = slack_reply(tmp_path, paste, ephemeral=True)
    assert slack_private.blocks[0]["elements"][0]["text"] == f":lock: {told}"
    # Asked in the thread (a mention): the answer says nothing of it; the paster alone is
    # told after it, as chat.postEphemeral tells them in Slack.
    assert thread.where == "in the thread" and "I hid" not in thread.text
    assert "Escalate" in thread.buttons
    assert note.where == "only you can see this" and not note.buttons
    assert note.text == slack_reply(tmp_path, " ".join(SECRET_PASTE), ephemeral=False
                                    ).private_note
    assert note.text.startswith("I hid 1 secret from your paste (1 password)")


def test_a_paste_without_secrets_gets_no_note(tmp_path):
    out = shell(tmp_path, '{"error":"token_expired"}', '@errcode {"error":"token_expired"}',
                ":quit")
    assert [s.where for s in answers(out)] == ["only you can see this", "in the thread"]
    assert "I hid" not in out


# --------------------------------------------------------------------------- buttons


def test_pressing_share_posts_the_answer_in_the_channel(tmp_path):
    out = shell(tmp_path, "RATE_LIMITED", "!1", ":quit")
    private, public = answers(out)
    assert public.where == "posted in the channel"
    assert public.text.startswith("Shared by ana\n")
    assert codes(public.text) == codes(private.text) == ["RATE_LIMITED"]
    assert out.index("(the private answer was removed)") < out.index(f"[{public.where}]")
    assert "Share in channel" not in public.buttons and "Escalate" in public.buttons


def test_pressing_helpful_records_feedback_for_the_report(tmp_path):
    first = answers(shell(tmp_path, "RATE_LIMITED", ":quit"))[0]
    helpful = first.buttons["Helpful"]
    thanks = answers(shell(tmp_path, "RATE_LIMITED", f"!{helpful}", ":quit"))[1]
    assert thanks.text == "Thanks, glad it helped."
    report = errcode(tmp_path, "report", "feedback")
    assert report.returncode == 0, report.stderr
    assert re.search(r"^\s*1\s+0\s+mazevault:RATE_LIMITED$", report.stdout, re.M), report.stdout


def test_pressing_show_other_matches_shows_the_candidates_in_full(tmp_path):
    first = answers(shell(tmp_path, "scaivault: too many requests", ":quit"))[0]
    others = first.buttons["Show other matches"]
    _, again = answers(shell(tmp_path, "scaivault: too many requests", f"!{others}", ":quit"))
    head, _, candidates = again.text.partition("Other candidates (not confident):")
    assert codes(head) == codes(first.text)
    assert len(codes(candidates)) >= 1
    assert "Show other matches" not in again.buttons


def test_pressing_run_health_check_runs_the_products_checks(tmp_path):
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "unhealthy",
                                                  "components": {"database": "down"}},
                                                 status=503))
        config = tmp_path / "errcode.yml"
        config.write_text("health:\n  targets:\n    - name: prod\n      product: mazevault\n"
                          f"      base_url: {vault.url}\n"
                          "      checks: [{path: /api/v1/health}]\n")
        paste, config_args = '{"error":"DATABASE_ERROR"}', ("--config", str(config))
        first = answers(shell(tmp_path, paste, ":quit", args=config_args))[0]
        button = first.buttons["Run health check"]
        assert not vault.requests_to("/api/v1/health")
        health = answers(shell(tmp_path, paste, f"!{button}", ":quit", args=config_args))[1]
        assert vault.requests_to("/api/v1/health")
    assert health.text.startswith("1 of 1 target not healthy: prod unhealthy")
    assert "database down" in health.text


# --------------------------------------------------------------------------- escalation


def test_escalating_everything_pasted_asks_what_is_missing_at_the_prompt(tmp_path):
    out = shell(tmp_path, "@errcode escalate",
                '"""', *fx.CURL_RATE_LIMITED.splitlines(), '"""',
                "we run ScaiVault 2.8.3 on AKS", "@errcode escalate",
                "!1", "1. start the crm sync", ":quit")
    assert NOTHING_TO_ESCALATE in out  # nothing pasted yet
    prompt = next(s for s in answers(out) if s.text.startswith("Escalation of this session"))
    assert "Found in the thread: 1 error, 1 request id, version: 2.8.3, deployment: AKS." in (
        prompt.text)
    assert "Still needed: Steps to reproduce" in prompt.text
    assert list(prompt.buttons) == ["Complete escalation", "Escalate as is"]
    assert "\nSteps to reproduce: \n" in out  # asked at the prompt, as the modal would
    packet = out.split("[the packet, ESC-0001 version 1]")[1]
    assert "# Escalation: ScaiVault: rate_limited" in packet
    assert "req_9f8e7d6c" in packet and "- **version**: 2.8.3" in packet
    assert "- [x] **Steps to reproduce**" in packet and "1. start the crm sync" in packet
    assert fx.BEARER not in out and fx.COOKIE.split("=", 1)[1] not in out
    assert re.search(r"\d+ secrets? redacted", out)


def test_escalating_as_is_prints_the_packet_and_the_email_draft(tmp_path):
    started = time.monotonic()
    out = shell(tmp_path, '@errcode {"error":"DATABASE_ERROR","message":"Database operation '
                'failed"}', "@errcode escalate", "!2", ":quit")
    assert time.monotonic() - started < 30  # no waiting on a browser or a timeout
    assert "# Escalation: MazeVault: DATABASE_ERROR" in out
    draft = out.split("Email draft:\n")[1]
    assert draft.startswith("To: info@mazevault.com\nSubject: [MazeVault] DATABASE_ERROR\n")
    assert "Open checklist items:" in draft
    listed = errcode(tmp_path, "escalations", "list")
    assert "ESC-0001  v1  mazevault" in listed.stdout


# --------------------------------------------------------------------------- session


def test_help_shows_the_banner(tmp_path):
    assert BANNER in shell(tmp_path, ":help", ":quit")


def test_quit_ends_the_session(tmp_path):
    out = shell(tmp_path, "RATE_LIMITED", ":quit", "CSRF_INVALID")
    assert [codes(s.text) for s in answers(out)] == [["RATE_LIMITED"]]


def test_end_of_input_ends_the_session_cleanly(tmp_path):
    out = errcode(tmp_path, "shell", stdin="RATE_LIMITED\n")
    assert out.returncode == 0, out.stderr
    assert codes(answers(out.stdout)[0].text) == ["RATE_LIMITED"]


def test_bad_lines_do_not_crash_it(tmp_path):
    out = shell(tmp_path, "!9", "!", "!0", "!99999999999999999999", "!²", "\x00\x01\x1b[2J ]]]",
                "@errcode", '"""', '"""', "é¿ ☃ \ud7ff", "x" * 100_000,
                "lunch at noon?", "RATE_LIMITED", "!42", ":quit")
    # !9 before any answer; !0, !999... and !42 out of range; "!" and "!²" are questions
    assert out.count("(no such button)") == 4
    assert re.search(r"(?i)no documented error", out)  # lunch was answered, not a crash
    assert codes(answers(out)[-1].text) == ["RATE_LIMITED"]  # and it still answers


def test_it_keeps_data_in_the_path_the_environment_names(tmp_path):
    shell(tmp_path, "the frobnicator exploded password=hunter2xyz", ":quit")
    assert (tmp_path / "console.db").is_file()
    report = errcode(tmp_path, "report", "unmatched")
    assert report.returncode == 0, report.stderr
    assert "frobnicator" in report.stdout and "hunter2xyz" not in report.stdout


def test_without_a_named_store_it_keeps_its_own_state_file(tmp_path):
    shell(tmp_path, "RATE_LIMITED", ":quit", storage=False)
    state = tmp_path / "state" / "errcode"
    assert (state / "console.sqlite3").is_file()
    assert not (state / "errcode.sqlite3").exists()  # never the bot's production store


def test_a_config_file_can_name_the_store(tmp_path):
    config = tmp_path / "errcode.yml"
    config.write_text("storage_path: team.db\n")
    shell(tmp_path, "RATE_LIMITED", ":quit", args=("--config", str(config)), storage=False)
    assert (tmp_path / "team.db").is_file()
    assert not (tmp_path / "state").exists()


def test_it_loads_no_slack_library(tmp_path):
    code = ("import sys; from bot.cli import main; main(['shell']); "
            "print(sorted(m for m in sys.modules if m.startswith('slack')), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True,
                         input="RATE_LIMITED\n!3\n@errcode escalate\n!2\n", cwd=tmp_path,
                         env={**isolated_env(tmp_path), "PYTHONPATH": str(ROOT)},
                         timeout=120)
    assert "RATE_LIMITED" in out.stdout and "[the packet" in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "[]"


# --------------------------------------------------------------------------- a terminal


def test_a_block_pasted_into_a_terminal_is_one_question(tmp_path):
    """In a terminal the block arrives as a bracketed paste; Enter sends it, as in Slack."""
    pty = pytest.importorskip("pty")
    pytest.importorskip("readline")
    master, slave = pty.openpty()
    env = {**isolated_env(tmp_path), "TERM": "xterm", "INPUTRC": "/dev/null"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "shell"], stdin=slave, stdout=slave,
                            stderr=slave, cwd=tmp_path, env=env, close_fds=True)
    os.close(slave)
    try:
        screen = _read_until(master, lambda out: out.endswith(b"errcode> "))
        paste = "\n".join(CURL_429).encode()
        os.write(master, b"\x1b[200~" + paste + b"\x1b[201~\r")
        screen += _read_until(master, lambda out: b"Buttons:" in out
                              and out.endswith(b"errcode> "))
        os.write(master, b":quit\r")
        assert proc.wait(30) == 0
    finally:
        proc.kill()
        os.close(master)
    text = screen.decode("utf-8", "replace").replace("\r\n", "\n")
    assert text.count("[only you can see this]") == 1
    assert RETRY_AT in text and "req_9f8e7d6c" in text


def _read_until(fd: int, done: Callable[[bytes], bool], timeout: float = 60) -> bytes:
    """What the terminal shows, read until `done` says the console waits for input."""
    out = b""
    deadline = time.monotonic() + timeout
    while not done(out) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    assert done(out), out[-2000:]
    return out


def test_a_bare_number_presses_a_button_of_the_last_answer_and_a_status_is_still_asked(tmp_path):
    first = answers(shell(tmp_path, "RATE_LIMITED", ":quit"))[0]
    helpful = first.buttons["Helpful"]
    shown = answers(shell(tmp_path, "RATE_LIMITED", str(helpful), "429", ":quit"))
    assert shown[1].text == "Thanks, glad it helped."
    assert "RATE_LIMITED" in shown[2].text  # 429 was asked about, not pressed
    assert len(shown) == 3
